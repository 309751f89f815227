package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkWarmRead is a warm catalog read through the whole handler (the
// document and the response cached), the path make bench's warm scenarios
// measure; the per-request checks (cost, introspection) are part of it.
func BenchmarkWarmRead(b *testing.B) {
	h := MustHandler(b)
	body := `{"query":"query($n: Int) { getProducts(limit: $n) { productId price stockCount } }","variables":{"n":50}}`
	serve := func() {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	serve()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve()
	}
}
