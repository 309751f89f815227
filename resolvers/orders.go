package resolvers

import (
	"context"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
	"shop/ordering"
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

// include is what the selection under p asks for of the orders it returns
// (path leads from p's field to the orders, e.g. "edges", "node").
func include(p graphql.ResolveParams, path ...string) ordering.Include {
	at := func(field string) bool {
		return selects(p.Info.FieldASTs, p.Info.Fragments, append(path[:len(path):len(path)], field)...)
	}
	variant := false
	for _, f := range []string{"variantId", "sku", "title", "options"} {
		variant = variant || selects(p.Info.FieldASTs, p.Info.Fragments, append(path[:len(path):len(path)], "items", f)...)
	}
	return ordering.Include{Items: at("items"), Events: at("events"), Payment: at("payment"), ItemVariants: variant}
}

// GetOrders lists the orders the caller may see: all for an admin, its
// own for a customer.
func (r *Resolver) GetOrders(p graphql.ResolveParams) (any, error) {
	os, err := r.ordering.List(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "limit"), optInt(p.Args, "offset"), include(p))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	primeProducts(p, os...)
	return os, nil
}

// Orders is the orders connection, optionally for one customer or status,
// narrowed to the orders the caller may see.
func (r *Resolver) Orders(p graphql.ResolveParams) (any, error) {
	page, err := r.ordering.Page(p.Context, auth.CallerFrom(p.Context), ordering.Query{
		First: optInt(p.Args, "first"), After: optString(p.Args, "after"),
		CustomerID: optString(p.Args, "customerId"), Status: optString(p.Args, "status"), Query: optString(p.Args, "query"),
	}, include(p, "edges", "node"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	// primeProducts finds nothing to load when no node is selected.
	primeProducts(withInner(p, "edges", "node"), page.Orders...)
	return page, nil
}

// GetOrderByID shows another customer's order as null, like a missing one.
func (r *Resolver) GetOrderByID(p graphql.ResolveParams) (any, error) {
	o, err := r.ordering.Order(p.Context, auth.CallerFrom(p.Context), str(p.Args, "orderId"), include(p))
	return r.order(p, o, err)
}

// CreateOrder places an order for the caller, or, for an admin, for the
// customer named.
func (r *Resolver) CreateOrder(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	raw, _ := in["items"].([]any)
	lines := make([]models.OrderLine, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		id, _ := m["productId"].(string)
		variant, _ := m["variantId"].(string)
		q, _ := m["quantity"].(int)
		lines = append(lines, models.OrderLine{ProductID: id, VariantID: variant, Quantity: q})
	}
	o, err := r.ordering.Place(p.Context, auth.CallerFrom(p.Context), ordering.NewOrder{
		CustomerID: optString(in, "customerId"), Lines: lines,
		IdempotencyKey: str(in, "idempotencyKey"), HeaderKey: idempotencyKeyFrom(p.Context),
	}, include(p))
	return r.order(p, o, err)
}

// UpdateOrderStatus moves an order along its lifecycle (admins).
func (r *Resolver) UpdateOrderStatus(p graphql.ResolveParams) (any, error) {
	o, err := r.ordering.UpdateStatus(p.Context, auth.CallerFrom(p.Context), ordering.StatusUpdate{
		OrderID: str(p.Args, "orderId"), Status: str(p.Args, "status"), Note: str(p.Args, "note"),
		TrackingNumber: str(p.Args, "trackingNumber"), Carrier: str(p.Args, "carrier"),
	}, include(p))
	return r.order(p, o, err)
}

// AddOrderNote records a message for the order's customer, an internal
// note, or both, leaving the status as it is (admins).
func (r *Resolver) AddOrderNote(p graphql.ResolveParams) (any, error) {
	o, err := r.ordering.AddNote(p.Context, auth.CallerFrom(p.Context), str(p.Args, "orderId"), str(p.Args, "message"), str(p.Args, "note"), include(p))
	return r.order(p, o, err)
}

// CancelOrder cancels an order and restocks it: its customer while it is
// pending, an admin while the lifecycle allows.
func (r *Resolver) CancelOrder(p graphql.ResolveParams) (any, error) {
	o, err := r.ordering.Cancel(p.Context, auth.CallerFrom(p.Context), str(p.Args, "orderId"), str(p.Args, "reason"), str(p.Args, "note"), include(p))
	return r.order(p, o, err)
}

// order is a single order the ordering service returned, with its items'
// products primed in one batch: null when there is none.
func (r *Resolver) order(p graphql.ResolveParams, o *models.Order, err error) (any, error) {
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if o == nil {
		return nil, nil
	}
	primeProducts(p, *o)
	return o, nil
}

// OrderEvents resolves Order.events, loaded with the order when the query
// asked for them; an order reached another way loads its own.
func (r *Resolver) OrderEvents(p graphql.ResolveParams) (any, error) {
	o := sourceOrder(p)
	if o.Events != nil {
		return o.Events, nil
	}
	events, err := r.ordering.Events(p.Context, auth.CallerFrom(p.Context), o)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return events, nil
}

// OrderPayment resolves Order.payment, loaded with the order when the
// query asked for it; an order reached another way loads its own.
func (r *Resolver) OrderPayment(p graphql.ResolveParams) (any, error) {
	o := sourceOrder(p)
	if !o.PaymentLoaded {
		pay, err := r.ordering.Payment(p.Context, o)
		if err != nil {
			return nil, r.fail(p.Context, err)
		}
		o.Payment = pay
	}
	if o.Payment == nil {
		return nil, nil
	}
	return o.Payment, nil
}

func sourceOrder(p graphql.ResolveParams) models.Order {
	switch v := p.Source.(type) {
	case models.Order:
		return v
	case *models.Order:
		return *v
	}
	return models.Order{}
}

// primeProducts loads, in one call, the products of the orders' items when
// the query asks for them (items { product }).
func primeProducts(p graphql.ResolveParams, orders ...models.Order) {
	l := loaderFrom(p.Context)
	if l == nil || !selects(p.Info.FieldASTs, p.Info.Fragments, "items", "product") {
		return
	}
	var ids []string
	for _, o := range orders {
		for _, it := range o.Items {
			ids = append(ids, it.ProductID)
		}
	}
	l.prime(ids)
}

// ItemProduct resolves OrderItem.product from the request's loader, which
// the order resolvers primed with every item's product in one call, so a
// page of orders costs one product lookup, not one per item. A product not
// primed (a selection primeProducts did not foresee) is fetched alone.
func (r *Resolver) ItemProduct(p graphql.ResolveParams) (any, error) {
	item, _ := p.Source.(models.OrderItem)
	l := loaderFrom(p.Context)
	if l == nil {
		l = newProductLoader(p.Context, r.catalog)
	}
	got, ok := l.peek(item.ProductID)
	if !ok {
		l.prime([]string{item.ProductID})
		got, _ = l.peek(item.ProductID)
	}
	if got.err != nil {
		return nil, r.fail(p.Context, got.err)
	}
	if got.p == nil {
		return nil, nil
	}
	return got.p, nil
}
