package cache

import (
	"context"

	"shop/models"
)

// Payments. An order's payment shows in the customer's own cached
// responses (Order.payment), so every payment event invalidates its
// order's customer's orders (changesOf). Reads pass through: they happen
// inside a response that already depends on the customer's version, taken
// before the order was read.

func (c *Catalog) OrderPayments(ctx context.Context, orderIDs []string) (map[string]*models.Payment, error) {
	return c.next.OrderPayments(ctx, orderIDs)
}

func (c *Catalog) Payments(ctx context.Context, orderID string) ([]models.Payment, error) {
	return c.next.Payments(ctx, orderID)
}

func (c *Catalog) PaymentByID(ctx context.Context, id string) (*models.Payment, error) {
	return c.next.PaymentByID(ctx, id)
}

func (c *Catalog) PaymentByProviderID(ctx context.Context, provider, providerID string) (*models.Payment, error) {
	return c.next.PaymentByProviderID(ctx, provider, providerID)
}
