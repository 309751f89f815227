package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"shop/models"
)

// SeedForTest writes orders of lines items each, every item a product of
// its own, in bulk and without taking stock: for tests of the largest
// pages, which would take minutes through CreateOrder. It returns the
// products' ids.
func (s *Store) SeedForTest(ctx context.Context, orders, lines int) ([]string, error) {
	now := s.db.NowFunc()
	ids := make([]string, 0, orders*lines)
	products := make([]models.Product, 0, orders*lines)
	os := make([]models.Order, 0, orders)
	items := make([]models.OrderItem, 0, orders*lines)
	for o := 0; o < orders; o++ {
		order := models.Order{ID: uuid.NewString(), CustomerID: "seed", Status: models.OrderStatusPending,
			CreatedAt: now.Add(time.Duration(o) * time.Microsecond), LastUpdated: now}
		for l := 0; l < lines; l++ {
			p := models.Product{ID: uuid.NewString(), Price: 100, StockCount: 1, CreatedAt: now, LastUpdated: now}
			products = append(products, p)
			ids = append(ids, p.ID)
			items = append(items, models.OrderItem{ID: uuid.NewString(), OrderID: order.ID, ProductID: p.ID, Quantity: 1, PriceAtPurchase: 100, Position: l})
			order.TotalAmount += 100
		}
		os = append(os, order)
	}
	db := s.db.WithContext(ctx)
	// Batches stay under both databases' parameter limits.
	if err := db.CreateInBatches(products, 1000).Error; err != nil {
		return nil, fmt.Errorf("seed products: %w", err)
	}
	if err := db.Omit("Items").CreateInBatches(os, 1000).Error; err != nil {
		return nil, fmt.Errorf("seed orders: %w", err)
	}
	if err := db.CreateInBatches(items, 1000).Error; err != nil {
		return nil, fmt.Errorf("seed items: %w", err)
	}
	return ids, nil
}
