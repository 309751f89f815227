package server

import (
	"errors"
	"net/http"
	"strings"

	"shop/auth"
	"shop/errcode"
	"shop/models"
)

// authenticate puts the caller proven by "Authorization: Bearer <token>" in
// the request's context. No header is an anonymous caller. A header that
// does not prove one (another scheme, a bad, expired or forged token) is a
// 401 at once, never a silent downgrade to anonymous: a client whose token
// expired must learn it, not see less data.
func authenticate(verify func(token string) (models.Caller, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Authorization")
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, _ := strings.Cut(values[0], " ")
		token = strings.TrimSpace(token)
		if len(values) > 1 || !strings.EqualFold(scheme, "Bearer") || token == "" || verify == nil {
			unauthorized(w, `Send the access token as "Authorization: Bearer <accessToken>".`)
			return
		}
		c, err := verify(token)
		if err != nil {
			msg := "The access token is invalid: sign in again."
			var me *models.Error
			if errors.As(err, &me) {
				msg = me.Message
			}
			unauthorized(w, msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithCaller(r.Context(), c)))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, msg)
}
