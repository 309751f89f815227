package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

// GetOrders lists the orders the caller may see: all for an admin, its
// own for a customer.
func (r *Resolver) GetOrders(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireSignedIn(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	page, err := r.page(p)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	filter, _ := models.VisibleOrders(caller, models.OrderFilter{})
	filter.WithoutItems = !selects(p.Info.FieldASTs, p.Info.Fragments, "items")
	os, err := r.store.ListOrders(p.Context, page, filter)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if err := r.attachEvents(p, os); err != nil {
		return nil, err
	}
	if err := r.attachPayments(p, os); err != nil {
		return nil, err
	}
	primeProducts(p, os...)
	return os, nil
}

// GetOrderByID shows another customer's order as null, like a missing one.
func (r *Resolver) GetOrderByID(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireSignedIn(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	id, _ := p.Args["orderId"].(string)
	if err := models.ValidateID("orderId", id); err != nil {
		return nil, r.fail(p.Context, err)
	}
	o, err := r.store.OrderByID(p.Context, id)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if !models.CanSeeOrder(caller, *o) {
		return nil, nil
	}
	return r.orderResult(p, o)
}

// CreateOrder places an order for the caller, or, for an admin, for the
// customer named.
func (r *Resolver) CreateOrder(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	caller := auth.CallerFrom(p.Context)
	customerID, err := models.OrderCustomer(caller, optString(in, "customerId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	raw, _ := in["items"].([]any)
	lines := make([]models.OrderLine, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		id, _ := m["productId"].(string)
		q, _ := m["quantity"].(int)
		lines = append(lines, models.OrderLine{ProductID: id, Quantity: q})
	}
	req, err := models.ParseOrder(customerID, lines)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if err := models.LimitOrder(caller, &req, r.orderLimits); err != nil {
		return nil, r.fail(p.Context, err)
	}
	req.Actor = models.ActorOf(caller)
	if req.IdempotencyKey, err = models.ParseIdempotencyKey(idempotencyKeyFrom(p.Context), str(in, "idempotencyKey")); err != nil {
		return nil, r.fail(p.Context, err)
	}
	o, err := r.store.CreateOrder(p.Context, req)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.orderResult(p, o)
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
		l = newProductLoader(p.Context, r.store)
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
