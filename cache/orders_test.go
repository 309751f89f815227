package cache_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/cache"
	"shop/errcode"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// myOrders serves key as who's own response, computing it on a miss as the
// server does for orders(first: 20) { items { product } }: the page of
// who's orders, then the products of their items. The body lists each
// order as "<order id>:<stock of its first product>", newest first.
func myOrders(t *testing.T, c *cache.Catalog, who, key string) (hit bool, body string) {
	t.Helper()
	ctx := context.Background()
	b, hit, exec, fill := c.CustomerResponse(ctx, who, key)
	if hit {
		return true, string(b)
	}
	page, err := c.OrdersPage(exec, models.Connection{First: 20}, models.OrderFilter{CustomerID: who})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range page.Orders {
		ids = append(ids, o.Items[0].ProductID)
	}
	products, err := c.ProductsByIDs(exec, ids)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, o := range page.Orders {
		stock := "gone"
		if p := products[o.Items[0].ProductID]; p != nil {
			stock = strconv.Itoa(p.StockCount)
		}
		parts = append(parts, o.ID+":"+stock)
	}
	body = strings.Join(parts, ",")
	fill([]byte(body))
	return false, body
}

// mustOrder places who's order of n units of p through the store, whose
// sink invalidates.
func mustOrder(t *testing.T, st *store.Store, who string, p *models.Product, n int) *models.Order {
	t.Helper()
	req, err := models.ParseOrder(who, []models.OrderLine{{ProductID: p.ID, Quantity: n}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.CreateOrder(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestCustomerResponses: a customer's own response is served from the
// cache until that customer's orders or the products it shows change; a
// new order of one customer is in that customer's very next response and
// leaves every other customer's cached; two customers never share a
// response, whatever its key.
func TestCustomerResponses(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 100})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 100})
		a1 := mustOrder(t, st, "alice", p, 1)
		b1 := mustOrder(t, st, "bob", q, 1)
		// want checks who's response under the one key all callers use.
		want := func(when, who string, wantHit bool, wantBody string) {
			t.Helper()
			hit, body := myOrders(t, c, who, "k")
			if hit != wantHit || body != wantBody {
				t.Fatalf("%s: %s's response hit %v, body %q; want hit %v, body %q", when, who, hit, body, wantHit, wantBody)
			}
		}
		want("cold", "alice", false, a1.ID+":99")
		want("cold", "bob", false, b1.ID+":99")
		before := c.Stats().Hits.Load()
		want("warm", "alice", true, a1.ID+":99")
		want("warm", "bob", true, b1.ID+":99")
		if c.Stats().Hits.Load() != before+2 {
			t.Fatalf("hits = %d, want %d", c.Stats().Hits.Load(), before+2)
		}

		// Alice's new order is in her very next response; Bob's stays
		// cached.
		a2 := mustOrder(t, st, "alice", q, 1)
		want("after alice's order", "alice", false, a2.ID+":98,"+a1.ID+":99")
		want("after alice's order, of the product his order shows", "bob", false, b1.ID+":98")
		want("then", "alice", true, a2.ID+":98,"+a1.ID+":99")
		want("then", "bob", true, b1.ID+":98")
		a3 := mustOrder(t, st, "alice", p, 1)
		want("after alice's order of a product bob's orders don't show", "bob", true, b1.ID+":98")
		want("after her third order", "alice", false, a3.ID+":98,"+a2.ID+":98,"+a1.ID+":98")

		// An order refused changes nothing.
		req, _ := models.ParseOrder("alice", []models.OrderLine{{ProductID: p.ID, Quantity: 1000}})
		if _, err := st.CreateOrder(ctx, req); models.ErrorCode(err) != errcode.InsufficientStock {
			t.Fatalf("err = %v, want INSUFFICIENT_STOCK", err)
		}
		want("after a refused order", "alice", true, a3.ID+":98,"+a2.ID+":98,"+a1.ID+":98")

		// A product her orders show changes: her response is retired.
		ten := 10
		if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &ten}); err != nil {
			t.Fatal(err)
		}
		want("after an update of p", "alice", false, a3.ID+":10,"+a2.ID+":98,"+a1.ID+":10")
		want("after an update of p", "bob", true, b1.ID+":98")

		// An order placed for a customer by someone else (an admin) is
		// a change to that customer's orders all the same.
		b2 := mustOrder(t, st, "bob", p, 1)
		want("after an order for bob", "bob", false, b2.ID+":9,"+b1.ID+":98")
	})
}

// TestOrderResponseFillAfterWriteIsNeverServed: a response that read a
// customer's orders before a new order but is stored after it depends on
// the version the order replaced.
func TestOrderResponseFillAfterWriteIsNeverServed(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		_, hit, exec, fill := c.CustomerResponse(ctx, "alice", "k")
		if hit {
			t.Fatal("hit on an empty cache")
		}
		page, err := c.OrdersPage(exec, models.Connection{First: 20}, models.OrderFilter{CustomerID: "alice"})
		if err != nil || len(page.Orders) != 0 {
			t.Fatalf("page = %+v, %v", page, err)
		}
		o := mustOrder(t, st, "alice", p, 1)
		fill([]byte("no orders"))
		if hit, body := myOrders(t, c, "alice", "k"); hit || body != o.ID+":9" {
			t.Fatalf("hit %v, body %q, computed before her order", hit, body)
		}

		// The same with an order read by id, and a change to it.
		_, hit, exec, fill = c.CustomerResponse(ctx, "alice", "by id")
		if hit {
			t.Fatal("hit on an empty key")
		}
		if got, err := c.OrderByID(exec, o.ID); err != nil || got.ID != o.ID {
			t.Fatalf("read = %+v, %v", got, err)
		}
		if _, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: o.ID, To: models.OrderStatusPaid, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		fill([]byte("pending"))
		if body, hit, _, _ := c.CustomerResponse(ctx, "alice", "by id"); hit {
			t.Fatalf("served %q, computed before a change to the order", body)
		}
	})
}

// byID serves who's response to getOrderById(id), computing it on a miss;
// the body is the order's id, or "null".
func byID(t *testing.T, c *cache.Catalog, who, id string) (hit bool, body string) {
	t.Helper()
	b, hit, exec, fill := c.CustomerResponse(context.Background(), who, "byID:"+id)
	if hit {
		return true, string(b)
	}
	o, err := c.OrderByID(exec, id)
	switch {
	case models.IsNotFound(err):
		body = "null"
	case err != nil:
		t.Fatal(err)
	case o.CustomerID != who: // shown as missing (resolvers)
		body = "null"
	default:
		body = o.ID + ":" + o.Status
	}
	fill([]byte(body))
	return false, body
}

// TestOrderByIDInCustomerResponses: a customer's own order read by id is
// cached until a change to it; another customer's order is never stored in
// a response; a missing order's null lasts until the customer's next
// order.
func TestOrderByIDInCustomerResponses(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		a := mustOrder(t, st, "alice", p, 1)
		b := mustOrder(t, st, "bob", q, 1)
		want := func(when, who, id string, wantHit bool, wantBody string) {
			t.Helper()
			if hit, body := byID(t, c, who, id); hit != wantHit || body != wantBody {
				t.Fatalf("%s: %s reading %s: hit %v, body %q; want hit %v, %q", when, who, id, hit, body, wantHit, wantBody)
			}
		}
		mine := a.ID + ":pending"
		want("cold", "alice", a.ID, false, mine)
		want("warm", "alice", a.ID, true, mine)
		want("bob's order, cold", "alice", b.ID, false, "null")
		want("bob's order, again: never stored", "alice", b.ID, false, "null")
		missing := "00000000-0000-4000-8000-000000000000"
		want("missing, cold", "alice", missing, false, "null")
		want("missing, warm", "alice", missing, true, "null")

		// A change to Bob's order (a status, say) retires nothing of
		// Alice's.
		if _, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: b.ID, To: models.OrderStatusPaid, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		want("after a change to bob's order", "alice", a.ID, true, mine)
		want("after a change to bob's order", "alice", missing, true, "null")
		// A change to hers retires her responses, a note as well as a
		// status.
		if _, err := st.AddOrderNote(ctx, models.OrderNote{OrderID: a.ID, Message: "on its way soon", Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		want("after a note on her order", "alice", a.ID, false, mine)
		want("after a note on her order", "alice", missing, false, "null")
		want("then", "alice", a.ID, true, mine)
		if _, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: a.ID, To: models.OrderStatusPaid, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		want("after a change to her order", "alice", a.ID, false, a.ID+":paid")
		want("after a change to her order", "alice", missing, false, "null")
		// So does a new order of hers, which could be the missing one.
		mustOrder(t, st, "alice", p, 1)
		want("after her new order", "alice", missing, false, "null")

		// Outside a customer's response (an admin's, a shared one), a read
		// by id or of every customer's orders has no version to go by; a
		// read of a product, for comparison, has.
		for _, tt := range []struct {
			name   string
			read   func(context.Context) error
			stored bool
		}{
			{"byID", func(ctx context.Context) error { _, err := c.OrderByID(ctx, a.ID); return err }, false},
			{"all", func(ctx context.Context) error {
				_, err := c.ListOrders(ctx, models.Page{Limit: 5}, models.OrderFilter{})
				return err
			}, false},
			{"allPage", func(ctx context.Context) error {
				_, err := c.OrdersPage(ctx, models.Connection{First: 5}, models.OrderFilter{})
				return err
			}, false},
			{"product", func(ctx context.Context) error { _, err := c.ProductByID(ctx, p.ID); return err }, true},
		} {
			_, _, exec, fill := c.Response(ctx, "shared:"+tt.name)
			if err := tt.read(exec); err != nil {
				t.Fatal(err)
			}
			fill([]byte(tt.name))
			if _, hit, _, _ := c.Response(ctx, "shared:"+tt.name); hit != tt.stored {
				t.Fatalf("a shared response that read %s: stored %v, want %v", tt.name, hit, tt.stored)
			}
		}
	})
}

// TestOrderChangesRetireStock: a change to an order that moves stock (a
// cancellation) retires its products' entries as well as its customer's
// responses; one that doesn't (a status) retires only the customer's; one
// refused by a rule retires nothing. Expiry does the same for several
// orders at once, in one write: its events name each order's customer,
// and the stock it put back.
func TestOrderChangesRetireStock(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		// The first orders are of r, deleted before they expire: their
		// expiry has no stock to put back.
		r, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		a2 := mustOrder(t, st, "alice", r, 1)
		b2 := mustOrder(t, st, "bob", r, 1)
		a := mustOrder(t, st, "alice", p, 1)
		b := mustOrder(t, st, "bob", p, 1)
		if ok, err := st.DeleteProduct(ctx, r.ID); err != nil || !ok {
			t.Fatalf("delete r = %v, %v", ok, err)
		}
		// "stock" is a shared response that read p.
		stock := func() bool {
			_, hit, exec, fill := c.Response(ctx, "stock")
			if !hit {
				if _, err := c.ProductByID(exec, p.ID); err != nil {
					t.Fatal(err)
				}
				fill([]byte("p"))
			}
			return hit
		}
		warm := func() {
			t.Helper()
			stock()
			myOrders(t, c, "alice", "k")
			myOrders(t, c, "bob", "k")
			if !stock() {
				t.Fatal("the stock response not cached after warm-up")
			}
		}
		cached := func(who string) bool {
			_, hit, _, _ := c.CustomerResponse(ctx, who, "k")
			return hit
		}
		check := func(when string, wantStock, wantAlice, wantBob bool) {
			t.Helper()
			if got := stock(); got != wantStock {
				t.Fatalf("%s: stock response cached = %v, want %v", when, got, wantStock)
			}
			if got := cached("alice"); got != wantAlice {
				t.Fatalf("%s: alice's response cached = %v, want %v", when, got, wantAlice)
			}
			if got := cached("bob"); got != wantBob {
				t.Fatalf("%s: bob's response cached = %v, want %v", when, got, wantBob)
			}
		}
		change := func(id, to string) error {
			_, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: id, To: to, Actor: models.ActorSystem})
			return err
		}

		warm()
		if err := change(a.ID, models.OrderStatusPaid); err != nil {
			t.Fatal(err)
		}
		check("after a status change of alice's order", true, false, true)

		warm()
		if err := change(a.ID, models.OrderStatusCancelled); err != nil {
			t.Fatal(err)
		}
		// Bob's response shows p's stock too.
		check("after a cancellation of alice's order", false, false, false)

		warm()
		if err := change(a.ID, models.OrderStatusShipped); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("shipping a cancelled order: %v, want %s", err, errcode.InvalidTransition)
		}
		check("after a change refused by a rule", true, true, true)

		expire := func(limit int, want ...*models.Order) {
			t.Helper()
			got, err := st.ExpireOrders(ctx, time.Now().Add(time.Hour), "unpaid", limit)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs, wantIDs []string
			for _, o := range got {
				gotIDs = append(gotIDs, o.ID)
			}
			for _, o := range want {
				wantIDs = append(wantIDs, o.ID)
			}
			if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
				t.Fatalf("expired %v, want %v", gotIDs, wantIDs)
			}
		}
		warm()
		expire(2, a2, b2)
		check("after both orders of a deleted product expired (no stock)", true, false, false)
		warm()
		expire(10, b)
		check("after bob's order expired and was restocked", false, false, false)
	})
}

// TestCustomerResponseAcrossInstances: another instance's cached response of a
// customer's orders is retired by the invalidation message of an order on
// the first, and one in Redis alone (no local tier) at once.
func TestCustomerResponseAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := dbPath(t) // one database, three instances
	url, prefix := testenv.MustRedis(t)
	catalog := func(tier bool) (*store.Store, *cache.Catalog) {
		r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		st, c := mustInstance(t, path, r)
		if tier {
			if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
				t.Fatal(err)
			}
			testenv.WaitFor(t, func() bool { return c.Stats().Resets.Load() >= 1 }) // subscribed
		}
		return st, c
	}
	st, _ := catalog(true) // the instance that writes
	_, b := catalog(true)
	_, direct := catalog(false)
	p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
	first := mustOrder(t, st, "alice", p, 1)
	// b has had the messages of both writes so far, so the next one is
	// the order's.
	testenv.WaitFor(t, func() bool { return b.Stats().Messages.Load() >= 2 })
	for _, c := range []*cache.Catalog{b, direct} {
		myOrders(t, c, "alice", "k")
		myOrders(t, c, "bob", "k")
		if hit, _ := myOrders(t, c, "alice", "k"); !hit {
			t.Fatal("not cached after warm-up")
		}
	}
	messages := b.Stats().Messages.Load()
	second := mustOrder(t, st, "alice", p, 1)
	want := second.ID + ":8," + first.ID + ":8"
	if hit, body := myOrders(t, direct, "alice", "k"); hit || body != want {
		t.Fatalf("an instance reading Redis: hit %v, body %q straight after the order; want %q", hit, body, want)
	}
	// (What the other instance then serves may be the response the first
	// one stored in Redis just now: it must show the order.)
	testenv.WaitFor(t, func() bool { return b.Stats().Messages.Load() > messages })
	if _, body := myOrders(t, b, "alice", "k"); body != want {
		t.Fatalf("an instance with a local tier: body %q after the order's message; want %q", body, want)
	}
	for _, c := range []*cache.Catalog{b, direct} {
		if hit, _ := myOrders(t, c, "bob", "k"); !hit {
			t.Fatal("bob's response retired by alice's order")
		}
	}
}

// TestFailedOrderInvalidation: when Redis fails at the invalidation of a
// new order, the instance that took it shows it in the customer's next
// response all the same, and serves that customer's responses from the
// cache again once a retry has reached Redis.
func TestFailedOrderInvalidation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, prefix := testenv.MustRedis(t)
	r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	fa := &failingBump{Redis: r}
	st, c := mustCached(t, fa)
	if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return c.Stats().Resets.Load() >= 1 })
	p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
	first := mustOrder(t, st, "alice", p, 1)
	myOrders(t, c, "alice", "k")
	if hit, _ := myOrders(t, c, "alice", "k"); !hit {
		t.Fatal("not cached after warm-up")
	}
	fa.fail.Store(1 << 30)
	second := mustOrder(t, st, "alice", p, 1)
	if n := c.Stats().FailedInvalidations.Load(); n != 1 {
		t.Fatalf("failed invalidations = %d, want 1", n)
	}
	want := second.ID + ":8," + first.ID + ":8"
	for i := 0; i < 3; i++ {
		if hit, body := myOrders(t, c, "alice", "k"); hit || body != want {
			t.Fatalf("hit %v, body %q straight after her order whose invalidation failed; want a fresh %q", hit, body, want)
		}
	}
	fa.fail.Store(0)
	testenv.WaitFor(t, func() bool { return !untrusted(t, c) })
	myOrders(t, c, "alice", "k")
	if hit, body := myOrders(t, c, "alice", "k"); !hit || body != want {
		t.Fatalf("after the retry: hit %v, body %q; want a hit showing %q", hit, body, want)
	}
}

// untrusted reports whether alice's response would still be computed
// afresh (the retry has not reached Redis yet), filling it if so.
func untrusted(t *testing.T, c *cache.Catalog) bool {
	t.Helper()
	hit, _ := myOrders(t, c, "alice", "k")
	if hit {
		return false
	}
	hit, _ = myOrders(t, c, "alice", "k")
	return !hit
}
