// Package reports is the admin dashboard's reads: the overview, the sales
// report and the customers list. None of them is cached: each answers from
// the rows as they are, so a count is right as soon as an order changes.
package reports

import (
	"context"
	"time"

	"shop/models"
)

// Store is what the reports read.
type Store interface {
	// Overview counts orders and products as models.Overview says, with
	// today's sales (the UTC day of now).
	Overview(ctx context.Context, lowStockThreshold int, now time.Time) (models.Overview, error)
	// SalesReport is the sales of every day of r, oldest first.
	SalesReport(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error)
	// CustomersPage is one page of the customer accounts, newest first,
	// with their orders' counts and sums.
	CustomersPage(ctx context.Context, s models.CustomerSearch) (models.CustomerPage, error)
}

// Service runs the reports, for admins only.
type Service struct {
	store Store
	now   func() time.Time
}

// New makes a Service over store.
func New(store Store) *Service { return &Service{store: store, now: time.Now} }

// Overview is the counts that lead to work, and today's sales; threshold
// (nil: the default) is what counts as low stock.
func (s *Service) Overview(ctx context.Context, c models.Caller, threshold *int) (*models.Overview, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	t, err := models.ParseLowStockThreshold(threshold)
	if err != nil {
		return nil, err
	}
	ov, err := s.store.Overview(ctx, t, s.now())
	if err != nil {
		return nil, err
	}
	return &ov, nil
}

// SalesReport is the sales of each of the last days UTC days (nil: the
// default), today included.
func (s *Service) SalesReport(ctx context.Context, c models.Caller, days *int) ([]models.SalesDay, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	n, err := models.ParseSalesDays(days)
	if err != nil {
		return nil, err
	}
	return s.store.SalesReport(ctx, models.SalesDays(s.now(), n))
}

// Customers is the customers connection, newest first, searched by query.
func (s *Service) Customers(ctx context.Context, c models.Caller, first *int, after, query *string) (models.CustomerPage, error) {
	if err := models.RequireAdmin(c); err != nil {
		return models.CustomerPage{}, err
	}
	search, err := models.ParseCustomerSearch(first, after, query)
	if err != nil {
		return models.CustomerPage{}, err
	}
	return s.store.CustomersPage(ctx, search)
}
