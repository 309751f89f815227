package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

func TestKeysetPagesWalkEverythingOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var ids []string
		for i := 0; i < 23; i++ {
			ids = append(ids, MustProduct(t, s, models.Money(i), 1000).ID)
		}
		// Products: oldest first, in pages of 5, every product exactly once.
		var seen []string
		var after *models.Cursor
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			page, err := s.ProductsPage(ctx, models.Connection{First: 5, After: after}, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Products {
				seen = append(seen, p.ID)
			}
			if !page.HasNext {
				if len(page.Products) != 3 {
					t.Fatalf("last page has %d products, want 3", len(page.Products))
				}
				break
			}
			c := models.ProductCursor(page.Products[len(page.Products)-1])
			after = &c
		}
		if len(seen) != len(ids) {
			t.Fatalf("walked %d products, want %d", len(seen), len(ids))
		}
		for i := range ids {
			if seen[i] != ids[i] {
				t.Fatalf("product %d is %s, want %s (creation order)", i, seen[i], ids[i])
			}
		}

		// Orders: newest first, filtered by customer.
		var mine []string
		for i := 0; i < 12; i++ {
			customer := "other"
			if i%3 == 0 {
				customer = "me"
			}
			req, _ := models.ParseOrder(customer, []models.OrderLine{{ProductID: ids[i], Quantity: 1}})
			o, err := s.CreateOrder(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if customer == "me" {
				mine = append([]string{o.ID}, mine...)
			}
		}
		var got []string
		after = nil
		for {
			page, err := s.OrdersPage(ctx, models.Connection{First: 3, After: after}, models.OrderFilter{CustomerID: "me", Status: "pending"})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Orders {
				if o.CustomerID != "me" || len(o.Items) != 1 {
					t.Fatalf("order %+v in a page for customer me", o)
				}
				got = append(got, o.ID)
			}
			if !page.HasNext {
				break
			}
			c := models.OrderCursor(page.Orders[len(page.Orders)-1])
			after = &c
		}
		if len(got) != len(mine) {
			t.Fatalf("walked %v, want %v", got, mine)
		}
		for i := range mine {
			if got[i] != mine[i] {
				t.Fatalf("walked %v, want %v (newest first)", got, mine)
			}
		}
		all, err := s.OrdersPage(ctx, models.Connection{First: 100}, models.OrderFilter{})
		if err != nil || len(all.Orders) != 12 || all.HasNext {
			t.Fatalf("unfiltered page: %d orders, hasNext %v, %v", len(all.Orders), all.HasNext, err)
		}
	})
}

// TestIndexesForEveryOrderAndFilter: the keyset orders and filters (the
// products' sorts, categories and search among them), and order_items'
// keys, have their indexes in PostgreSQL.
func TestIndexesForEveryOrderAndFilter(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 2, MaxIdleConns: 2})
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(defs, "\n")
	for _, want := range []string{
		"ON public.products USING btree (created_at, product_id)",
		"ON public.products USING btree (price_cents, product_id)",
		"ON public.products USING btree (name, product_id)",
		"ON public.products USING btree (category_id, created_at, product_id)",
		"ON public.products USING gin (search)",
		"ON public.products USING btree (lower((sku)::text))",
		"ON public.categories USING btree (slug)",
		"ON public.categories USING btree (parent_id)",
		"ON public.orders USING btree (created_at, order_id)",
		"ON public.orders USING btree (customer_id, created_at, order_id)",
		"ON public.orders USING btree (status, created_at, order_id)",
		"ON public.order_items USING btree (order_id)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no index %s; have:\n%s", want, all)
		}
	}
	// Nothing reads order lines by product, and every line would pay for it.
	if strings.Contains(all, "ON public.order_items USING btree (product_id)") {
		t.Errorf("order_items has an index on product_id, which no query uses")
	}
}
