package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/graphql-go/graphql/gqlerrors"

	"shop/auth"
	"shop/clientip"
	"shop/models"
	"shop/ratelimit"
)

// clientIPs decides each request's client address once, for the limits,
// the log and everything downstream (clientip.From).
func clientIPs(proxies clientip.Proxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(clientip.With(r.Context(), proxies.Client(r))))
		})
	}
}

// limitByIP refuses a client address past its allowance. It runs after
// clientIPs and before authentication, so floods cost no token checks.
func limitByIP(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return limitBy(l, func(r *http.Request) string {
		if ip := clientip.From(r.Context()); ip != "" {
			return ip
		}
		return r.RemoteAddr // clientIPs is missing: still limit, by connection
	})
}

// limitByUser refuses a signed-in user past its allowance, wherever its
// requests come from. It runs after authentication; anonymous requests
// are the per-IP limit's.
func limitByUser(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return limitBy(l, func(r *http.Request) string { return auth.CallerFrom(r.Context()).UserID })
}

func limitBy(l *ratelimit.Limiter, key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if k := key(r); k != "" {
				if ok, retry := l.Allow(r.Context(), k); !ok {
					writeRateLimited(w, retry)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeRateLimited answers 429 with Retry-After in seconds, repeated in
// the GraphQL-shaped body for clients that read only the body.
func writeRateLimited(w http.ResponseWriter, retry time.Duration) {
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    "Too many requests: try again in " + strconv.Itoa(secs) + " s.",
			"extensions": map[string]any{"code": models.CodeRateLimited, "retryAfter": secs},
		}},
	})
}

// rateLimitedStatus is for the GraphQL handler, after execution: an
// operation that an allowance refused inside execution (a login past its
// allowance, counted by the account service) is answered like the
// middleware's refusals, with 429 and Retry-After (from the error's
// extensions.retryAfter, in seconds). Otherwise status is kept.
func rateLimitedStatus(w http.ResponseWriter, errs []gqlerrors.FormattedError, status int) int {
	for _, e := range errs {
		if code, _ := e.Extensions["code"].(string); code != string(models.CodeRateLimited) {
			continue
		}
		switch secs := e.Extensions["retryAfter"].(type) {
		case int:
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		case float64:
			w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(secs)), 1)))
		}
		return http.StatusTooManyRequests
	}
	return status
}
