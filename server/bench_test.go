package server_test

import (
	"bytes"
	"encoding/json"
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

// BenchmarkExecutedReads are the reads make bench's scenarios 3 and 5
// execute in full on every request, through the whole handler on SQLite:
// an admin's getOrders(limit: 20) with items and products (never cached),
// and products(first: 50) after a cursor (asked for by an admin, whose
// product lists include inactive ones; the page's ids come from the cache
// once read, its products from their own entries).
func BenchmarkExecutedReads(b *testing.B) {
	h := MustHandler(b)
	admin := func(query string, vars map[string]any) response {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+h.adminToken)
		out := MustServe(b, h, r)
		if len(out.Errors) > 0 {
			b.Fatalf("%s: %s", query, out.Errors[0].Message)
		}
		return out
	}
	var ids []string
	for i := 0; i < 60; i++ {
		var d struct {
			CreateProduct struct{ ProductID string } `json:"createProduct"`
		}
		out := admin(`mutation($p: Float!) { createProduct(input: {price: $p, stockCount: 1000}) { productId } }`, map[string]any{"p": 1 + i})
		if err := json.Unmarshal(out.Data, &d); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.CreateProduct.ProductID)
	}
	for i := 0; i < 20; i++ {
		items := []map[string]any{}
		for j := 0; j < 3; j++ {
			items = append(items, map[string]any{"productId": ids[3*i+j], "quantity": 1})
		}
		admin(`mutation($in: CreateOrderInput!) { createOrder(input: $in) { orderId } }`, map[string]any{"in": map[string]any{"customerId": "customer-7", "items": items}})
	}
	var first struct {
		Products struct{ PageInfo struct{ EndCursor string } } `json:"products"`
	}
	if err := json.Unmarshal(admin(`{ products(first: 5) { pageInfo { endCursor } } }`, nil).Data, &first); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"getOrders(limit: 20)", `{ getOrders(limit: 20) { orderId customerId totalAmount status createdAt items { productId quantity priceAtPurchase product { productId price } } } }`, nil},
		{"products(first: 50, after)", `query($after: String) { products(first: 50, after: $after) { edges { cursor node { productId price stockCount } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": first.Products.PageInfo.EndCursor}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			admin(bc.query, bc.vars)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				admin(bc.query, bc.vars)
			}
		})
	}
}
