package cache

import (
	"context"
	"time"

	"shop/models"
)

// WithWrites is the catalog's reads with w's writes (which reach the
// cache as their events), as the resolvers take them until they call
// services with ports of their own.
func WithWrites(c *Catalog, w Writes) models.Store { return data{Catalog: c, Writes: w} }

type data struct {
	*Catalog
	Writes
}

// Writes are the store's writes.

type Writes interface {
	CreateProduct(ctx context.Context, p models.NewProduct) (*models.Product, error)
	UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error)
	DeleteProduct(ctx context.Context, id string) (bool, error)
	AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error)
	CreateCategory(ctx context.Context, c models.NewCategory) (*models.Category, error)
	UpdateCategory(ctx context.Context, id string, patch models.CategoryPatch) (*models.Category, error)
	DeleteCategory(ctx context.Context, id string) (bool, error)
	CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error)
	ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error)
	AddOrderNote(ctx context.Context, n models.OrderNote) (*models.Order, error)
	ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error)
	PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
	PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error)
	AddPayment(ctx context.Context, p models.Payment) (*models.Payment, error)
	ApplyPaymentEvent(ctx context.Context, orderID string, e models.PaymentEvent) (models.PaymentOutcome, error)
	ClaimRefund(ctx context.Context, ch models.StatusChange) (*models.Payment, error)
	SettleRefund(ctx context.Context, st models.RefundSettlement) error
}
