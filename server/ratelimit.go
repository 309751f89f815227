package server

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/location"

	"shop/auth"
	"shop/clientip"
	"shop/docguard"
	"shop/errcode"
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
	return limitBy(l, ipKey)
}

// ipKey is the key of r's client address in the per-IP allowance.
func ipKey(r *http.Request) string {
	if ip := clientip.From(r.Context()); ip != "" {
		return ip
	}
	return r.RemoteAddr // clientIPs is missing: still limit, by connection
}

// admit applies the rules on what a request runs, before any of it runs.
// A request of a customer or an anonymous caller runs at most one
// mutation field (models.CheckMutations): a hundred aliased createOrders
// made a hundred orders under one request's allowance. Every mutation
// field after the first (an admin's), and every field that reaches the
// database after the first (ten aliased searches), counts against the
// per-IP and per-user allowances as a request of its own, through
// Limiter.Allow, so the IPv6 /48's share counts them too; the middleware
// counted the first with the request. It answers the request itself and
// reports false when it refuses.
func (h *graphqlHandler) admit(w http.ResponseWriter, r *http.Request, start time.Time, op *docguard.Operation) bool {
	caller := auth.CallerFrom(r.Context())
	extra := max(op.DatabaseFields-1, 0)
	if op.Type == ast.OperationTypeMutation {
		if err := models.CheckMutations(caller, op.RootRuns); err != nil {
			var me *models.Error
			errors.As(err, &me)
			ext := map[string]any{"code": string(me.Code)}
			for k, v := range me.Details {
				ext[k] = v
			}
			h.metrics.observe("invalid", start, []string{string(me.Code)})
			writeResult(w, http.StatusBadRequest, &graphql.Result{Errors: []gqlerrors.FormattedError{{Message: me.Message, Locations: []location.SourceLocation{}, Extensions: ext}}})
			return false
		}
		extra += max(op.RootRuns-1, 0)
	}
	for range extra {
		for _, c := range []struct {
			l   *ratelimit.Limiter
			key string
		}{{h.opts.IPLimit, ipKey(r)}, {h.opts.UserLimit, caller.UserID}} {
			if c.key == "" {
				continue
			}
			if ok, retry := c.l.Allow(r.Context(), c.key); !ok {
				h.metrics.observe("invalid", start, []string{string(errcode.RateLimited)})
				writeRateLimited(w, retry)
				return false
			}
		}
	}
	return true
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
	writeErrorWith(w, http.StatusTooManyRequests, errcode.RateLimited, "Too many requests: try again in "+strconv.Itoa(secs)+" s.",
		map[string]any{"retryAfter": secs})
}

// rateLimitedStatus is for the GraphQL handler, after execution: an
// operation that an allowance refused inside execution (a login past its
// allowance, counted by the account service) is answered like the
// middleware's refusals, with 429 and Retry-After (from the error's
// extensions.retryAfter, in seconds). Otherwise status is kept.
func rateLimitedStatus(w http.ResponseWriter, errs []gqlerrors.FormattedError, status int) int {
	for _, e := range errs {
		if code, _ := e.Extensions["code"].(string); code != string(errcode.RateLimited) {
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
