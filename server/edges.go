package server

import (
	"net/http"

	"github.com/go-chi/cors"

	"shop/errcode"
)

// pageCSP is the policy of every page the server sends: everything comes
// from this server and no script is inline, which GraphiQL (built into the
// binary, its start-up in /static/graphiql-init.js) works under; styles may
// be inline because GraphiQL sets them from script. frame-ancestors 'none'
// and X-Frame-Options (securityHeaders) keep pages out of frames.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// pageHeaders are set on every response that is or may be an HTML page:
// the pages and every static file (a directory listing is HTML too).
// X-Content-Type-Options, Referrer-Policy and X-Frame-Options are on every
// response already (securityHeaders).
func pageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
}

// corsFor lets pages from origins call the API from a browser. Tokens
// travel in Authorization, so credentials are not allowed; the browser
// session's cookie is for this server's own pages only, and its header
// (X-Shop-Session) is not allowed either, so no other origin can use it.
// Preflights are answered here, before the rate limits.
func corsFor(origins []string) func(http.Handler) http.Handler {
	return cors.Handler(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		// Idempotency-Key is for retried mutations (a later issue).
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"},
		ExposedHeaders: []string{"Retry-After", "X-Request-Id"},
		MaxAge:         600,
	})
}

// noGraphiQL stands in front of /graphql when GraphiQL is switched off: a
// browser asking for the IDE is told so; the API is untouched.
func noGraphiQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && wantsHTML(r) {
			graphiQLOff(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func graphiQLOff(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, errcode.NotFound, "GraphiQL is switched off on this server (GRAPHIQL=false). The API answers POST /graphql.")
}
