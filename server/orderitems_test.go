package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Hostile finding 17.2: a page of orders read every line of every order
// whatever the query selected, while its cost counted only what it
// selected: 10 aliases of getOrders(limit: 1000) { __typename } cost about
// 10,000 and read a million item rows. A page reads the lines only when
// items is selected (through a fragment too), so each alias without them
// sends one statement fewer than the same alias with them: none for the
// lines.
func TestOrderPagesReadItemsOnlyWhenSelected(t *testing.T) {
	h := MustHandler(t)
	admin := func(query string, vars map[string]any) (json.RawMessage, uint64) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+h.adminToken)
		before := h.store.Statements()
		out := MustServe(t, h, r)
		if len(out.Errors) > 0 {
			t.Fatalf("%s: %s", query, out.Errors[0].Message)
		}
		return out.Data, h.store.Statements() - before
	}
	var ids []string
	for range 2 {
		var p struct {
			CreateProduct struct{ ProductID string } `json:"createProduct"`
		}
		data, _ := admin(`mutation { createProduct(input: {price: 2.5, stockCount: 1000}) { productId } }`, nil)
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.CreateProduct.ProductID)
	}
	for range 5 {
		items := []map[string]any{{"productId": ids[0], "quantity": 1}, {"productId": ids[1], "quantity": 2}}
		admin(`mutation($in: CreateOrderInput!) { createOrder(input: $in) { orderId } }`, map[string]any{"in": map[string]any{"customerId": "customer-9", "items": items}})
	}
	const aliases = 10
	repeat := func(format string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range aliases {
			fmt.Fprintf(&b, format, i)
		}
		return b.String() + " }"
	}
	const lines = " fragment Lines on Order { items { id } }"
	for _, c := range []struct{ name, without, with string }{
		{"getOrders", repeat(` a%d: getOrders(limit: 20) { __typename }`), repeat(` a%d: getOrders(limit: 20) { orderId items { id } }`)},
		{"getOrders, items in a fragment", repeat(` a%d: getOrders(limit: 20) { orderId }`), repeat(` a%d: getOrders(limit: 20) { orderId ...Lines }`) + lines},
		{"orders", repeat(` a%d: orders(first: 20) { edges { node { orderId } } pageInfo { hasNextPage } }`),
			repeat(` a%d: orders(first: 20) { edges { node { orderId ... on Order { items { id } } } } }`)},
	} {
		_, bare := admin(c.without, nil)
		data, full := admin(c.with, nil)
		if full != bare+aliases {
			t.Errorf("%s: %d statements without items, %d with them; want one more for each of the %d aliases with them", c.name, bare, full, aliases)
		}
		// The lines are there when selected: 6 orders (MustHandler's of
		// 1 line and these 5 of 2), in each alias.
		if n, want := strings.Count(string(data), `"id"`), aliases*(1+5*2); n != want {
			t.Errorf("%s: %d lines in %d aliases, want %d", c.name, n, aliases, want)
		}
	}
}
