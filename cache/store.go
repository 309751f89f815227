package cache

import (
	"context"
	"time"

	"shop/models"
)

// Store is the data layer the Catalog wraps: every port of the services
// (catalog, ordering, reports, payments) at once, so that one Catalog can
// stand in for the store behind each of them.
type Store interface {
	ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error)
	// ProductsPage is the products connection, oldest first.
	ProductsPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error)
	// ProductByID returns an error with errcode.NotFound when there is none.
	ProductByID(ctx context.Context, id string) (*models.Product, error)
	// ProductsByIDs returns the products that exist, keyed by id.
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error)
	CreateProduct(ctx context.Context, p models.NewProduct) (*models.Product, error)
	// UpdateProduct returns an error with errcode.NotFound when there is none.
	UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error)
	// DeleteProduct reports whether a product was deleted.
	DeleteProduct(ctx context.Context, id string) (bool, error)
	// AdjustStock changes a product's stock by a delta, in the ledger.
	AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error)
	// StockMovements pages through a product's ledger, oldest first.
	StockMovements(ctx context.Context, productID string, c models.LedgerConnection) (models.MovementPage, error)
	// LowStock lists products with at most threshold in stock, fewest
	// first.
	LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error)

	// Categories returns every category, each with the number of products
	// directly in it that f lets through.
	Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error)
	CreateCategory(ctx context.Context, c models.NewCategory) (*models.Category, error)
	// UpdateCategory returns an error with errcode.NotFound when there is none.
	UpdateCategory(ctx context.Context, id string, patch models.CategoryPatch) (*models.Category, error)
	// DeleteCategory reports whether a category was deleted; it refuses
	// (errcode.Conflict) while the category has products or subcategories.
	DeleteCategory(ctx context.Context, id string) (bool, error)

	// CreateOrder places an order, or, for a retry under the same
	// idempotency key, returns the order the key created.
	CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error)
	// ChangeOrderStatus moves an order along its lifecycle; a cancellation
	// restocks its lines. It returns the order with its items.
	ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error)
	// AddOrderNote records an event that leaves the order's status as it
	// is, and returns the order with its items.
	AddOrderNote(ctx context.Context, n models.OrderNote) (*models.Order, error)
	// ExpireOrders cancels up to limit pending orders created before
	// cutoff, restocking them, and returns them.
	ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error)
	// OrderEvents returns the orders' events, oldest first, by order id.
	OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error)
	// PurgeIdempotencyKeys deletes keys created before cutoff.
	PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
	// PurgeProcessedEvents forgets webhook events applied before cutoff.
	PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error)
	// ListOrders lists orders newest first; the filter's empty fields
	// match all.
	ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error)
	// OrdersPage is the orders connection, newest first.
	OrdersPage(ctx context.Context, c models.Connection, f models.OrderFilter) (models.OrderPage, error)
	// OrderByID returns an error with errcode.NotFound when there is none.
	OrderByID(ctx context.Context, id string) (*models.Order, error)
	// OrderPayments returns each order's current payment (its latest
	// attempt), by order id; orders without one are left out.
	OrderPayments(ctx context.Context, orderIDs []string) (map[string]*models.Payment, error)

	// Payments returns an order's payments, oldest attempt first.
	Payments(ctx context.Context, orderID string) ([]models.Payment, error)
	// PaymentByID and PaymentByProviderID return an error with
	// errcode.NotFound when there is none.
	PaymentByID(ctx context.Context, id string) (*models.Payment, error)
	PaymentByProviderID(ctx context.Context, provider, providerID string) (*models.Payment, error)
	// AddPayment records a payment the provider made, if its order is
	// still pending and has no open payment, judged in the transaction.
	// When a payment of the same attempt is recorded already (a racing
	// request made it), it returns that one.
	AddPayment(ctx context.Context, p models.Payment) (*models.Payment, error)
	// ApplyPaymentEvent applies a verified event to the payment it names,
	// an order's (orderID), in one transaction with the record of the
	// event's id: an event already recorded changes nothing and returns
	// Duplicate. The rule is DecidePaymentEvent.
	ApplyPaymentEvent(ctx context.Context, orderID string, e models.PaymentEvent) (models.PaymentOutcome, error)
	// ClaimRefund marks the succeeded payment of the order ch cancels as
	// being refunded, after judging ch (who may cancel, and the lifecycle)
	// as ChangeOrderStatus would. It returns the payment (one being
	// refunded already is returned again, so a refund interrupted is
	// retried), or nil when the order has nothing to refund.
	ClaimRefund(ctx context.Context, ch models.StatusChange) (*models.Payment, error)
	// SettleRefund records the outcome of a refund made outside a
	// cancellation (a payment that arrived too late), or the failure of
	// one a cancellation claimed.
	SettleRefund(ctx context.Context, s models.RefundSettlement) error

	// Overview counts orders and products as Overview says, with
	// today's sales (the UTC day of now).
	Overview(ctx context.Context, lowStockThreshold int, now time.Time) (models.Overview, error)
	// SalesReport is the sales of every day of r, oldest first.
	SalesReport(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error)
	// CustomersPage is one page of the customer accounts, newest first,
	// with their orders' counts and sums.
	CustomersPage(ctx context.Context, s models.CustomerSearch) (models.CustomerPage, error)
}
