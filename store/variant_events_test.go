package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// mustSized creates an active product with a Size option of values, one
// variant each, at price 10 and stock 5.
func mustSized(t *testing.T, s *store.Store, values ...string) (*models.Product, []models.ProductVariant) {
	t.Helper()
	ctx := context.Background()
	np, err := models.NewProduct{Price: 1000, StockCount: 5}.WithVariants([]models.ProductOption{{Name: "Size", Values: values}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProduct(ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := s.VariantsOf(ctx, []string{p.ID})
	if err != nil || len(vs[p.ID]) != len(values) {
		t.Fatalf("variants of %s: %+v %v", p.ID, vs, err)
	}
	return p, vs[p.ID]
}

// The events name the variants a write changes, which is what the cache
// retires per variant: stock.changed its variant; product.updated the
// variants it created, changed or deleted, and every variant of the
// product when its active flag changed (a variant read by id shows it),
// none when only the product's own fields changed; product.created and
// product.deleted every variant. VariantByID reads the product's active
// flag with the variant.
func TestEventsNameTheirVariants(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, vs := mustSized(t, s, "S", "M", "L")
		all := []string{vs[0].ID, vs[1].ID, vs[2].ID}
		slices.Sort(all)
		last := int64(0)
		next := func(step string) []models.Event {
			t.Helper()
			evs, err := s.Events(ctx, last, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				t.Fatalf("%s: no events", step)
			}
			last = evs[len(evs)-1].ID
			return evs
		}
		named := func(step string, e models.Event, typ string, want ...string) {
			t.Helper()
			if e.Type != typ {
				t.Fatalf("%s: event %s, want %s", step, e.Type, typ)
			}
			var got []string
			if typ == models.EventStockChanged {
				var sc models.StockChanged
				if err := e.Decode(&sc); err != nil {
					t.Fatal(err)
				}
				got = []string{sc.VariantID}
			} else {
				var pc models.ProductChanged
				if err := e.Decode(&pc); err != nil {
					t.Fatal(err)
				}
				got = pc.VariantIDs
			}
			slices.Sort(got)
			slices.Sort(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s names variants %v, want %v", step, typ, got, want)
			}
		}
		active := func(want bool) {
			t.Helper()
			for _, v := range vs {
				got, err := s.VariantByID(ctx, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != v.ID || got.ProductID != p.ID || got.Title != v.Title || got.ProductActive != want {
					t.Fatalf("VariantByID(%s) = %+v, want %s of %s, product active %v", v.ID, got, v.Title, p.ID, want)
				}
			}
		}
		named("create", next("create")[0], models.EventProductCreated, all...)
		active(true)

		patch := func(d models.ProductDetails) models.ProductPatch {
			pp, err := models.ParseProductPatch(p.ID, nil, nil, d)
			if err != nil {
				t.Fatal(err)
			}
			return pp
		}
		if _, err := s.UpdateProduct(ctx, p.ID, patch(models.ProductDetails{Name: ptr("Tee")})); err != nil {
			t.Fatal(err)
		}
		named("rename", next("rename")[0], models.EventProductUpdated)
		if _, err := s.UpdateProduct(ctx, p.ID, patch(models.ProductDetails{Active: ptr(false)})); err != nil {
			t.Fatal(err)
		}
		named("deactivate", next("deactivate")[0], models.EventProductUpdated, all...)
		active(false)
		if _, err := s.UpdateProduct(ctx, p.ID, patch(models.ProductDetails{Active: ptr(true)})); err != nil {
			t.Fatal(err)
		}
		named("activate", next("activate")[0], models.EventProductUpdated, all...)
		active(true)

		price := 12.5
		d, err := models.ParseVariant("input", models.VariantInput{Price: &price})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateVariant(ctx, vs[1].ID, d, "adm"); err != nil {
			t.Fatal(err)
		}
		named("update M", next("update M")[0], models.EventProductUpdated, vs[1].ID)

		req, err := models.ParseOrder("cust", []models.OrderLine{{ProductID: p.ID, VariantID: vs[1].ID, Quantity: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOrder(ctx, req); err != nil {
			t.Fatal(err)
		}
		evs := next("order for M")
		if len(evs) != 2 {
			t.Fatalf("order for M: %v, want order.placed and stock.changed", typesOf(evs))
		}
		named("order for M", evs[1], models.EventStockChanged, vs[1].ID)

		if ok, err := s.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		named("delete", next("delete")[0], models.EventProductDeleted, all...)
	})
}
