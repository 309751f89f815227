package e2e

import (
	"encoding/json"
	"slices"
	"testing"
)

// myOrdersQuery is what a mobile client polls: the caller's first page of
// orders with their items and products.
const myOrdersQuery = `{ orders(first: 20) { edges { node { orderId customerId status items { quantity product { productId stockCount } } } } } }`

// MustMyOrders reads the caller's orders(first: 20) and returns their ids,
// newest first, failing unless every one is the caller's and the response
// tells shared caches not to keep it.
func (c *client) MustMyOrders(tb testing.TB) []string {
	tb.Helper()
	return c.mustOrderIDs(tb, true)
}

// mustOrderIDs is MustMyOrders; own: fail unless every order is the
// caller's (false for an admin, who sees everyone's).
func (c *client) mustOrderIDs(tb testing.TB, own bool) []string {
	tb.Helper()
	r := c.MustPost(tb, myOrdersQuery, nil)
	if r.Status != 200 || len(r.Errors) > 0 {
		tb.Fatalf("orders: %d %+v", r.Status, r.Errors)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
		tb.Fatalf("orders: Cache-Control %q, want private, no-store", cc)
	}
	var out struct {
		Orders struct {
			Edges []struct {
				Node struct{ OrderID, CustomerID string }
			}
		}
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		tb.Fatalf("decode orders: %v\n%s", err, r.Data)
	}
	var ids []string
	for _, e := range out.Orders.Edges {
		if own && e.Node.CustomerID != c.ID {
			tb.Fatalf("customer %s was shown order %s of customer %s", c.ID, e.Node.OrderID, e.Node.CustomerID)
		}
		ids = append(ids, e.Node.OrderID)
	}
	return ids
}

// cacheServed runs read on in and reports whether the cache answered it
// whole: a response hit counts a hit and no miss, and runs no SQL.
func cacheServed(tb testing.TB, in *instance, read func()) bool {
	tb.Helper()
	hits, misses, sql := in.MustMetric(tb, "shop_cache_hits_total", ""), in.MustMetric(tb, "shop_cache_misses_total", ""), in.MustMetric(tb, "shop_sql_statements_total", "")
	read()
	return in.MustMetric(tb, "shop_cache_hits_total", "") > hits &&
		in.MustMetric(tb, "shop_cache_misses_total", "") == misses &&
		in.MustMetric(tb, "shop_sql_statements_total", "") == sql
}

// TestMyOrdersFromTheCache: a customer's orders(first: 20) and
// getOrderById are served from the cache, for that customer alone; a new
// order is in that customer's very next read on the instance that took it
// and on another one within the cross-instance bound; other customers'
// cached orders stay cached; admins' reads of orders are never cached.
func TestMyOrdersFromTheCache(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	forAlice, forBob := a.MustCreateProduct(t, 2.5, 100), a.MustCreateProduct(t, 4, 100)
	alice, _ := a.MustCustomer(t)
	bob, _ := a.MustCustomer(t)
	a1, b1 := alice.MustOrder(t, orderLine{forAlice, 1}), bob.MustOrder(t, orderLine{forBob, 1})

	// Warm: the first read of each executes, the next is a hit.
	for _, c := range []*client{alice, bob, alice.on(b), bob.on(b)} {
		c.MustMyOrders(t)
	}
	var got []string
	if !cacheServed(t, a, func() { got = alice.MustMyOrders(t) }) || !slices.Equal(got, []string{a1}) {
		t.Fatalf("alice's warm orders: %v, not served from the cache whole", got)
	}
	// The same query text with Bob's token: his orders, never hers.
	if !cacheServed(t, a, func() { got = bob.MustMyOrders(t) }) || !slices.Equal(got, []string{b1}) {
		t.Fatalf("bob's warm orders: %v, not served from the cache whole", got)
	}

	// Alice orders on a: her very next read on a shows it; on b within the
	// bound; Bob's cached orders are untouched.
	a2 := alice.MustOrder(t, orderLine{forAlice, 1})
	if got := alice.MustMyOrders(t); !slices.Equal(got, []string{a2, a1}) {
		t.Fatalf("alice's orders straight after her order on the same instance: %v, want %v", got, []string{a2, a1})
	}
	lag := MustSeeWithin(t, crossInstanceBound, func() bool { return slices.Equal(alice.on(b).MustMyOrders(t), []string{a2, a1}) })
	t.Logf("alice's order showed on the other instance after %s", lag)
	if !cacheServed(t, a, func() { got = bob.MustMyOrders(t) }) || !slices.Equal(got, []string{b1}) {
		t.Fatalf("bob's orders after alice's order: %v, no longer served from the cache", got)
	}
	if !cacheServed(t, b, func() { got = bob.on(b).MustMyOrders(t) }) || !slices.Equal(got, []string{b1}) {
		t.Fatalf("bob's orders on the other instance after alice's order: %v, no longer served from the cache", got)
	}

	// getOrderById: hers is cached for her; to Bob it is null.
	byID := func(c *client, id string) *string {
		var out struct{ GetOrderById *struct{ OrderID string } }
		c.MustData(t, `query($id: String!) { getOrderById(orderId: $id) { orderId items { product { stockCount } } } }`, map[string]any{"id": id}, &out)
		if out.GetOrderById == nil {
			return nil
		}
		return &out.GetOrderById.OrderID
	}
	byID(alice, a1)
	var one *string
	if !cacheServed(t, a, func() { one = byID(alice, a1) }) || one == nil || *one != a1 {
		t.Fatalf("alice's getOrderById(%s) = %v, not served from the cache whole", a1, one)
	}
	for i := 0; i < 2; i++ {
		if got := byID(bob, a1); got != nil {
			t.Fatalf("bob was shown alice's order %s", *got)
		}
	}

	// Orders beside the catalog are cached too; beside `me` (an account,
	// which no version covers) they are not.
	for _, tt := range []struct {
		query  string
		cached bool
	}{
		{`{ orders(first: 5) { edges { node { orderId } } } products(first: 5) { edges { node { productId stockCount } } } }`, true},
		{`{ getOrders(limit: 5) { orderId } getProductsById(id: "` + forAlice + `") { stockCount } }`, true},
		{`{ orders(first: 5) { edges { node { orderId } } } me { id } }`, false},
	} {
		var out map[string]any
		alice.MustData(t, tt.query, nil, &out)
		alice.MustData(t, tt.query, nil, &out) // products: a list's first ids come from the database
		if got := cacheServed(t, a, func() { alice.MustData(t, tt.query, nil, &out) }); got != tt.cached {
			t.Fatalf("%s: served from the cache %v, want %v", tt.query, got, tt.cached)
		}
	}

	// An admin's reads of orders are never cached: each one executes, and
	// shows every new order at once.
	admin := a.MustAdmin(t)
	admin.mustOrderIDs(t, false)
	if cacheServed(t, a, func() { admin.mustOrderIDs(t, false) }) {
		t.Fatal("an admin's orders were served from the cache")
	}
	b2 := bob.MustOrder(t, orderLine{forBob, 1})
	if got := admin.mustOrderIDs(t, false); !slices.Equal(got, []string{b2, a2, b1, a1}) {
		t.Fatalf("the admin's orders straight after bob's order: %v", got)
	}
	if got := bob.MustMyOrders(t); !slices.Equal(got, []string{b2, b1}) {
		t.Fatalf("bob's orders straight after his order: %v", got)
	}
}
