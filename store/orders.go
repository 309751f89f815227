package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/models"
)

// Orders are listed newest first, with the id breaking ties.
const orderOrder = "created_at DESC, order_id DESC"

// CreateOrder takes the stock of every line and records the order in one
// transaction. Stock is taken with a conditional UPDATE, never read and then
// written, so two orders can't both sell the last unit; lines come sorted by
// product id, so concurrent orders lock rows in the same order. Any failing
// line rolls the whole order back.
func (s *Store) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	var order models.Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		prices := make(map[string]models.Money, len(req.Lines))
		for _, l := range req.Lines {
			var price []int64
			err := tx.Raw(`UPDATE products SET stock_count = stock_count - ?, last_updated = ?
				WHERE product_id = ? AND stock_count >= ? RETURNING price_cents`,
				l.Quantity, now, l.ProductID, l.Quantity).Scan(&price).Error
			if err != nil {
				return fmt.Errorf("take stock of %s: %w", l.ProductID, err)
			}
			if len(price) == 0 {
				return s.whyNoStock(tx, l)
			}
			prices[l.ProductID] = models.Money(price[0])
		}
		items, total, err := models.PriceOrder(req.Lines, prices)
		if err != nil {
			return err
		}
		order = models.Order{
			ID:          uuid.NewString(),
			CustomerID:  req.CustomerID,
			TotalAmount: total,
			Status:      models.OrderStatusPending,
			CreatedAt:   now,
			LastUpdated: now,
		}
		if err := tx.Omit("Items").Create(&order).Error; err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		for i := range items {
			items[i].ID = uuid.NewString()
			items[i].OrderID = order.ID
		}
		if err := tx.Create(&items).Error; err != nil {
			return fmt.Errorf("insert order items: %w", err)
		}
		order.Items = items
		return nil
	})
	if err != nil {
		return nil, mapError(err, "create order")
	}
	return &order, nil
}

// whyNoStock tells a missing product from a short one after the conditional
// UPDATE matched no row.
func (s *Store) whyNoStock(tx *gorm.DB, l models.OrderLine) error {
	var stock []int
	if err := tx.Raw(`SELECT stock_count FROM products WHERE product_id = ?`, l.ProductID).Scan(&stock).Error; err != nil {
		return fmt.Errorf("read stock of %s: %w", l.ProductID, err)
	}
	if len(stock) == 0 {
		return models.ProductNotFound(l.ProductID)
	}
	return models.InsufficientStock(l.ProductID, stock[0], l.Quantity)
}

func (s *Store) ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error) {
	var os []models.Order
	err := filterOrders(s.db.WithContext(ctx), f).Order(orderOrder).Limit(page.Limit).Offset(page.Offset).
		Preload("Items", itemsInOrder).Find(&os).Error
	return os, mapError(err, "list orders")
}

func filterOrders(q *gorm.DB, f models.OrderFilter) *gorm.DB {
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	return q
}

func (s *Store) OrderByID(ctx context.Context, id string) (*models.Order, error) {
	var o models.Order
	err := s.db.WithContext(ctx).Where("order_id = ?", id).Preload("Items", itemsInOrder).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(models.CodeNotFound, "Order %s does not exist.", id)
	}
	return &o, mapError(err, "get order")
}

func itemsInOrder(db *gorm.DB) *gorm.DB { return db.Order("position ASC") }

// OrdersPage reads one page of orders, newest first, after the cursor, by
// keyset on (created_at, order_id) with the filter's index.
func (s *Store) OrdersPage(ctx context.Context, c models.Connection, f models.OrderFilter) (models.OrderPage, error) {
	q := filterOrders(s.db.WithContext(ctx), f).Order(orderOrder).Limit(c.First+1).Preload("Items", itemsInOrder)
	if c.After != nil {
		q = q.Where("(created_at, order_id) < (?, ?)", c.After.CreatedAt, c.After.ID)
	}
	var os []models.Order
	if err := q.Find(&os).Error; err != nil {
		return models.OrderPage{}, mapError(err, "page orders")
	}
	os, more := trimPage(os, c.First)
	return models.OrderPage{Orders: os, HasNext: more}, nil
}
