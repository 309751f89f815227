package cache

import (
	"context"
	"time"

	"shop/models"
)

// The dashboard's reports are never cached: each is read from the
// database, so its counts are right as soon as an order changes state.
// They read every customer's orders, which no version covers, so a
// response that reads them is never stored either.

func (c *Catalog) Overview(ctx context.Context, lowStockThreshold int, now time.Time) (models.Overview, error) {
	recorderFrom(ctx).spoil()
	return c.next.Overview(ctx, lowStockThreshold, now)
}

func (c *Catalog) SalesReport(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error) {
	recorderFrom(ctx).spoil()
	return c.next.SalesReport(ctx, r)
}

func (c *Catalog) CustomersPage(ctx context.Context, s models.CustomerSearch) (models.CustomerPage, error) {
	recorderFrom(ctx).spoil()
	return c.next.CustomersPage(ctx, s)
}
