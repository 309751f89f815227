package cache_test

import (
	"context"
	"testing"

	"shop/cache"
	"shop/models"
)

// TestMaxStockListsFollowOrders: a page filtered by maxStock depends on
// every product's stock, so an order that takes a product under the line
// puts it on the cached page at once, and a cancellation takes it off.
func TestMaxStockListsFollowOrders(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		p, err := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 6})
		if err != nil {
			t.Fatal(err)
		}
		low, err := models.ParseProductSearch(models.ProductSearch{MaxStock: ptr(5)}, models.ProductFilter{})
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			t.Helper()
			pg, err := c.ProductsPage(ctx, models.Connection{First: 10}, low)
			if err != nil {
				t.Fatal(err)
			}
			return len(pg.Products)
		}
		if n := count(); n != 0 {
			t.Fatalf("6 in stock is not low: %d", n)
		}
		_ = count() // now cached
		req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 1}})
		o, err := st.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Fatalf("after an order left 5: %d on the page, want 1", n)
		}
		if _, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: o.ID, To: models.OrderStatusCancelled, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Fatalf("after the cancellation restocked it: %d on the page, want 0", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }
