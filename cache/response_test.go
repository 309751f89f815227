package cache_test

import (
	"context"
	"testing"
	"time"

	"shop/cache"
	"shop/models"
)

// TestResponseFillAfterWriteIsNeverServed: a response computed before a
// write but stored after it is stored under the old catalog version.
func TestResponseFillAfterWriteIsNeverServed(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, c *cache.Catalog) {
		ctx := context.Background()
		p, err := c.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, hit, fill := c.Response(ctx, "k")
		if hit {
			t.Fatal("hit on an empty cache")
		}
		stock := 2
		if _, err := c.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &stock}); err != nil {
			t.Fatal(err)
		}
		fill([]byte(`{"data":"computed before the write"}`))
		if body, hit, _ := c.Response(ctx, "k"); hit {
			t.Fatalf("served %s, computed before a later write", body)
		}
		// A response computed now is served until the next write.
		_, _, fill = c.Response(ctx, "k")
		fill([]byte(`{"data":"current"}`))
		if body, hit, _ := c.Response(ctx, "k"); !hit || string(body) != `{"data":"current"}` {
			t.Fatalf("hit %v, body %s", hit, body)
		}
		if _, err := c.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, hit, _ := c.Response(ctx, "k"); hit {
			t.Fatal("response served after the catalog changed")
		}
	}
	t.Run("Redis with a local tier", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := cache.NewCatalog(MustStore(t), MustRedisBackend(t), time.Minute, nil)
		if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
			t.Fatal(err)
		}
		run(t, c)
	})
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		run(t, cache.NewCatalog(MustStore(t), cache.NewMemory(100, 1<<20, time.Minute), time.Minute, nil))
	})
}
