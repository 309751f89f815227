package store_test

import (
	"context"
	"testing"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// BenchmarkProductsPage reads a page of 50 products at a cursor in a
// catalog of 2,000 on PostgreSQL: the store's share of a deep page (make
// bench, scenario 3). go test -run NONE -bench ProductsPage -benchmem ./store
func BenchmarkProductsPage(b *testing.B) {
	s := storetest.MustOpen(b, store.Options{DatabaseURL: testenv.MustPostgres(b), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		MustProduct(b, s, models.Money(100+i), 5)
	}
	first, err := s.ProductsPage(ctx, models.Connection{First: 1000}, models.ProductFilter{})
	if err != nil || len(first.Products) != 1000 {
		b.Fatalf("page: %v (%d)", err, len(first.Products))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := first.Products[i%len(first.Products)]
		pg, err := s.ProductsPage(ctx, models.Connection{First: 50, After: &models.Cursor{CreatedAt: p.CreatedAt, ID: p.ID}}, models.ProductFilter{})
		if err != nil || len(pg.Products) != 50 {
			b.Fatalf("page: %v (%d)", err, len(pg.Products))
		}
	}
}

// BenchmarkListOrders reads the newest 20 orders of 3 lines each: the
// store's share of an admin's getOrders(limit: 20) (make bench, scenario 5).
func BenchmarkListOrders(b *testing.B) {
	s := storetest.MustOpen(b, store.Options{DatabaseURL: testenv.MustPostgres(b), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	ps := []*models.Product{MustProduct(b, s, 100, 1000), MustProduct(b, s, 200, 1000), MustProduct(b, s, 300, 1000)}
	for i := 0; i < 40; i++ {
		if _, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: ps[0].ID, Quantity: 1}, models.OrderLine{ProductID: ps[1].ID, Quantity: 2}, models.OrderLine{ProductID: ps[2].ID, Quantity: 3})); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os, err := s.ListOrders(ctx, models.Page{Limit: 20}, models.OrderFilter{})
		if err != nil || len(os) != 20 || len(os[19].Items) != 3 {
			b.Fatalf("orders: %v (%d)", err, len(os))
		}
	}
}
