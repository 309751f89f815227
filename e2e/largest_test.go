package e2e

import (
	"context"
	"testing"

	"shop/store"
)

// The largest legal page, getOrders(limit: 1000) of orders with 100 lines
// each (100,000 items and their products), answers whole on both
// databases. It names more products than either database takes as
// parameters in one statement.
func TestLargestOrderPageThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"PostgreSQL and Redis", PostgresRedisEnv(t)},
		{"embedded", EmbeddedEnv(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["REQUEST_TIMEOUT"] = "60s"
			in := MustStart(t, tt.env)
			// The rows go in beside the running server, as another
			// instance's writes would.
			s, err := store.Open(context.Background(), store.Options{DatabaseURL: tt.env["DATABASE_URL"], SQLitePath: tt.env["SQLITE_PATH"], MaxOpenConns: 2, MaxIdleConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			const orders, lines = 1000, 100
			if _, err := s.SeedForTest(context.Background(), orders, lines); err != nil {
				t.Fatal(err)
			}
			var out struct {
				GetOrders []struct {
					OrderID string
					Items   []struct {
						ProductID string
						Quantity  int
						Product   *struct {
							ProductID string
							Price     float64
						}
					}
				}
			}
			in.MustAdmin(t).MustData(t, `{ getOrders(limit: 1000) { orderId items { productId quantity product { productId price } } } }`, nil, &out)
			if len(out.GetOrders) != orders {
				t.Fatalf("%d orders, want %d", len(out.GetOrders), orders)
			}
			seen := make(map[string]bool, orders*lines)
			for _, o := range out.GetOrders {
				if len(o.Items) != lines {
					t.Fatalf("order %s: %d items, want %d", o.OrderID, len(o.Items), lines)
				}
				for _, it := range o.Items {
					if it.Product == nil || it.Product.ProductID != it.ProductID || it.Product.Price != 1 || it.Quantity != 1 {
						t.Fatalf("order %s: item %+v", o.OrderID, it)
					}
					seen[it.ProductID] = true
				}
			}
			if len(seen) != orders*lines {
				t.Fatalf("%d distinct products, want %d", len(seen), orders*lines)
			}
		})
	}
}
