package cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shop/cache"
	"shop/errcode"
	"shop/models"
	"shop/store"
)

// responseCatalogs runs a test on Redis with a local tier and on the
// in-process backend. Writes go to the store, reads to the catalog
// (mustCached).
func responseCatalogs(t *testing.T, run func(t *testing.T, st *store.Store, c *cache.Catalog)) {
	tieredCatalogs(t, func(t *testing.T, _ cache.Backend, st *store.Store, c *cache.Catalog) { run(t, st, c) })
}

// tieredCatalogs is responseCatalogs for a test that needs the backend too.
func tieredCatalogs(t *testing.T, run func(t *testing.T, b cache.Backend, st *store.Store, c *cache.Catalog)) {
	t.Run("Redis with a local tier", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b := MustRedisBackend(t)
		st, c := mustCached(t, b)
		if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
			t.Fatal(err)
		}
		run(t, b, st, c)
	})
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		b := cache.NewMemory(100, 1<<20, time.Minute)
		st, c := mustCached(t, b)
		run(t, b, st, c)
	})
}

// TestResponseFillAfterWriteIsNeverServed: a response computed before a
// write but stored after it depends on the version the write replaced.
func TestResponseFillAfterWriteIsNeverServed(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		p, err := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, hit, exec, fill := c.Response(ctx, "k")
		if hit {
			t.Fatal("hit on an empty cache")
		}
		if _, err := c.ProductByID(exec, p.ID); err != nil { // the execution reads p
			t.Fatal(err)
		}
		stock := 2
		if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &stock}); err != nil {
			t.Fatal(err)
		}
		fill([]byte(`{"data":"computed before the write"}`))
		if body, hit, _, _ := c.Response(ctx, "k"); hit {
			t.Fatalf("served %s, computed before a later write", body)
		}
		// A response computed now is served until p next changes.
		_, _, exec, fill = c.Response(ctx, "k")
		if _, err := c.ProductByID(exec, p.ID); err != nil {
			t.Fatal(err)
		}
		fill([]byte(`{"data":"current"}`))
		if body, hit, _, _ := c.Response(ctx, "k"); !hit || string(body) != `{"data":"current"}` {
			t.Fatalf("hit %v, body %s", hit, body)
		}
		if _, err := st.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, hit, _, _ := c.Response(ctx, "k"); hit {
			t.Fatal("response served after the product it read was deleted")
		}
	})
}

// TestResponsesDependOnWhatTheyRead: an order for one product retires the
// responses that read it, and no others; a list depends on its membership
// and on the products it shows.
func TestResponsesDependOnWhatTheyRead(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		a, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 10})
		b, _ := st.CreateProduct(ctx, models.NewProduct{Price: 2, StockCount: 10})
		// "byID:b" reads b; "first" lists the first product (a); "page"
		// is the connection's first page (a).
		warm := func(key string, read func(context.Context) error) {
			t.Helper()
			body, hit, exec, fill := c.Response(ctx, key)
			if hit {
				return
			}
			if err := read(exec); err != nil {
				t.Fatal(err)
			}
			fill([]byte(key + " " + string(body)))
		}
		readB := func(ctx context.Context) error { _, err := c.ProductByID(ctx, b.ID); return err }
		readFirst := func(ctx context.Context) error {
			ps, err := c.ListProducts(ctx, models.Page{Limit: 1}, models.ProductFilter{})
			if err == nil && (len(ps) != 1 || ps[0].ID != a.ID) {
				t.Fatalf("first = %+v, want a", ps)
			}
			return err
		}
		readPage := func(ctx context.Context) error {
			pg, err := c.ProductsPage(ctx, models.Connection{First: 1}, models.ProductFilter{})
			if err == nil && (len(pg.Products) != 1 || pg.Products[0].ID != a.ID || !pg.HasNext) {
				t.Fatalf("page = %+v, want a and more", pg)
			}
			return err
		}
		all := map[string]func(context.Context) error{"byID:b": readB, "first": readFirst, "page": readPage}
		cached := func(key string) bool {
			_, hit, _, _ := c.Response(ctx, key)
			return hit
		}
		expect := func(when string, want map[string]bool) {
			t.Helper()
			for key, w := range want {
				if got := cached(key); got != w {
					t.Fatalf("%s: %s cached = %v, want %v", when, key, got, w)
				}
			}
			// Twice: a list's first execution after its ids were loaded
			// from the database is not stored (Catalog.list).
			for i := 0; i < 2; i++ {
				for key, read := range all {
					warm(key, read)
				}
			}
			for key := range all {
				if !cached(key) {
					t.Fatalf("%s: %s not cached after a fresh execution", when, key)
				}
			}
		}
		expect("cold", map[string]bool{"byID:b": false, "first": false, "page": false})

		order := func(p *models.Product) {
			req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 1}})
			if _, err := st.CreateOrder(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		order(a)
		expect("after an order for a", map[string]bool{"byID:b": true, "first": false, "page": false})
		order(b)
		expect("after an order for b", map[string]bool{"byID:b": false, "first": true, "page": true})
		price := models.Money(300)
		if _, err := st.UpdateProduct(ctx, b.ID, models.ProductPatch{Price: &price}); err != nil {
			t.Fatal(err)
		}
		expect("after an update of b", map[string]bool{"byID:b": false, "first": true, "page": true})
		// An order refused for want of stock changes nothing.
		req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: a.ID, Quantity: 1000}})
		if _, err := st.CreateOrder(ctx, req); models.ErrorCode(err) != errcode.InsufficientStock {
			t.Fatalf("err = %v, want INSUFFICIENT_STOCK", err)
		}
		expect("after a refused order", map[string]bool{"byID:b": true, "first": true, "page": true})
		// A new product changes what the lists could contain.
		if _, err := st.CreateProduct(ctx, models.NewProduct{Price: 3, StockCount: 1}); err != nil {
			t.Fatal(err)
		}
		expect("after a create", map[string]bool{"byID:b": true, "first": false, "page": false})
	})
}

// Issue 17: a response over CACHE_MAX_ENTRY_BYTES is served but stored in
// neither tier (a 9 MB response was stored whole), and counted; one under
// it is stored as before.
func TestLargeResponsesAreNotStored(t *testing.T) {
	t.Parallel()
	responseCatalogs(t, func(t *testing.T, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		c.LimitEntries(10_000)
		large := []byte(`{"data":"` + strings.Repeat("x", 20_000) + `"}`)
		small := []byte(`{"data":"` + strings.Repeat("x", 5_000) + `"}`)
		for _, key := range []string{"large", "small"} {
			_, hit, _, fill := c.Response(ctx, key)
			if hit {
				t.Fatalf("%s: hit on an empty cache", key)
			}
			if key == "large" {
				fill(large)
			} else {
				fill(small)
			}
		}
		if body, hit, _, _ := c.Response(ctx, "large"); hit {
			t.Fatalf("a response of %d bytes was stored, over the limit of 10,000", len(body))
		}
		if body, hit, _, _ := c.Response(ctx, "small"); !hit || string(body) != string(small) {
			t.Fatalf("the small response: hit %v, %d bytes", hit, len(body))
		}
		if n := c.Stats().TooLarge.Load(); n != 1 {
			t.Fatalf("TooLarge = %d, want 1", n)
		}
	})
}
