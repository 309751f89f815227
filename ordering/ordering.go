// Package ordering is the orders' use cases: placing an order (with its
// idempotency key and the customer's limits), moving it along its
// lifecycle, notes, and reading orders as the caller may see them. It
// decides who may do what and turns raw input into requests with the
// rules of models, then calls its ports: Reader, Writer, and
// StatusChanger for status changes.
package ordering

import (
	"context"

	"shop/models"
)

// Reader is what ordering reads.
type Reader interface {
	// ListOrders lists orders newest first; the filter's empty fields
	// match all.
	ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error)
	// OrdersPage is the orders connection, newest first.
	OrdersPage(ctx context.Context, c models.Connection, f models.OrderFilter) (models.OrderPage, error)
	// OrderByID returns an error with errcode.NotFound when there is none.
	OrderByID(ctx context.Context, id string) (*models.Order, error)
	// OrderEvents returns the orders' events, oldest first, by order id.
	OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error)
	// OrderPayments returns each order's current payment (its latest
	// attempt), by order id; orders without one are left out.
	OrderPayments(ctx context.Context, orderIDs []string) (map[string]*models.Payment, error)
}

// Writer is what ordering writes.
type Writer interface {
	// CreateOrder places an order, or, for a retry under the same
	// idempotency key, returns the order the key created.
	CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error)
	// AddOrderNote records an event that leaves the order's status as it
	// is, and returns the order with its items.
	AddOrderNote(ctx context.Context, n models.OrderNote) (*models.Order, error)
}

// StatusChanger moves an order along its lifecycle, restocking a
// cancelled order's lines, and returns the order with its items. In the
// server it is the payments service, which refunds a paid order before
// cancelling it.
type StatusChanger interface {
	ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error)
}

// Options configure a Service.
type Options struct {
	Reader Reader
	Writer Writer
	Status StatusChanger
	// Limits bound what a customer may order and hold unpaid
	// (ORDER_MAX_*); the zero value bounds orders only by ParseOrder's
	// input limits.
	Limits models.OrderLimits
	// MaxPageSize bounds getOrders' pages.
	MaxPageSize int
}

// Service runs the orders' use cases.
type Service struct {
	read        Reader
	write       Writer
	status      StatusChanger
	limits      models.OrderLimits
	maxPageSize int
}

// New makes a Service.
func New(o Options) *Service {
	return &Service{read: o.Reader, write: o.Writer, status: o.Status, limits: o.Limits, maxPageSize: o.MaxPageSize}
}

// Include says what of each order the caller's query reads beyond the
// order itself, so that only that is loaded, in one call each for all the
// orders returned.
type Include struct {
	// Items: a list's orders come with their items (a single order always
	// does).
	Items bool
	// Events: the order's events, as the caller may read them.
	Events bool
	// Payment: the order's current payment.
	Payment bool
	// ItemVariants: a list's lines come with the variant they bought
	// (variantId, sku, title, options); a single order's always do.
	ItemVariants bool
}

// NewOrder is createOrder's input as the client sent it.
type NewOrder struct {
	// CustomerID is whom the order is for; nil when left out (the caller).
	CustomerID *string
	Lines      []models.OrderLine
	// IdempotencyKey is the input's key, HeaderKey the request's
	// Idempotency-Key header ("" when absent).
	IdempotencyKey, HeaderKey string
}

// Place places an order for c, or, for an admin, for the customer named;
// a retry under the same idempotency key returns the order the key made.
// A customer's order is held to the limits; an admin's is not.
func (s *Service) Place(ctx context.Context, c models.Caller, in NewOrder, inc Include) (*models.Order, error) {
	customerID, err := models.OrderCustomer(c, in.CustomerID)
	if err != nil {
		return nil, err
	}
	req, err := models.ParseOrder(customerID, in.Lines)
	if err != nil {
		return nil, err
	}
	if err := models.LimitOrder(c, &req, s.limits); err != nil {
		return nil, err
	}
	req.Actor = models.ActorOf(c)
	if req.IdempotencyKey, err = models.ParseIdempotencyKey(in.HeaderKey, in.IdempotencyKey); err != nil {
		return nil, err
	}
	o, err := s.write.CreateOrder(ctx, req)
	if err != nil {
		return nil, err
	}
	return s.Detail(ctx, c, o, inc)
}

// StatusUpdate is updateOrderStatus's input as the client sent it.
type StatusUpdate struct {
	OrderID, Status, Note, TrackingNumber, Carrier string
}

// UpdateStatus moves an order along its lifecycle (admins).
func (s *Service) UpdateStatus(ctx context.Context, c models.Caller, in StatusUpdate, inc Include) (*models.Order, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	ch, err := models.ParseStatusChange(in.OrderID, in.Status, in.Note, in.TrackingNumber, in.Carrier, c)
	if err != nil {
		return nil, err
	}
	return s.changeStatus(ctx, c, ch, inc)
}

// Cancel cancels an order and restocks it: its customer while it is
// pending, an admin while the lifecycle allows.
func (s *Service) Cancel(ctx context.Context, c models.Caller, orderID, reason, note string, inc Include) (*models.Order, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return nil, err
	}
	ch, err := models.ParseCancel(orderID, reason, note, c)
	if err != nil {
		return nil, err
	}
	return s.changeStatus(ctx, c, ch, inc)
}

func (s *Service) changeStatus(ctx context.Context, c models.Caller, ch models.StatusChange, inc Include) (*models.Order, error) {
	o, err := s.status.ChangeOrderStatus(ctx, ch)
	if err != nil {
		return nil, err
	}
	return s.Detail(ctx, c, o, inc)
}

// AddNote records a message for the order's customer, an internal note, or
// both, leaving the status as it is (admins: models.ParseOrderNote).
func (s *Service) AddNote(ctx context.Context, c models.Caller, orderID, message, note string, inc Include) (*models.Order, error) {
	n, err := models.ParseOrderNote(orderID, message, note, c)
	if err != nil {
		return nil, err
	}
	o, err := s.write.AddOrderNote(ctx, n)
	if err != nil {
		return nil, err
	}
	return s.Detail(ctx, c, o, inc)
}
