package cache

import (
	"context"
	"time"

	"shop/models"
)

// The order lifecycle and the stock ledger. Writes that move stock
// invalidate the products they moved, as CreateOrder does; the ledger's
// reads are an admin's and pass through.

// ChangeOrderStatus invalidates, for a cancellation, the products whose
// stock it put back. An order's lines never change, so the products are
// known before the write, and marked for it as every other write's keys.
func (c *Catalog) ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error) {
	if ch.To != models.OrderStatusCancelled {
		return c.next.ChangeOrderStatus(ctx, ch)
	}
	before, err := c.next.OrderByID(ctx, ch.OrderID)
	if err != nil {
		return nil, err
	}
	keys := itemKeys(*before)
	begun := c.begin(keys...)
	o, err := c.next.ChangeOrderStatus(ctx, ch)
	c.after(ctx, err, begun, changesOf(keys))
	return o, err
}

// ExpireOrders invalidates the products of the orders it cancelled. No
// caller waits on it, so nothing is marked before.
func (c *Catalog) ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error) {
	orders, err := c.next.ExpireOrders(ctx, cutoff, note, limit)
	if len(orders) == 0 {
		return orders, err
	}
	var keys []string
	for _, o := range orders {
		keys = append(keys, itemKeys(o)...)
	}
	c.after(ctx, err, nil, changesOf(dedupeKeys(keys)))
	return orders, err
}

func (c *Catalog) AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error) {
	begun := c.begin(productVersionKey(a.ProductID))
	p, err := c.next.AdjustStock(ctx, a)
	c.after(ctx, err, begun, []Change{{Key: productVersionKey(a.ProductID)}})
	return p, err
}

func (c *Catalog) OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error) {
	return c.next.OrderEvents(ctx, orderIDs)
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

func itemKeys(o models.Order) []string {
	keys := make([]string, len(o.Items))
	for i, it := range o.Items {
		keys[i] = productVersionKey(it.ProductID)
	}
	return keys
}

func changesOf(keys []string) []Change {
	changes := make([]Change, len(keys))
	for i, k := range keys {
		changes[i] = Change{Key: k}
	}
	return changes
}

func dedupeKeys(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
