package cache

import (
	"context"

	"shop/models"
)

// The order lifecycle and the stock ledger: the ledger's reads are an
// admin's and pass through.

func (c *Catalog) OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error) {
	return c.next.OrderEvents(ctx, orderIDs)
}

// StockMovements is an admin's read under a product: a response holding it
// must never be stored where the catalog's shared responses are.
func (c *Catalog) StockMovements(ctx context.Context, productID, variantID string, conn models.LedgerConnection) (models.MovementPage, error) {
	recorderFrom(ctx).spoil()
	return c.next.StockMovements(ctx, productID, variantID, conn)
}

// LowStockVariants is an admin's read, never stored.
func (c *Catalog) LowStockVariants(ctx context.Context, threshold, limit int) ([]models.ProductVariant, error) {
	recorderFrom(ctx).spoil()
	return c.next.LowStockVariants(ctx, threshold, limit)
}

func (c *Catalog) LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error) {
	return c.next.LowStock(ctx, threshold, limit)
}
