package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// Orders are listed newest first, with the id breaking ties.
const orderOrder = "created_at DESC, order_id DESC"

func (s *Store) ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error) {
	q, err := s.filterOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	os, err := s.scanOrders(ctx, q.Table("orders").Order(orderOrder).Limit(page.Limit).Offset(page.Offset), !f.WithoutItems, f.WithItemVariants)
	return os, mapError(err, "list orders")
}

func (s *Store) filterOrders(ctx context.Context, f models.OrderFilter) (*gorm.DB, error) {
	q := s.db.WithContext(ctx)
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Query != "" {
		search, err := s.resolveOrderSearch(ctx, f.Query)
		if err != nil {
			return nil, err
		}
		q = search.where(q)
	}
	return q, nil
}

func (s *Store) OrderByID(ctx context.Context, id string) (*models.Order, error) {
	var o models.Order
	err := s.db.WithContext(ctx).Where("order_id = ?", id).Preload("Items", itemsInOrder).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(errcode.NotFound, "Order %s does not exist.", id)
	}
	return &o, mapError(err, "get order")
}

func itemsInOrder(db *gorm.DB) *gorm.DB { return db.Order("position ASC") }

// OrdersPage reads one page of orders, newest first, after the cursor, by
// keyset on (created_at, order_id) with the filter's index.
func (s *Store) OrdersPage(ctx context.Context, c models.Connection, f models.OrderFilter) (models.OrderPage, error) {
	q, err := s.filterOrders(ctx, f)
	if err != nil {
		return models.OrderPage{}, err
	}
	q = q.Table("orders").Order(orderOrder).Limit(c.First + 1)
	if c.After != nil {
		q = q.Where("(created_at, order_id) < (?, ?)", c.After.CreatedAt, c.After.ID)
	}
	os, err := s.scanOrders(ctx, q, !f.WithoutItems, f.WithItemVariants)
	if err != nil {
		return models.OrderPage{}, mapError(err, "page orders")
	}
	os, more := trimPage(os, c.First)
	return models.OrderPage{Orders: os, HasNext: more}, nil
}
