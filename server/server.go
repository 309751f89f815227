// Package server is shop's HTTP face: routing, the GraphQL endpoint, the
// health check and the pages, with the middleware every request passes.
package server

import (
	"context"
	"crypto/subtle"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/graphql-go/graphql"
	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"

	"shop/clientip"
	"shop/docguard"
	"shop/errcode"
	"shop/models"
	"shop/ratelimit"
	"shop/web"
)

// Pinger is a dependency the health check asks after.
type Pinger interface {
	Ping(ctx context.Context) error
	Kind() string
}

// Options is everything the HTTP layer needs.
type Options struct {
	Schema graphql.Schema
	// Prepare adds per-request state (dataloaders) to a request's context.
	Prepare        func(context.Context) context.Context
	Database       Pinger
	Cache          Pinger
	Logger         *slog.Logger
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	// Queries shares automatic persisted queries between instances; nil
	// keeps them in this process only.
	Queries QueryStore
	// Responses caches whole responses of operations that read only the
	// catalog, and a customer's own of operations that read only its
	// orders and the catalog; nil turns that off.
	Responses ResponseCache
	// DocumentCacheSize bounds the parsed-document cache's entries (default
	// 1000), DocumentCacheBytes the memory they hold (default 32 MiB).
	DocumentCacheSize  int
	DocumentCacheBytes int64
	// Limits bound every GraphQL document before graphql-go parses and
	// validates it (see docguard); a zero field is no limit.
	Limits docguard.Limits
	// Costs are what the schema's fields cost (schema.Costs): list sizes,
	// text weights, and the fields that reach the database.
	Costs docguard.Costs
	// AdminMaxCost, when set, replaces Limits.MaxCost for admins' requests:
	// the largest pages are theirs to ask for.
	AdminMaxCost int
	// MaxResponseBytes stops a response that grows past it while it
	// executes (RESPONSE_TOO_LARGE); AdminMaxResponseBytes, when set,
	// replaces it for admins. 0 is no limit.
	MaxResponseBytes, AdminMaxResponseBytes int
	// DisableIntrospection refuses operations that select __schema or
	// __type.
	DisableIntrospection bool
	// Metrics receives the HTTP layer's series and is served on /metrics;
	// nil means a private registry.
	Metrics *prometheus.Registry
	// MetricsToken, when set, must be sent as "Authorization: Bearer …"
	// to read /metrics.
	MetricsToken string
	// TrustedProxies are the peers whose X-Forwarded-For names the client;
	// none means the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// TrustedProxyHops, when set, is how many proxies stand in front of
	// the service: the client is that many entries from the right of
	// X-Forwarded-For (see clientip.Proxies).
	TrustedProxyHops int
	// IPLimit and UserLimit bound /graphql requests per client address and
	// per signed-in user; nil turns one off.
	IPLimit, UserLimit *ratelimit.Limiter
	// CORSOrigins may call the API from browser pages; none sends no CORS
	// headers, so browsers refuse cross-origin calls.
	CORSOrigins []string
	// NoGraphiQL switches the in-browser IDE off (GRAPHIQL=false).
	NoGraphiQL bool
	// Authenticate verifies the access token of a /graphql request's
	// "Authorization: Bearer" header; nil refuses every token.
	Authenticate func(token string) (models.Caller, error)
	// Webhooks receives POST /webhooks/{provider}; nil answers 404.
	Webhooks WebhookReceiver
	// InFlight bounds the /graphql requests held at once, per client and
	// in all; zero is no limit.
	InFlight InFlightLimits
	// WriteStall, when set, cuts a /graphql response whose client takes
	// nothing of it for that long; WriteTimeout is the server's own, which
	// the renewed deadlines never pass.
	WriteStall, WriteTimeout time.Duration
	// Subscriptions serve GraphQL subscriptions over WebSocket on /graphql
	// (graphql-transport-ws); without a Hub, upgrades are refused.
	Subscriptions SubscriptionOptions
}

// ResponseCache keeps whole responses of catalog-only operations, valid
// while what they read is unchanged. On a miss, the request executes under
// exec (which records what it reads), and fill stores the response
// computed for it.
type ResponseCache interface {
	Response(ctx context.Context, key string) (body []byte, ok bool, exec context.Context, fill func([]byte))
	// CustomerResponse is Response for a response only customerID may
	// see, kept apart from everyone else's.
	CustomerResponse(ctx context.Context, customerID, key string) (body []byte, ok bool, exec context.Context, fill func([]byte))
}

// New returns the service's HTTP handler.
func New(o Options) http.Handler {
	if o.Prepare == nil {
		o.Prepare = func(ctx context.Context) context.Context { return ctx }
	}
	if o.DocumentCacheSize <= 0 {
		o.DocumentCacheSize = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DocumentCacheBytes <= 0 {
		o.DocumentCacheBytes = 32 << 20
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	m := newMetrics(o.Metrics)
	// Responses over 1 KiB are compressed for clients that accept gzip;
	// smaller ones cost more to compress than they save.
	gzip, err := gzhttp.NewWrapper(gzhttp.MinSize(1024))
	if err != nil {
		panic(err) // only for invalid options, which are fixed here
	}

	r := chi.NewRouter()
	r.Use(requestIDs, clientIPs(clientip.Proxies{Trusted: o.TrustedProxies, Hops: o.TrustedProxyHops}), accessLog(o.Logger, m), recoverer(o.Logger), securityHeaders)
	if len(o.CORSOrigins) > 0 {
		r.Use(corsFor(o.CORSOrigins))
	}

	docs := newDocumentCache(o.Logger, &o.Schema, docguard.NewSchema(&o.Schema, o.Costs), o.Limits, o.DocumentCacheSize, o.DocumentCacheBytes)
	registerDocumentCache(o.Metrics, docs)
	gqlHandler := &graphqlHandler{opts: o, docs: docs, metrics: m}
	var gql http.Handler = gzip(gqlHandler)
	if o.NoGraphiQL {
		gql = noGraphiQL(gql)
		r.Get("/static/graphiql.html", graphiQLOff)
	}
	// The client's address is known (clientIPs); the per-IP limit comes
	// before authentication, so a flood costs no token checks, and the
	// per-user limit after it, when the caller is known. Every method goes
	// to the handler, which answers those it doesn't serve with a 405.
	authn := func(next http.Handler) http.Handler { return authenticate(o.Authenticate, next) }
	// What is held comes first: a refusal there costs nothing, and counts
	// against no allowance.
	held := newInFlight(o.InFlight, o.Metrics)
	requests := chi.Chain(limitInFlight(held, o.MaxBodyBytes), stallWrites(o.WriteStall, o.WriteTimeout), limitByIP(o.IPLimit), authn, limitByUser(o.UserLimit)).Handler(gql)
	// A WebSocket upgrade of /graphql is a subscriptions connection: it
	// holds no request slot (it lives for hours), its token comes in
	// connection_init, and each connection counts once against the per-IP
	// allowance.
	sockets := limitByIP(o.IPLimit)(newSubscriptionHandler(gqlHandler, o.Subscriptions, o.CORSOrigins, o.Metrics))
	r.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			sockets.ServeHTTP(w, r)
			return
		}
		requests.ServeHTTP(w, r)
	}))
	// Payment providers' webhooks: signed, so neither a token nor the
	// per-IP limit applies (a provider sends from few addresses, in
	// bursts).
	r.Post("/webhooks/{provider}", webhooks(o.Webhooks, o.MaxBodyBytes, o.RequestTimeout, o.Logger))
	r.Handle("/metrics", bearer(o.MetricsToken, metricsHandler(o.Metrics)))
	r.Get("/health", health(o.Database, o.Cache, o.Logger))
	r.Get("/", page("index.html"))
	r.Handle("/static/*", http.StripPrefix("/static/", assets(web.Static())))
	r.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	r.Handle("/assets/*", http.StripPrefix("/assets/", assets(web.Dist())))
	// The admin dashboard: a single-page app that signs in and works
	// through /graphql like any client (server/admin.go).
	admin := gzip(adminApp(web.Admin()))
	r.Handle("/admin", admin)
	r.Handle("/admin/*", admin)
	// Methods chi knows no route for (PROPFIND, FOO…) get the same
	// GraphQL-shaped 405 as the rest, not an empty body.
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "This endpoint does not answer "+r.Method+" requests.")
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errcode.NotFound, "No such endpoint: try /graphql, /health or /.")
	})
	return r
}

func assets(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Both folders are flat: anything deeper (the dashboard's build
		// under dist/) is not theirs to serve.
		if strings.Contains(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		pageHeaders(w.Header())
		files.ServeHTTP(w, r)
	})
}

func page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && name == "index.html" {
			http.NotFound(w, r)
			return
		}
		serveStaticPage(w, r, name)
	}
}

func serveStaticPage(w http.ResponseWriter, r *http.Request, name string) {
	b, err := fs.ReadFile(web.Static(), name)
	if err != nil {
		http.Error(w, "page missing from the build", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	pageHeaders(h)
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// bearer lets a request through only with the token, when there is one.
func bearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, "Send the metrics token as Authorization: Bearer <token>.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
