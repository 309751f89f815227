package resolvers

import (
	"context"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/errcode"
	"shop/live"
	"shop/models"
)

// Subscriptions (issue 21). A subscription is authorised when it starts
// (Watch), and each of its payloads is its selection executed again, as
// its caller, on the subject the event that woke it names, read afresh
// through the same services and rules as the queries.

type liveEventKey struct{}

// WithLiveEvent carries the outbox event that woke a subscription to its
// resolvers.
func WithLiveEvent(ctx context.Context, e models.Event) context.Context {
	return context.WithValue(ctx, liveEventKey{}, e)
}

func liveEvent(ctx context.Context) models.Event {
	e, _ := ctx.Value(liveEventKey{}).(models.Event)
	return e
}

// Watch checks that the caller may start the subscription field with
// args (as graphql-go coerced them), and names the topic it listens to.
func (r *Resolver) Watch(ctx context.Context, field string, args map[string]any) (live.Topic, error) {
	c := auth.CallerFrom(ctx)
	var topic live.Topic
	var err error
	switch field {
	case "orderUpdated":
		id := str(args, "orderId")
		topic, err = live.OrderTopic(id), r.ordering.WatchOrder(ctx, c, id)
	case "myOrders":
		topic, err = live.CustomerTopic(c.UserID), r.ordering.WatchOwnOrders(c)
	case "orderEvents":
		topic, err = live.AllOrders(), r.ordering.WatchAllOrders(c)
	case "productUpdated":
		id := str(args, "productId")
		topic, err = live.ProductTopic(id), r.catalog.WatchProduct(ctx, c, id)
	default:
		err = models.Errorf(errcode.BadRequest, "No subscription named %q.", field)
	}
	if err != nil {
		return live.Topic{}, r.fail(ctx, err)
	}
	return topic, nil
}

// OrderUpdated is the order named, read again: NOT_FOUND once the caller
// may no longer read it (which ends the subscription).
func (r *Resolver) OrderUpdated(p graphql.ResolveParams) (any, error) {
	return r.liveOrder(p, str(p.Args, "orderId"))
}

// MyOrders is the caller's order that the event names, read again.
func (r *Resolver) MyOrders(p graphql.ResolveParams) (any, error) {
	return r.liveOrder(p, live.OrderIDOf(liveEvent(p.Context)))
}

func (r *Resolver) liveOrder(p graphql.ResolveParams, id string) (any, error) {
	o, err := r.ordering.Order(p.Context, auth.CallerFrom(p.Context), id, include(p))
	if err == nil && o == nil {
		err = models.Errorf(errcode.NotFound, "No order %s that you may see.", id)
	}
	return r.order(p, o, err)
}

// LiveOrderEvent is the row of the timeline that the event added, read
// again (admins).
func (r *Resolver) LiveOrderEvent(p graphql.ResolveParams) (any, error) {
	c := auth.CallerFrom(p.Context)
	if err := r.ordering.WatchAllOrders(c); err != nil {
		return nil, r.fail(p.Context, err)
	}
	ev := liveEvent(p.Context)
	id := live.OrderIDOf(ev)
	e, err := r.ordering.TimelineEvent(p.Context, c, id, ev.At)
	if err == nil && e == nil {
		err = models.Errorf(errcode.NotFound, "No order %s that you may see.", id)
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return e, nil
}

// EventOrder resolves OrderEvent.order: the event's order as the caller
// may read it, null otherwise.
func (r *Resolver) EventOrder(p graphql.ResolveParams) (any, error) {
	var id string
	switch e := p.Source.(type) {
	case *models.OrderEvent:
		id = e.OrderID
	case models.OrderEvent:
		id = e.OrderID
	}
	o, err := r.ordering.Order(p.Context, auth.CallerFrom(p.Context), id, include(p))
	return r.order(p, o, err)
}

// ProductUpdated is the product named, read again: NOT_FOUND once it is
// deleted, or inactive for a caller who is not an admin (which ends the
// subscription).
func (r *Resolver) ProductUpdated(p graphql.ResolveParams) (any, error) {
	id := str(p.Args, "productId")
	prod, err := r.catalog.Product(p.Context, auth.CallerFrom(p.Context), id)
	if err == nil && prod == nil {
		err = models.Errorf(errcode.NotFound, "No product %s.", id)
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}
