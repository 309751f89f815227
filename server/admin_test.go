package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"shop/internal/testenv"
	"shop/web"
)

func serveAdmin(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// TestAdminApp: every app route gets index.html under the strict CSP, the
// hashed assets are cached for good, and a missing asset is a 404, never
// the page.
func TestAdminApp(t *testing.T) {
	t.Parallel()
	const page = `<!doctype html><script type="module" src="/admin/assets/index-abc.js"></script>`
	h := adminApp(fstest.MapFS{
		"index.html":          {Data: []byte(page)},
		"assets/index-abc.js": {Data: []byte("console.log(1)")},
	})
	for _, path := range []string{"/admin", "/admin/", "/admin/orders", "/admin/orders/3f2a", "/admin/products?stock=low"} {
		rec := serveAdmin(t, h, http.MethodGet, path)
		if rec.Code != http.StatusOK || rec.Body.String() != page {
			t.Errorf("GET %s: %d %q, want the app", path, rec.Code, rec.Body.String())
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != adminCSP {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, got)
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("GET %s: Content-Type %q", path, got)
		}
	}
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'"} {
		if !strings.Contains(adminCSP, want+";") && !strings.HasSuffix(adminCSP, want) {
			t.Errorf("the CSP lacks %q", want)
		}
	}
	if strings.Contains(adminCSP, "unsafe-inline") || strings.Contains(adminCSP, "unsafe-eval") {
		t.Errorf("the CSP allows inline code: %s", adminCSP)
	}

	rec := serveAdmin(t, h, http.MethodGet, "/admin/assets/index-abc.js")
	if rec.Code != http.StatusOK || rec.Body.String() != "console.log(1)" {
		t.Fatalf("asset: %d %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control %q", got)
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/javascript") {
		t.Errorf("asset Content-Type %q", got)
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != adminCSP {
		t.Errorf("asset CSP %q", got)
	}
	for _, path := range []string{"/admin/assets/index-old.js", "/admin/assets/", "/admin/assets/../index.html"} {
		if rec := serveAdmin(t, h, http.MethodGet, path); rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "<script") {
			t.Errorf("GET %s: %d %q, want a 404", path, rec.Code, rec.Body.String())
		}
	}
	if rec := serveAdmin(t, h, http.MethodPost, "/admin/orders"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
}

// TestAdminAppUnbuilt: without a build, /admin says how to make one.
func TestAdminAppUnbuilt(t *testing.T) {
	t.Parallel()
	h := adminApp(fstest.MapFS{})
	for _, path := range []string{"/admin", "/admin/orders"} {
		rec := serveAdmin(t, h, http.MethodGet, path)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make assets") {
			t.Errorf("GET %s: %d %q, want 503 naming make assets", path, rec.Code, rec.Body.String())
		}
		if n := strings.Count(strings.TrimSpace(rec.Body.String()), "\n"); n != 0 {
			t.Errorf("GET %s: the page has %d lines, want one", path, n+1)
		}
	}
	if rec := serveAdmin(t, h, http.MethodGet, "/admin/assets/index-abc.js"); rec.Code != http.StatusNotFound {
		t.Errorf("asset without a build: %d, want 404", rec.Code)
	}
}

// TestAdminRoute: the router sends /admin and everything under it to the
// app, with the usual security headers, and so the pages the emails link
// to: /reset-password and /verify-email (issue 21).
func TestAdminRoute(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	for _, path := range []string{"/admin", "/admin/customers/x", "/reset-password?token=abc", "/verify-email?token=abc"} {
		rec := serveAdmin(t, h, http.MethodGet, path)
		if got := rec.Header().Get("Content-Security-Policy"); got != adminCSP {
			t.Errorf("GET %s: %d, CSP %q", path, rec.Code, got)
		}
		if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers missing: %v", path, rec.Header())
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusServiceUnavailable {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
}

// TestAssetsServeOnlyTopLevelFiles: /assets/ is GraphiQL's build. It lists
// no folder, and the dashboard's files are reachable only under /admin,
// with the dashboard's stricter policy.
func TestAssetsServeOnlyTopLevelFiles(t *testing.T) {
	t.Parallel()
	testenv.NeedAssets(t, web.HasGraphiQL())
	h := New(Options{})
	for _, path := range []string{"/assets/", "/assets/admin/", "/assets/admin/index.html", "/assets/admin/assets/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404; body %.200s", path, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/versions.json", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("GET /assets/versions.json: %d, want 200 (make assets builds it)", rec.Code)
	}
}
