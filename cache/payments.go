package cache

import (
	"context"

	"shop/models"
)

// Payments. An order's payment shows in the customer's own cached
// responses (Order.payment), so every write to a payment invalidates its
// order's customer's orders, through changeOrder like the lifecycle's
// writes; none of them moves stock. Reads pass through: they happen inside
// a response that already depends on the customer's version, taken before
// the order was read.

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

func (c *Catalog) AddPayment(ctx context.Context, p models.Payment) (*models.Payment, error) {
	return changeOrder(ctx, c, p.OrderID, false, func() (*models.Payment, error) { return c.next.AddPayment(ctx, p) })
}

// ApplyPaymentEvent may move the order to paid: its customer's orders are
// invalidated like any status change's.
func (c *Catalog) ApplyPaymentEvent(ctx context.Context, orderID string, e models.PaymentEvent) (models.PaymentOutcome, error) {
	return changeOrder(ctx, c, orderID, false, func() (models.PaymentOutcome, error) {
		return c.next.ApplyPaymentEvent(ctx, orderID, e)
	})
}

func (c *Catalog) ClaimRefund(ctx context.Context, ch models.StatusChange) (*models.Payment, error) {
	return changeOrder(ctx, c, ch.OrderID, false, func() (*models.Payment, error) { return c.next.ClaimRefund(ctx, ch) })
}

func (c *Catalog) SettleRefund(ctx context.Context, s models.RefundSettlement) error {
	_, err := changeOrder(ctx, c, s.OrderID, false, func() (struct{}, error) { return struct{}{}, c.next.SettleRefund(ctx, s) })
	return err
}
