package cache

import (
	"context"
	"time"

	"shop/models"
)

// The order lifecycle and the stock ledger. Writes that move stock
// invalidate the products they moved, as CreateOrder does; the ledger's
// reads are an admin's and pass through.

// ChangeOrderStatus invalidates the order's customer's orders and, for a
// cancellation, the products whose stock it put back (changeOrder).
func (c *Catalog) ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error) {
	return changeOrder(ctx, c, ch.OrderID, ch.To == models.OrderStatusCancelled, func() (*models.Order, error) {
		return c.next.ChangeOrderStatus(ctx, ch)
	})
}

// AddOrderNote invalidates the order's customer's orders, as a status
// change does: the customer's cached responses show the order's events.
func (c *Catalog) AddOrderNote(ctx context.Context, n models.OrderNote) (*models.Order, error) {
	return changeOrder(ctx, c, n.OrderID, false, func() (*models.Order, error) {
		return c.next.AddOrderNote(ctx, n)
	})
}

// ExpireOrders invalidates, after the commit, the customers' orders and the
// products of the orders it cancelled. No caller waits on it, so nothing
// is marked before.
func (c *Catalog) ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error) {
	orders, err := c.next.ExpireOrders(ctx, cutoff, note, limit)
	c.ordersChanged(ctx, true, orders...)
	return orders, err
}

func (c *Catalog) AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error) {
	var s changeSet
	s.product(a.ProductID)
	begun := c.begin(s.keys...)
	p, err := c.next.AdjustStock(ctx, a)
	c.after(ctx, err, begun, s.changes())
	return p, err
}

func (c *Catalog) OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error) {
	return c.next.OrderEvents(ctx, orderIDs)
}

func (c *Catalog) PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	return c.next.PurgeProcessedEvents(ctx, cutoff)
}

func (c *Catalog) PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	return c.next.PurgeIdempotencyKeys(ctx, cutoff)
}

// StockMovements is an admin's read under a product: a response holding it
// must never be stored where the catalog's shared responses are.
func (c *Catalog) StockMovements(ctx context.Context, productID string, conn models.LedgerConnection) (models.MovementPage, error) {
	recorderFrom(ctx).spoil()
	return c.next.StockMovements(ctx, productID, conn)
}

func (c *Catalog) LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error) {
	return c.next.LowStock(ctx, threshold, limit)
}
