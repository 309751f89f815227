package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/app"
)

func sha(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

// MustPostRaw sends body to /graphql and decodes the answer.
func (in *instance) MustPostRaw(tb testing.TB, body map[string]any) gqlResponse {
	tb.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(in.URL+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	return mustDecode(tb, resp)
}

// TestAutomaticPersistedQueries follows the Apollo protocol: a hash alone
// is refused until the query has been sent once with it, on any instance.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	id := a.MustCreateProduct(t, 6.5, 3)
	q := `query P($id: String!) { getProductsById(id: $id) { price stockCount } }`
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(q)}}
	vars := map[string]any{"id": id}

	r := a.MustPostRaw(t, map[string]any{"extensions": ext, "variables": vars})
	if r.Status != 200 || r.Code() != "PERSISTED_QUERY_NOT_FOUND" || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %d %+v", r.Status, r.Errors)
	}
	r = a.MustPostRaw(t, map[string]any{"query": q, "extensions": ext, "variables": vars})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"price":6.5`) {
		t.Fatalf("register: %+v %s", r.Errors, r.Data)
	}
	// The hash alone now works, on this instance and on another one.
	for _, in := range []*instance{a, b} {
		r = in.MustPostRaw(t, map[string]any{"extensions": ext, "variables": vars})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"stockCount":3`) {
			t.Fatalf("hash only: %+v %s", r.Errors, r.Data)
		}
	}
	// Over GET too, so responses can be cached by HTTP caches.
	extJSON, _ := json.Marshal(ext)
	varsJSON, _ := json.Marshal(vars)
	resp, err := http.Get(b.URL + "/graphql?extensions=" + url.QueryEscape(string(extJSON)) + "&variables=" + url.QueryEscape(string(varsJSON)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if r := mustDecode(t, resp); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"price":6.5`) {
		t.Fatalf("GET hash only: %+v %s", r.Errors, r.Data)
	}
	// Two persisted queries with the same variables, sent by hash alone,
	// keep their own answers (the response cache keys on the document).
	q2 := `query P($id: String!) { getProductsById(id: $id) { productId } }`
	ext2 := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(q2)}}
	a.MustPostRaw(t, map[string]any{"query": q2, "extensions": ext2, "variables": vars})
	for i := 0; i < 2; i++ {
		r1 := b.MustPostRaw(t, map[string]any{"extensions": ext, "variables": vars})
		r2 := b.MustPostRaw(t, map[string]any{"extensions": ext2, "variables": vars})
		if !strings.Contains(string(r1.Data), `"price"`) || strings.Contains(string(r2.Data), `"price"`) || !strings.Contains(string(r2.Data), id) {
			t.Fatalf("persisted queries mixed up: %s / %s", r1.Data, r2.Data)
		}
	}
	// A hash that does not match the query is refused.
	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha("something else")}}
	if r := a.MustPostRaw(t, map[string]any{"query": q, "extensions": bad, "variables": vars}); r.Status != 400 || r.Code() != "BAD_REQUEST" {
		t.Fatalf("mismatched hash: %d %+v", r.Status, r.Errors)
	}
}

// MustMetric reads one sample from /metrics; labels are matched as text.
func (in *instance) MustMetric(tb testing.TB, name, labels string) float64 {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.URL+"/metrics", nil)
	if in.metricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+in.metricsToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? ([0-9.e+-]+)$`)
	total, found := 0.0, false
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		if labels == "" || strings.Contains(m[1], labels) {
			v, _ := strconv.ParseFloat(m[2], 64)
			total += v
			found = true
		}
	}
	if !found {
		tb.Fatalf("metric %s{%s} not found in:\n%s", name, labels, body)
	}
	return total
}

// TestWarmReadsRunNoSQL: once the cache is warm, reading a product and a
// page of the catalog sends no SQL at all.
func TestWarmReadsRunNoSQL(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	// What is measured is the cache's answer when Redis answers: with the
	// whole suite running on two cores, a Redis call past the default
	// 150 ms sent its read to the database (40 statements in one run).
	env["REDIS_TIMEOUT"] = "10s"
	in := MustStart(t, env)
	id := in.MustCreateProduct(t, 1, 1)
	list := `{ getProducts(limit: 50) { productId price } }`
	in.MustStock(t, id)
	in.MustData(t, list, nil, &struct{}{})
	before := in.MustMetric(t, "shop_sql_statements_total", "")
	for i := 0; i < 20; i++ {
		in.MustStock(t, id)
		in.MustData(t, list, nil, &struct{}{})
	}
	if after := in.MustMetric(t, "shop_sql_statements_total", ""); after != before {
		t.Fatalf("warm reads sent %v SQL statements", after-before)
	}
	if in.MustMetric(t, "shop_cache_hits_total", "") < 40 {
		t.Fatal("cache hits not counted")
	}
}

func TestMetricsAndDocumentCache(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	q := `{ getProducts(limit: 3) { productId } }`
	for i := 0; i < 5; i++ {
		in.MustData(t, q, nil, &struct{}{})
	}
	in.MustPost(t, `{ getProductsById(id: "x") { productId } }`, nil)
	if hits := in.MustMetric(t, "shop_graphql_documents_total", `result="hit"`); hits < 4 {
		t.Fatalf("document cache hits = %v after 5 identical queries", hits)
	}
	if n := in.MustMetric(t, "shop_graphql_requests_total", `operation="getProducts",outcome="ok"`); n != 5 {
		t.Fatalf("getProducts requests = %v, want 5", n)
	}
	if n := in.MustMetric(t, "shop_graphql_errors_total", `code="BAD_USER_INPUT"`); n != 1 {
		t.Fatalf("BAD_USER_INPUT errors = %v, want 1", n)
	}
	in.MustMetric(t, "shop_graphql_request_duration_seconds_bucket", `operation="getProducts"`)
	in.MustMetric(t, "go_sql_max_open_connections", `db_name="shop"`)
	in.MustMetric(t, "shop_sql_statements_total", "")
}

// TestMetricsToken: /metrics needs the token wherever one is set, and a
// deployment on PostgreSQL refuses to start without one; only the embedded
// default (a machine of one's own) is open.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	get := func(in *instance, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, in.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	embedded := EmbeddedEnv(t)
	embedded["METRICS_TOKEN"] = "s3cret"
	postgres := PostgresRedisEnv(t)
	postgres["METRICS_TOKEN"] = "s3cret"
	for name, env := range map[string]map[string]string{"embedded": embedded, "PostgreSQL": postgres} {
		in := MustStart(t, env)
		for _, tt := range []struct {
			auth string
			want int
		}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"Bearer s3cre", http.StatusUnauthorized},
			{"Basic s3cret", http.StatusUnauthorized}, {"Bearer s3cret", http.StatusOK}} {
			if code := get(in, tt.auth); code != tt.want {
				t.Errorf("%s, Authorization %q: %d, want %d", name, tt.auth, code, tt.want)
			}
		}
		if strings.Contains(in.logs.String(), "s3cret") {
			t.Fatalf("%s: the metrics token was logged", name)
		}
	}
	if code := get(MustStart(t, EmbeddedEnv(t)), ""); code != http.StatusOK {
		t.Errorf("embedded without METRICS_TOKEN: %d, want 200 (open)", code)
	}
	delete(postgres, "METRICS_TOKEN")
	// Refused before anything starts; the deadline only ends a server that
	// did start, so that the test fails rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := app.Run(ctx, func(k string) string { return postgres[k] }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "METRICS_TOKEN: required with DATABASE_URL") {
		t.Fatalf("PostgreSQL without METRICS_TOKEN: run = %v, want a refusal naming METRICS_TOKEN", err)
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	for i := 0; i < 30; i++ {
		in.MustCreateProduct(t, float64(i), i)
	}
	fetch := func(query string) (*http.Response, []byte) {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	resp, raw := fetch(`{ getProducts { productId price stockCount lastUpdated } }`)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("large response not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !json.Valid(plain) || !strings.Contains(string(plain), "getProducts") {
		t.Fatalf("gzipped body is not the response: %q", plain)
	}
	resp, _ = fetch(`{ getProducts(limit: 1) { productId } }`)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		t.Fatal("a tiny response was gzipped")
	}
}
