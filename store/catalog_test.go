package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

func ptr[T any](v T) *T { return &v }

func mustNew(tb testing.TB, s *store.Store, d models.ProductDetails) *models.Product {
	tb.Helper()
	np, err := models.ParseNewProduct(10, 5, d)
	if err != nil {
		tb.Fatalf("parse product: %v", err)
	}
	p, err := s.CreateProduct(context.Background(), np)
	if err != nil {
		tb.Fatalf("create product: %v", err)
	}
	return p
}

func TestProductCatalogFieldsRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		plain := mustNew(t, s, models.ProductDetails{})
		got, err := s.ProductByID(ctx, plain.ID)
		if err != nil || got.Name != models.GeneratedName(plain.ID) || !got.Active || got.SKU != nil || len(got.ImageURLs) != 0 {
			t.Fatalf("unnamed product read back as %+v, %v", got, err)
		}
		full := mustNew(t, s, models.ProductDetails{
			Name: ptr("Blue ceramic mug"), Description: ptr("Holds 350 ml.\nDishwasher safe."), SKU: ptr("MUG-BLUE"),
			ImageURLs: ptr([]string{"https://img.example.com/1.png", "https://img.example.com/2.png"}), Active: ptr(false),
		})
		got, err = s.ProductByID(ctx, full.ID)
		if err != nil || !sameProduct(got, full) {
			t.Fatalf("read back %+v, %v; want %+v", got, err, full)
		}
		patch, err := models.ParseProductPatch(full.ID, nil, nil, models.ProductDetails{Name: ptr("Blue mug"), SKU: ptr(""), ImageURLs: ptr([]string{}), Active: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		up, err := s.UpdateProduct(ctx, full.ID, patch)
		if err != nil || up.Name != "Blue mug" || up.SKU != nil || len(up.ImageURLs) != 0 || !up.Active || up.Description != full.Description {
			t.Fatalf("update = %+v, %v", up, err)
		}
		got, err = s.ProductByID(ctx, full.ID)
		if err != nil || !sameProduct(got, up) {
			t.Fatalf("read back %+v, %v; want %+v", got, err, up)
		}
	})
}

// A SKU is unique whatever its case, on create and on update, and several
// products may have none.
func TestSKUUnique(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := mustNew(t, s, models.ProductDetails{SKU: ptr("Mug-1")})
		mustNew(t, s, models.ProductDetails{})
		b := mustNew(t, s, models.ProductDetails{SKU: ptr("")})
		np, _ := models.ParseNewProduct(1, 1, models.ProductDetails{SKU: ptr("MUG-1")})
		if _, err := s.CreateProduct(ctx, np); !isSKUTaken(err) {
			t.Fatalf("create with a taken SKU: err = %v", err)
		}
		patch, _ := models.ParseProductPatch(b.ID, nil, nil, models.ProductDetails{SKU: ptr("mug-1")})
		if _, err := s.UpdateProduct(ctx, b.ID, patch); !isSKUTaken(err) {
			t.Fatalf("update to a taken SKU: err = %v", err)
		}
		// The product keeps its own SKU in another case.
		patch, _ = models.ParseProductPatch(a.ID, nil, nil, models.ProductDetails{SKU: ptr("MUG-1")})
		if up, err := s.UpdateProduct(ctx, a.ID, patch); err != nil || *up.SKU != "MUG-1" {
			t.Fatalf("re-case own SKU = %+v, %v", up, err)
		}
	})
}

// Products created at once with the same SKU (in different cases): exactly
// one wins.
func TestSKUUniqueUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		const n = 20
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sku := "race-sku"
				if i%2 == 1 {
					sku = "RACE-SKU"
				}
				np, _ := models.ParseNewProduct(1, 1, models.ProductDetails{SKU: &sku})
				<-start
				_, errs[i] = s.CreateProduct(context.Background(), np)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case isSKUTaken(err), models.ErrorCode(err) == errcode.ServiceUnavailable:
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d creates won, want 1", won)
		}
	})
}

// sameProduct compares products field by field, times by the instant.
func sameProduct(a, b *models.Product) bool {
	x, y := *a, *b
	if !x.CreatedAt.Equal(y.CreatedAt) || !x.LastUpdated.Equal(y.LastUpdated) || !reflect.DeepEqual(x.SKU, y.SKU) {
		return false
	}
	x.CreatedAt, x.LastUpdated, x.SKU = y.CreatedAt, y.LastUpdated, y.SKU
	return reflect.DeepEqual(x, y)
}

func isSKUTaken(err error) bool {
	var e *models.Error
	return errors.As(err, &e) && e.Code == errcode.Conflict && len(e.Fields) == 1 && e.Fields[0].Field == "sku"
}

// Inactive products are in admins' lists only, and can't be ordered.
func TestInactiveProducts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		on := mustNew(t, s, models.ProductDetails{})
		off := mustNew(t, s, models.ProductDetails{Active: ptr(false)})
		shop, err := s.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
		if err != nil || len(shop) != 1 || shop[0].ID != on.ID {
			t.Fatalf("shoppers' list = %v, %v", shop, err)
		}
		all, err := s.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{IncludeInactive: true})
		if err != nil || len(all) != 2 {
			t.Fatalf("admins' list = %v, %v", all, err)
		}
		pg, err := s.ProductsPage(ctx, models.Connection{First: 10}, models.ProductFilter{})
		if err != nil || len(pg.Products) != 1 || pg.Products[0].ID != on.ID {
			t.Fatalf("shoppers' page = %+v, %v", pg, err)
		}
		pg, err = s.ProductsPage(ctx, models.Connection{First: 10}, models.ProductFilter{IncludeInactive: true})
		if err != nil || len(pg.Products) != 2 {
			t.Fatalf("admins' page = %+v, %v", pg, err)
		}
		_, err = s.CreateOrder(ctx, order(models.OrderLine{ProductID: on.ID, Quantity: 1}, models.OrderLine{ProductID: off.ID, Quantity: 1}))
		if models.ErrorCode(err) != errcode.ProductInactive {
			t.Fatalf("order of an inactive product: err = %v, want PRODUCT_INACTIVE", err)
		}
		if got, _ := s.ProductByID(ctx, on.ID); got.StockCount != 5 {
			t.Fatalf("the refused order took stock: %d left", got.StockCount)
		}
		patch, _ := models.ParseProductPatch(off.ID, nil, nil, models.ProductDetails{Active: ptr(true)})
		if _, err := s.UpdateProduct(ctx, off.ID, patch); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: off.ID, Quantity: 1})); err != nil {
			t.Fatalf("order of a reactivated product: %v", err)
		}
	})
}
