package resolvers

import (
	"context"
	"sync"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

type idempotencyKey struct{}

// WithIdempotencyKey carries the request's Idempotency-Key header to
// createOrder.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, idempotencyKey{}, key)
}

func idempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// UpdateOrderStatus moves an order along its lifecycle (admins).
func (r *Resolver) UpdateOrderStatus(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireAdmin(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	ch, err := models.ParseStatusChange(str(p.Args, "orderId"), str(p.Args, "status"), str(p.Args, "note"),
		str(p.Args, "trackingNumber"), str(p.Args, "carrier"), caller)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.changeStatus(p, ch)
}

// AddOrderNote records a message for the order's customer, an internal
// note, or both, leaving the status as it is (admins).
func (r *Resolver) AddOrderNote(p graphql.ResolveParams) (any, error) {
	n, err := models.ParseOrderNote(str(p.Args, "orderId"), str(p.Args, "message"), str(p.Args, "note"), auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	o, err := r.store.AddOrderNote(p.Context, n)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.orderResult(p, o)
}

// CancelOrder cancels an order and restocks it: its customer while it is
// pending, an admin while the lifecycle allows.
func (r *Resolver) CancelOrder(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireSignedIn(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	ch, err := models.ParseCancel(str(p.Args, "orderId"), str(p.Args, "reason"), str(p.Args, "note"), caller)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.changeStatus(p, ch)
}

func (r *Resolver) changeStatus(p graphql.ResolveParams, ch models.StatusChange) (any, error) {
	var changer interface {
		ChangeOrderStatus(context.Context, models.StatusChange) (*models.Order, error)
	} = r.store
	if r.payments != nil {
		changer = r.payments
	}
	o, err := changer.ChangeOrderStatus(p.Context, ch)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.orderResult(p, o)
}

// orderResult loads, in one call each, what the selection asks for of a
// single order a mutation returns: its events, its payment, its items'
// products.
func (r *Resolver) orderResult(p graphql.ResolveParams, o *models.Order) (any, error) {
	orders := []models.Order{*o}
	if err := r.attachEvents(p, orders); err != nil {
		return nil, err
	}
	if err := r.attachPayments(p, orders); err != nil {
		return nil, err
	}
	primeProducts(p, orders...)
	return &orders[0], nil
}

// attachEvents loads, in one call, the events of the orders when the
// selection under p asks for them (path leads from p's field to the
// orders, e.g. "edges", "node").
func (r *Resolver) attachEvents(p graphql.ResolveParams, orders []models.Order, path ...string) error {
	if len(orders) == 0 || !selects(p.Info.FieldASTs, p.Info.Fragments, append(path, "events")...) {
		return nil
	}
	events, err := r.store.OrderEvents(p.Context, orderIDs(orders))
	if err != nil {
		return r.fail(p.Context, err)
	}
	caller := auth.CallerFrom(p.Context)
	for i := range orders {
		orders[i].Events = visibleEvents(caller, orders[i], events[orders[i].ID])
	}
	return nil
}

// visibleEvents is an order's events as caller may read them
// (OrderEvent.VisibleTo), never nil.
func visibleEvents(caller models.Caller, o models.Order, events []models.OrderEvent) []models.OrderEvent {
	out := make([]models.OrderEvent, len(events))
	for i, e := range events {
		out[i] = e.VisibleTo(caller, o.CustomerID)
	}
	return out
}

func orderIDs(orders []models.Order) []string {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	return ids
}

// OrderEvents resolves Order.events, loaded by attachEvents; an order
// reached another way loads its own.
func (r *Resolver) OrderEvents(p graphql.ResolveParams) (any, error) {
	var o models.Order
	switch v := p.Source.(type) {
	case models.Order:
		o = v
	case *models.Order:
		o = *v
	}
	if o.Events != nil {
		return o.Events, nil
	}
	events, err := r.store.OrderEvents(p.Context, []string{o.ID})
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return visibleEvents(auth.CallerFrom(p.Context), o, events[o.ID]), nil
}

// AdjustStock corrects a product's stock by a delta, with a reason
// (admins).
func (r *Resolver) AdjustStock(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireAdmin(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	delta, _ := p.Args["delta"].(int)
	a, err := models.ParseAdjustment(str(p.Args, "productId"), delta, str(p.Args, "reason"), caller)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	prod, err := r.store.AdjustStock(p.Context, a)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

// StockMovements is Product.stockMovements: the product's ledger (admins).
// A caller who may not read it is told once per request, however many
// products the query lists: graphql-go's cost per error (it locates each
// in the document) would otherwise let a cheap query of many products
// produce a response of thousands of errors.
func (r *Resolver) StockMovements(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		if refusedBefore(p.Context, "stockMovements") {
			return nil, nil
		}
		return nil, r.fail(p.Context, err)
	}
	var id string
	switch v := p.Source.(type) {
	case models.Product:
		id = v.ID
	case *models.Product:
		id = v.ID
	}
	conn, err := models.ParseLedgerConnection(optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	page, err := r.store.StockMovements(p.Context, id, conn)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}

// LowStock lists the products at or under a threshold, fewest first
// (admins).
func (r *Resolver) LowStock(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	threshold, err := models.ParseLowStock(optInt(p.Args, "threshold"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	ps, err := r.store.LowStock(p.Context, threshold, models.MaxLowStockResults)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ps, nil
}

type refusalsKey struct{}

// refusals remembers, for one request, which refusals it has reported.
type refusals struct {
	mu   sync.Mutex
	seen map[string]bool
}

// refusedBefore reports whether this request was already refused what; the
// first call records it.
func refusedBefore(ctx context.Context, what string) bool {
	rs, ok := ctx.Value(refusalsKey{}).(*refusals)
	if !ok {
		return false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.seen[what] {
		return true
	}
	rs.seen[what] = true
	return false
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
