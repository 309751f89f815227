package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The rate-limit and HTTP-edge settings reach the server: the whole
// program, configured only through its environment.
func TestLimitsAndEdgesFromSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"embedded", EmbeddedEnv(t)},
		{"PostgreSQL and Redis", PostgresRedisEnv(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["RATE_LIMIT_REQUESTS"] = "3"
			tt.env["GRAPHIQL"] = "false"
			tt.env["CORS_ALLOWED_ORIGINS"] = "https://shop.example.com"
			in := MustStart(t, tt.env)
			do := func(method, path string, header ...string) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, in.URL+path, nil)
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				return resp
			}

			// GraphiQL off: a browser is told so, and that costs one request.
			if r := mustDecode(t, do("GET", "/graphql", "Accept", "text/html")); r.Status != http.StatusNotFound || !strings.Contains(r.Errors[0].Message, "switched off") {
				t.Fatalf("GraphiQL off: %d %+v", r.Status, r.Errors)
			}
			resp := do("GET", "/graphql?query={getProducts{productId}}", "Origin", "https://shop.example.com")
			if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
				t.Fatalf("cross-origin read: %d %v", resp.StatusCode, resp.Header)
			}
			in.MustData(t, `{ getProducts { productId } }`, nil, &struct{}{})
			r := in.MustPost(t, `{ getProducts { productId } }`, nil)
			if r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED" {
				t.Fatalf("4th request: %d %+v", r.Status, r.Errors)
			}
			if !strings.Contains(in.logs.String(), `"client_ip":"127.0.0.1"`) {
				t.Fatal("the access log does not name the client address")
			}
		})
	}
}

// Sign-ins past their allowance are refused like any rate limit: 429,
// Retry-After and RATE_LIMITED, per email whatever the password, and per
// address for register.
func TestSignInAllowances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["RATE_LIMIT_LOGIN_EMAIL"] = "2"
	env["RATE_LIMIT_AUTH"] = "5"
	in := MustStart(t, env)
	login := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`
	for i, want := range []string{"UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"} {
		r := in.MustPost(t, login, map[string]any{"e": "Victim@Shop.test", "p": fmt.Sprint("guess-", i)})
		if r.Code() != want {
			t.Fatalf("attempt %d: %d %+v, want %s", i+1, r.Status, r.Errors, want)
		}
		if want == "RATE_LIMITED" {
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Fatalf("refused login: status %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
			}
		}
	}
	// Two more sign-ins from this address use up its allowance of 5.
	register := `mutation($in: RegisterInput!) { register(input: $in) { accessToken } }`
	for i, want := range []string{"", "", "RATE_LIMITED"} {
		r := in.MustPost(t, register, map[string]any{"in": map[string]any{"email": fmt.Sprintf("new%d@shop.test", i), "password": "long enough 1", "name": "New"}})
		if r.Code() != want {
			t.Fatalf("register %d: %d %+v, want %q", i+1, r.Status, r.Errors, want)
		}
	}
}
