package cache

import (
	"context"

	"shop/models"
)

// The helpers the writes to orders build on, for the tests in cache_test.

func ChangeOrder(ctx context.Context, c *Catalog, id string, stock bool, write func() (*models.Order, error)) (*models.Order, error) {
	return changeOrder(ctx, c, id, stock, write)
}

func (c *Catalog) OrdersChanged(ctx context.Context, stock bool, orders ...models.Order) {
	c.ordersChanged(ctx, stock, orders...)
}
