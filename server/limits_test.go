package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"

	"shop/auth"
	"shop/clientip"
	"shop/internal/testenv"
	"shop/models"
	"shop/ratelimit"
	"shop/web"
)

// tinySchema is enough GraphQL to see requests through the real handler.
func tinySchema(tb testing.TB) graphql.Schema {
	tb.Helper()
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{"hello": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) {
			return "world", nil
		}}},
	})})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustServe serves New(o) on a real loopback listener until the test ends.
func MustServe(tb testing.TB, o Options) string {
	tb.Helper()
	o.Schema = tinySchema(tb)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 10 * time.Second
	}
	srv := httptest.NewServer(New(o))
	tb.Cleanup(srv.Close)
	return srv.URL
}

type reply struct {
	status int
	header http.Header
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Data map[string]any `json:"data"`
}

func (r reply) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// mustDo sends a request with headers given as name, value pairs.
func mustDo(tb testing.TB, method, url, body string, headers ...string) reply {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r); err != nil {
			tb.Fatalf("%s %s: %v in %q", method, url, err, b)
		}
	}
	return r
}

const hello = `{"query":"{ hello }"}`

// mustRateLimited checks a refusal's whole shape: 429, Retry-After in
// whole seconds, and the same number in the GraphQL body.
func mustRateLimited(tb testing.TB, r reply) {
	tb.Helper()
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || err != nil || secs < 1 || r.code() != "RATE_LIMITED" {
		tb.Fatalf("status %d, Retry-After %q, errors %+v; want 429 RATE_LIMITED with Retry-After", r.status, r.header.Get("Retry-After"), r.Errors)
	}
	if got, _ := r.Errors[0].Extensions["retryAfter"].(float64); int(got) != secs {
		tb.Fatalf("extensions.retryAfter = %v, Retry-After = %d", r.Errors[0].Extensions["retryAfter"], secs)
	}
}

func TestPerIPLimit(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	closed := mustLimiterRedis(t, "redis://"+testenv.ClosedAddr(t), "down:", &logs)
	down := ratelimit.Batched(closed, ratelimit.Allowance{Name: "ip", Limit: 3, Window: time.Hour, Key: ratelimit.ByIP}, time.Hour)
	for _, tt := range []struct {
		name string
		l    *ratelimit.Limiter
	}{
		{"in process", ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 3, Window: time.Hour, Key: ratelimit.ByIP})},
		{"Redis down", down},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := MustServe(t, Options{IPLimit: tt.l})
			for i := 0; i < 3; i++ {
				if r := mustDo(t, "POST", url+"/graphql", hello); r.status != 200 || r.Data["hello"] != "world" {
					t.Fatalf("request %d: %d %+v", i+1, r.status, r.Errors)
				}
			}
			mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello))
			mustRateLimited(t, mustDo(t, "GET", url+"/graphql?query={hello}", ""))
			// Without TRUSTED_PROXIES a forwarded address changes nothing.
			mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "203.0.113.9"))
			// Only /graphql is limited: pages, assets and /health are not.
			if r := mustDo(t, "GET", url+"/", ""); r.status != 200 {
				t.Fatalf("the landing page: %d", r.status)
			}
		})
	}
	// Each failed flush keeps its counts for the next one, which fails too.
	for i := 0; i < 3; i++ {
		if err := down.Flush(context.Background()); err == nil {
			t.Fatal("a flush to a closed port succeeded")
		}
	}
	if n := logs.count("Redis is not answering"); n != 1 {
		t.Fatalf("Redis outage logged %d times, want once:\n%s", n, logs.String())
	}
}

// Two servers on one Redis prefix share the per-IP allowance, within one
// flush of each other.
func TestPerIPLimitSharedBetweenInstances(t *testing.T) {
	t.Parallel()
	redisURL, prefix := testenv.MustRedis(t)
	allowance := ratelimit.Allowance{Name: "ip", Limit: 3, Window: 24 * time.Hour, Key: ratelimit.ByIP}
	var logs lockedBuffer
	la := ratelimit.Batched(mustLimiterRedis(t, redisURL, prefix, &logs), allowance, time.Hour) // flushed by hand
	lb := ratelimit.Batched(mustLimiterRedis(t, redisURL, prefix, &logs), allowance, time.Hour)
	a, b := MustServe(t, Options{IPLimit: la}), MustServe(t, Options{IPLimit: lb})
	ctx := context.Background()

	for i := 0; i < 2; i++ {
		if r := mustDo(t, "POST", a+"/graphql", hello); r.status != 200 {
			t.Fatalf("a, request %d: %d", i+1, r.status)
		}
	}
	if err := la.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if r := mustDo(t, "POST", b+"/graphql", hello); r.status != 200 {
		t.Fatalf("b, first request: %d", r.status)
	}
	if err := lb.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 3 in all: b refuses although it saw only one of them.
	mustRateLimited(t, mustDo(t, "POST", b+"/graphql", hello))
	if logs.String() != "" {
		t.Fatalf("logged with Redis up: %s", logs.String())
	}
}

// Through a real connection (whose peer is 127.0.0.1): X-Forwarded-For
// counts only from a trusted peer, and prepending addresses to it does
// not buy an attacker a fresh allowance.
func TestForwardedForOverHTTP(t *testing.T) {
	t.Parallel()
	l := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 2, Window: time.Hour, Key: ratelimit.ByIP})
	url := MustServe(t, Options{IPLimit: l, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for i := 0; i < 2; i++ {
		if r := mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "203.0.113.9"); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "203.0.113.9"))
	mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "192.0.2.77, 203.0.113.9"))
	mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "192.0.2.77", "X-Forwarded-For", "203.0.113.9"))
	if r := mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "203.0.113.10"); r.status != 200 {
		t.Fatalf("another client behind the proxy: %d", r.status)
	}
}

// Zone ids in a forwarded address ("%z0", "%z1"…) make no new clients.
func TestForwardedZonesShareALimit(t *testing.T) {
	t.Parallel()
	l := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 2, Window: time.Hour, Key: ratelimit.ByIP})
	url := MustServe(t, Options{IPLimit: l, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for i := 0; i < 2; i++ {
		if r := mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", fmt.Sprintf("2001:db8:bbbb:1::1%%z%d", i)); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	for i := 2; i < 5; i++ {
		mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", fmt.Sprintf("2001:db8:bbbb:1::1%%z%d", i)))
	}
	mustRateLimited(t, mustDo(t, "POST", url+"/graphql", hello, "X-Forwarded-For", "[2001:db8:bbbb:1::9%z9]:443"))
}

// The per-user limit follows the account across addresses. A stand-in
// for the account service's middleware signs requests in from a header.
func TestPerUserLimit(t *testing.T) {
	t.Parallel()
	signIn := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id := r.Header.Get("X-Test-User"); id != "" {
				r = r.WithContext(auth.WithCaller(r.Context(), models.Caller{UserID: id, Role: models.RoleCustomer}))
			}
			next.ServeHTTP(w, r)
		})
	}
	var seen sync.Map // client addresses the handler saw
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(clientip.From(r.Context()), true)
		w.WriteHeader(http.StatusNoContent)
	})
	ipLimit := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 100, Window: time.Hour, Key: ratelimit.ByIP})
	userLimit := ratelimit.Local(ratelimit.Allowance{Name: "user", Limit: 3, Window: time.Hour})
	chain := clientIPs(clientip.Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})(
		limitByIP(ipLimit)(signIn(limitByUser(userLimit)(ok))))
	srv := httptest.NewServer(chain)
	defer srv.Close()

	for i, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if r := mustDo(t, "POST", srv.URL, hello, "X-Forwarded-For", ip, "X-Test-User", "u1"); r.status != http.StatusNoContent {
			t.Fatalf("u1 request %d: %d", i+1, r.status)
		}
	}
	mustRateLimited(t, mustDo(t, "POST", srv.URL, hello, "X-Forwarded-For", "203.0.113.4", "X-Test-User", "u1"))
	if r := mustDo(t, "POST", srv.URL, hello, "X-Forwarded-For", "203.0.113.4", "X-Test-User", "u2"); r.status != http.StatusNoContent {
		t.Fatalf("another user: %d", r.status)
	}
	for i := 0; i < 5; i++ {
		if r := mustDo(t, "POST", srv.URL, hello, "X-Forwarded-For", "203.0.113.4"); r.status != http.StatusNoContent {
			t.Fatalf("anonymous request %d: %d", i+1, r.status)
		}
	}
	if _, ok := seen.Load("203.0.113.4"); !ok {
		t.Fatal("the handler did not see the forwarded client address in clientip")
	}
}

func TestRateLimitedStatusAfterExecution(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	errs := []gqlerrors.FormattedError{{Message: "Too many login attempts.", Extensions: map[string]any{"code": "RATE_LIMITED", "retryAfter": 42}}}
	if got := rateLimitedStatus(w, errs, http.StatusOK); got != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "42" {
		t.Fatalf("status %d, Retry-After %q", got, w.Header().Get("Retry-After"))
	}
	w = httptest.NewRecorder()
	errs = []gqlerrors.FormattedError{{Message: "x", Extensions: map[string]any{"code": "FORBIDDEN"}}}
	if got := rateLimitedStatus(w, errs, http.StatusOK); got != http.StatusOK || w.Header().Get("Retry-After") != "" {
		t.Fatalf("other error: status %d, Retry-After %q", got, w.Header().Get("Retry-After"))
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	l := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 1, Window: time.Hour})
	url := MustServe(t, Options{CORSOrigins: []string{"https://shop.example.com"}, IPLimit: l})
	const allowed, other = "https://shop.example.com", "https://evil.example.net"

	r := mustDo(t, "OPTIONS", url+"/graphql", "", "Origin", allowed, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != allowed ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") ||
		r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight from an allowed origin: %d %v", r.status, r.header)
	}
	r = mustDo(t, "OPTIONS", url+"/graphql", "", "Origin", other, "Access-Control-Request-Method", "POST")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin allowed: %v", r.header)
	}
	// The browser session's header is never allowed across origins, even
	// from an allowed one: only the server's own pages use the cookie.
	r = mustDo(t, "OPTIONS", url+"/graphql", "", "Origin", allowed, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type, x-shop-session")
	if r.header.Get("Access-Control-Allow-Origin") != "" || strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "x-shop-session") {
		t.Fatalf("preflight for X-Shop-Session allowed: %d %v", r.status, r.header)
	}

	r = mustDo(t, "POST", url+"/graphql", hello, "Origin", allowed)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != allowed ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Fatalf("request from an allowed origin: %d %v", r.status, r.header)
	}
	// A refusal is readable by the page too, Retry-After included.
	r = mustDo(t, "POST", url+"/graphql", hello, "Origin", allowed)
	mustRateLimited(t, r)
	if r.header.Get("Access-Control-Allow-Origin") != allowed {
		t.Fatalf("429 without CORS headers: %v", r.header)
	}
	if r := mustDo(t, "POST", url+"/graphql", hello, "Origin", other); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("request from another origin allowed: %v", r.header)
	}

	// The default: no origins, no CORS headers at all.
	plain := MustServe(t, Options{})
	for _, r := range []reply{
		mustDo(t, "OPTIONS", plain+"/graphql", "", "Origin", allowed, "Access-Control-Request-Method", "POST"),
		mustDo(t, "POST", plain+"/graphql", hello, "Origin", allowed),
	} {
		for k := range r.header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Fatalf("default config sent %s: %v", k, r.header)
			}
		}
	}
}

// Every HTML page, the project's own files under /static included, comes
// with the CSP and the headers that keep it out of frames and sniffing.
func TestHTMLPagesHaveSecurityHeaders(t *testing.T) {
	t.Parallel()
	testenv.NeedAssets(t, web.HasGraphiQL())
	url := MustServe(t, Options{})
	pages := []struct{ path, accept string }{
		{"/", ""},
		{"/graphql", "text/html,application/xhtml+xml,*/*;q=0.8"},
		{"/static/", ""},
	}
	htmls, err := fs.Glob(web.Static(), "*.html")
	if err != nil || len(htmls) == 0 {
		t.Fatalf("no HTML in web/static: %v", err)
	}
	for _, name := range htmls {
		pages = append(pages, struct{ path, accept string }{"/static/" + name, ""})
	}
	for _, p := range pages {
		r := mustDo(t, "GET", url+p.path, "", "Accept", p.accept)
		h := r.header
		if r.status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", p.path, r.status, h.Get("Content-Type"))
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self';") ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: headers %v", p.path, h)
		}
	}
}

func TestGraphiQLSwitchedOff(t *testing.T) {
	t.Parallel()
	testenv.NeedAssets(t, web.HasGraphiQL())
	url := MustServe(t, Options{NoGraphiQL: true})
	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	r := mustDo(t, "GET", url+"/graphql", "", "Accept", browser)
	if r.status != http.StatusNotFound || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "switched off") {
		t.Fatalf("GET /graphql from a browser: %d %+v", r.status, r.Errors)
	}
	if r := mustDo(t, "GET", url+"/static/graphiql.html", ""); r.status != http.StatusNotFound {
		t.Fatalf("GET /static/graphiql.html: %d", r.status)
	}
	if r := mustDo(t, "GET", url+"/graphql?query={hello}", "", "Accept", browser+",application/json"); r.status != http.StatusNotFound {
		t.Fatalf("a browser navigating with a query got %d", r.status)
	}
	if r := mustDo(t, "GET", url+"/graphql?query={hello}", ""); r.status != 200 || r.Data["hello"] != "world" {
		t.Fatalf("GET query: %d %+v", r.status, r.Errors)
	}
	if r := mustDo(t, "POST", url+"/graphql", hello); r.status != 200 || r.Data["hello"] != "world" {
		t.Fatalf("POST: %d %+v", r.status, r.Errors)
	}
	// On by default.
	on := MustServe(t, Options{})
	if r := mustDo(t, "GET", on+"/graphql", "", "Accept", browser); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GraphiQL by default: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

// BenchmarkRequestChecks is what the rate-limit checks add to every
// /graphql request: deciding the client address and the per-IP and
// per-user limits (a batched limiter on real Redis, as in production),
// against the same request through no checks; then a whole small request
// through New with and without them, for scale.
func BenchmarkRequestChecks(b *testing.B) {
	redisURL, prefix := testenv.MustRedis(b)
	r := mustLimiterRedis(b, redisURL, prefix, io.Discard)
	ipLimit := ratelimit.Batched(r, ratelimit.Allowance{Name: "ip", Limit: 1 << 30, Window: time.Minute, Key: ratelimit.ByIP}, 100*time.Millisecond)
	userLimit := ratelimit.Batched(r, ratelimit.Allowance{Name: "user", Limit: 1 << 30, Window: time.Minute}, 100*time.Millisecond)
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{
		{"none", noop},
		{"clientIP+perIP+perUser", clientIPs(clientip.Proxies{})(limitByIP(ipLimit)(limitByUser(userLimit)(noop)))},
		{"trusted proxy+XFF", clientIPs(clientip.Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})(limitByIP(ipLimit)(limitByUser(userLimit)(noop)))},
	} {
		b.Run("middleware "+bb.name, func(b *testing.B) {
			req := httptest.NewRequest("POST", "/graphql", nil)
			req.RemoteAddr = "10.1.2.3:5555"
			req.Header.Set("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := httptest.NewRecorder()
				for pb.Next() {
					bb.h.ServeHTTP(w, req)
				}
			})
		})
	}
	for _, bb := range []struct {
		name string
		o    Options
	}{
		{"no limits", Options{}},
		{"limits", Options{IPLimit: ipLimit, UserLimit: userLimit}},
	} {
		b.Run("New "+bb.name, func(b *testing.B) {
			bb.o.Schema, bb.o.Logger, bb.o.MaxBodyBytes, bb.o.RequestTimeout = tinySchema(b), slog.New(slog.DiscardHandler), 1<<20, 10*time.Second
			h := New(bb.o)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/graphql", strings.NewReader(hello))
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}

func mustLimiterRedis(tb testing.TB, url, prefix string, log io.Writer) *ratelimit.Redis {
	tb.Helper()
	r, err := ratelimit.NewRedis(url, prefix, 500*time.Millisecond, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) count(s string) int { return strings.Count(l.String(), s) }
