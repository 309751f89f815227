package ordering

import (
	"context"
	"time"

	"shop/errcode"
	"shop/models"
)

// List is a page of the orders c may see (getOrders): all for an admin,
// its own for a customer. limit and offset are as the client sent them.
func (s *Service) List(ctx context.Context, c models.Caller, limit, offset *int, inc Include) ([]models.Order, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return nil, err
	}
	page, err := models.ParsePage(limit, offset, s.maxPageSize)
	if err != nil {
		return nil, err
	}
	filter, _ := models.VisibleOrders(c, models.OrderFilter{})
	filter.WithoutItems, filter.WithItemVariants = !inc.Items, inc.ItemVariants
	os, err := s.read.ListOrders(ctx, page, filter)
	if err != nil {
		return nil, err
	}
	if err := s.attach(ctx, c, os, inc); err != nil {
		return nil, err
	}
	return os, nil
}

// Query is the orders connection's arguments as the client sent them (nil
// when left out).
type Query struct {
	First                     *int
	After                     *string
	CustomerID, Status, Query *string
}

// Page is the orders connection, optionally for one customer or status,
// narrowed to the orders c may see: a customer asking for another
// customer's orders gets an empty page.
func (s *Service) Page(ctx context.Context, c models.Caller, q Query, inc Include) (models.OrderPage, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return models.OrderPage{}, err
	}
	conn, err := models.ParseConnection(q.First, q.After)
	if err != nil {
		return models.OrderPage{}, err
	}
	filter, err := models.ParseOrderFilter(q.CustomerID, q.Status, q.Query)
	if err != nil {
		return models.OrderPage{}, err
	}
	filter, visible := models.VisibleOrders(c, filter)
	if !visible {
		return models.OrderPage{}, nil
	}
	filter.WithoutItems, filter.WithItemVariants = !inc.Items, inc.ItemVariants
	page, err := s.read.OrdersPage(ctx, conn, filter)
	if err != nil {
		return models.OrderPage{}, err
	}
	if err := s.attach(ctx, c, page.Orders, inc); err != nil {
		return models.OrderPage{}, err
	}
	return page, nil
}

// Order is the order with id, or nil when there is none or c may not see
// it: another customer's order looks like a missing one.
func (s *Service) Order(ctx context.Context, c models.Caller, id string, inc Include) (*models.Order, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("orderId", id); err != nil {
		return nil, err
	}
	o, err := s.read.OrderByID(ctx, id)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !models.CanSeeOrder(c, *o) {
		return nil, nil
	}
	return s.Detail(ctx, c, o, inc)
}

// Detail returns a copy of o, which c has been allowed to see, with what
// inc asks for loaded: an order a write returns.
func (s *Service) Detail(ctx context.Context, c models.Caller, o *models.Order, inc Include) (*models.Order, error) {
	orders := []models.Order{*o}
	if err := s.attach(ctx, c, orders, inc); err != nil {
		return nil, err
	}
	return &orders[0], nil
}

// attach loads, in one call each, the events and the payments of orders
// when inc asks for them.
func (s *Service) attach(ctx context.Context, c models.Caller, orders []models.Order, inc Include) error {
	if len(orders) == 0 {
		return nil
	}
	if inc.Events {
		events, err := s.read.OrderEvents(ctx, orderIDs(orders))
		if err != nil {
			return err
		}
		for i := range orders {
			orders[i].Events = visibleEvents(c, orders[i], events[orders[i].ID])
		}
	}
	if inc.Payment {
		payments, err := s.read.OrderPayments(ctx, orderIDs(orders))
		if err != nil {
			return err
		}
		for i := range orders {
			orders[i].Payment, orders[i].PaymentLoaded = payments[orders[i].ID], true
		}
	}
	return nil
}

// Events is the events of an order that came without them, as c may read
// them.
func (s *Service) Events(ctx context.Context, c models.Caller, o models.Order) ([]models.OrderEvent, error) {
	events, err := s.read.OrderEvents(ctx, []string{o.ID})
	if err != nil {
		return nil, err
	}
	return visibleEvents(c, o, events[o.ID]), nil
}

// Payment is the current payment of an order that came without it; nil
// when it has none.
func (s *Service) Payment(ctx context.Context, o models.Order) (*models.Payment, error) {
	payments, err := s.read.OrderPayments(ctx, []string{o.ID})
	if err != nil {
		return nil, err
	}
	return payments[o.ID], nil
}

// visibleEvents is an order's events as c may read them
// (OrderEvent.VisibleTo), never nil.
func visibleEvents(c models.Caller, o models.Order, events []models.OrderEvent) []models.OrderEvent {
	out := make([]models.OrderEvent, len(events))
	for i, e := range events {
		out[i] = e.VisibleTo(c, o.CustomerID)
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

// Subscriptions (issue 21): who may follow what, asked when a subscription
// starts; each payload then reads its subject again through Order and
// TimelineEvent, as c.

// WatchOrder refuses c the subscription to order id unless c may read it:
// its customer or an admin. Another's order is NOT_FOUND, as it would be
// null to getOrderById.
func (s *Service) WatchOrder(ctx context.Context, c models.Caller, id string) error {
	o, err := s.Order(ctx, c, id, Include{})
	if err != nil {
		return err
	}
	if o == nil {
		return models.Errorf(errcode.NotFound, "No order %s that you may see.", id)
	}
	return nil
}

// WatchOwnOrders lets any signed-in caller follow its own orders.
func (s *Service) WatchOwnOrders(c models.Caller) error { return models.RequireSignedIn(c) }

// WatchAllOrders lets admins follow every order's timeline.
func (s *Service) WatchAllOrders(c models.Caller) error { return models.RequireAdmin(c) }

// TimelineEvent is the row of order orderID's timeline written at `at`
// (models.TimelineEntry), or its newest when none was, as c may read it;
// nil when c may not read the order.
func (s *Service) TimelineEvent(ctx context.Context, c models.Caller, orderID string, at time.Time) (*models.OrderEvent, error) {
	o, err := s.Order(ctx, c, orderID, Include{Events: true})
	if err != nil || o == nil || len(o.Events) == 0 {
		return nil, err
	}
	if e := models.TimelineEntry(o.Events, at); e != nil {
		return e, nil
	}
	e := o.Events[len(o.Events)-1]
	return &e, nil
}
