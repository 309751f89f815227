package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"shop/auth"
	"shop/errcode"
	"shop/models"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	admin := models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin}
	verify := func(token string) (models.Caller, error) {
		if token == "good" {
			return admin, nil
		}
		return models.Caller{}, &models.Error{Code: errcode.Unauthenticated, Message: "The access token has expired."}
	}
	tests := []struct {
		name       string
		verify     func(string) (models.Caller, error)
		headers    []string
		wantStatus int
		wantCaller models.Caller
		wantMsg    string
	}{
		{"no header: anonymous", verify, nil, 200, models.Caller{}, ""},
		{"a good token", verify, []string{"Bearer good"}, 200, admin, ""},
		{"the scheme in any case", verify, []string{"bearer  good "}, 200, admin, ""},
		{"a bad token: the verifier's message", verify, []string{"Bearer old"}, 401, models.Caller{}, "has expired"},
		{"another scheme", verify, []string{"Basic Z29vZA=="}, 401, models.Caller{}, "Authorization: Bearer"},
		{"no token", verify, []string{"Bearer"}, 401, models.Caller{}, "Authorization: Bearer"},
		{"two headers", verify, []string{"Bearer good", "Bearer good"}, 401, models.Caller{}, "Authorization: Bearer"},
		{"no verifier refuses every token", nil, []string{"Bearer good"}, 401, models.Caller{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen *models.Caller
			h := authenticate(tt.verify, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c := auth.CallerFrom(r.Context())
				seen = &c
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			for _, v := range tt.headers {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				if seen == nil || *seen != tt.wantCaller {
					t.Fatalf("caller %+v, want %+v", seen, tt.wantCaller)
				}
				return
			}
			if seen != nil {
				t.Fatal("the request went on without a caller")
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			var body struct {
				Errors []struct {
					Message    string
					Extensions map[string]string
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 ||
				body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || !strings.Contains(body.Errors[0].Message, tt.wantMsg) {
				t.Fatalf("body %s (%v)", rec.Body, err)
			}
		})
	}
}
