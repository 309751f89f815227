package e2e

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestOrdersAcrossInstances starts three servers, each with its own
// connection pool, on one PostgreSQL and one Redis, and releases 300
// one-unit orders at once for a product with 50 in stock.
func TestOrdersAcrossInstances(t *testing.T) {
	t.Parallel()
	const instances, orders, stock = 3, 300, 50
	env := PostgresRedisEnv(t)
	roomForOrders(env) // one buyer takes the whole stock
	var ins []*instance
	for i := 0; i < instances; i++ {
		ins = append(ins, MustStart(t, env))
	}
	id := ins[0].MustCreateProduct(t, 19.99, stock)
	// Warm every instance's view of the product through the shared cache.
	for _, in := range ins {
		if got := in.MustStock(t, id); got != stock {
			t.Fatalf("stock before = %d", got)
		}
	}

	urls := make([]string, len(ins))
	for i, in := range ins {
		urls[i] = in.URL
	}
	buyer, _ := ins[0].MustCustomer(t) // its token works on every instance: one SECRET_KEY
	MustHammer(t, urls, buyer.Token, id, orders, stock)

	// Straight after, the database holds 0; every instance shows 0 within
	// the bound on cross-instance invalidation (the instance that sold the
	// last unit shows it at once, the others when its message arrives).
	for i, in := range ins {
		lag := MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, id) == 0 })
		t.Logf("instance %d showed stock 0 after %s", i, lag)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dbStock, units, orderRows int
	var total int64
	if err := conn.QueryRow(ctx, `SELECT stock_count FROM products WHERE product_id = $1`, id).Scan(&dbStock); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(SUM(quantity),0), COUNT(DISTINCT order_id) FROM order_items WHERE product_id = $1`, id).Scan(&units, &orderRows); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(SUM(total_amount_cents),0) FROM orders`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if dbStock != 0 || units != stock || orderRows != stock || total != stock*1999 {
		t.Fatalf("database: stock %d, units sold %d in %d orders, total %d cents; want 0, %d, %d, %d",
			dbStock, units, orderRows, total, stock, stock, stock*1999)
	}
}

// TestReadAfterWriteAcrossInstances: a write is visible on the instance that
// made it at once, and on another within the cross-instance bound, though
// both cache the catalog (in process, and in Redis).
func TestReadAfterWriteAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	id := a.MustCreateProduct(t, 3, 10)
	listQ := `{ getProducts { productId price stockCount } }`
	var list struct{ GetProducts []struct{ StockCount int } }
	b.MustData(t, listQ, nil, &list) // warm b's list and product entries
	if b.MustStock(t, id) != 10 || len(list.GetProducts) != 1 {
		t.Fatal("warm-up read wrong")
	}
	a.MustStock(t, id) // warm a too
	admin := a.MustAdmin(t)
	admin.MustData(t, `mutation($id: String!) { updateProduct(input: {productId: $id, stockCount: 4}) { stockCount } }`, map[string]any{"id": id}, &struct{}{})
	if got := a.MustStock(t, id); got != 4 {
		t.Fatalf("instance a shows stock %d straight after its own update, want 4", got)
	}
	MustSeeWithin(t, crossInstanceBound, func() bool { return b.MustStock(t, id) == 4 })
	MustSeeWithin(t, crossInstanceBound, func() bool {
		b.MustData(t, listQ, nil, &list)
		return list.GetProducts[0].StockCount == 4
	})
	admin.MustData(t, `mutation($id: String!) { createOrder(input: {customerId: "c", items: [{productId: $id, quantity: 3}]}) { orderId } }`, map[string]any{"id": id}, &struct{}{})
	if got := a.MustStock(t, id); got != 1 {
		t.Fatalf("instance a shows stock %d straight after its own order, want 1", got)
	}
	MustSeeWithin(t, crossInstanceBound, func() bool { return b.MustStock(t, id) == 1 })
	admin.MustData(t, `mutation($id: String!) { deleteProduct(productId: $id) }`, map[string]any{"id": id}, &struct{}{})
	MustSeeWithin(t, crossInstanceBound, func() bool {
		var one struct{ GetProductsById *struct{ ProductID string } }
		b.MustData(t, `query($id: String!) { getProductsById(id: $id) { productId } }`, map[string]any{"id": id}, &one)
		return one.GetProductsById == nil
	})
}

// crossInstanceBound is how soon another instance must show a write. The
// message travels one Redis PUBLISH; the bound leaves room for the race
// detector and a loaded 2-core machine.
const crossInstanceBound = 250 * time.Millisecond

// MustSeeWithin polls cond until it holds and returns how long that took,
// failing the test if it takes longer than bound. It measures a lag; it
// does not stand in for a signal the code could give.
func MustSeeWithin(tb testing.TB, bound time.Duration, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			tb.Fatalf("not seen within %s", bound)
		}
	}
	return time.Since(start)
}

// TestLocalTierLagAcrossInstances measures how long a write on one of three
// instances takes to show on the other two, whose in-process tiers hold the
// old value, and asserts the bound.
func TestLocalTierLagAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	ins := []*instance{MustStart(t, env), MustStart(t, env), MustStart(t, env)}
	id := ins[0].MustCreateProduct(t, 1, 0)
	var lags []time.Duration
	for round := 1; round <= 10; round++ {
		for _, in := range ins {
			in.MustStock(t, id) // every local tier holds the current value
		}
		writer := ins[round%3]
		writer.MustAdmin(t).MustData(t, `mutation($id: String!, $s: Int!) { updateProduct(input: {productId: $id, stockCount: $s}) { stockCount } }`,
			map[string]any{"id": id, "s": round}, &struct{}{})
		if got := writer.MustStock(t, id); got != round {
			t.Fatalf("writer shows %d straight after its write, want %d", got, round)
		}
		for _, in := range ins {
			if in != writer {
				lags = append(lags, MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, id) == round }))
			}
		}
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	t.Logf("cross-instance lag over %d reads: median %s, max %s (bound %s)", len(lags), lags[len(lags)/2], lags[len(lags)-1], crossInstanceBound)
	if ins[1].MustMetric(t, "shop_cache_local_hits_total", "") == 0 {
		t.Fatal("the local tier answered nothing: the test measured Redis, not the local tier")
	}
}
