package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/errcode"
	"shop/models"
)

// CreatePayment starts paying for an order (its customer, or an admin),
// or hands out its open payment again.
func (r *Resolver) CreatePayment(p graphql.ResolveParams) (any, error) {
	if r.payments == nil {
		return nil, r.fail(p.Context, errNoPayments)
	}
	s, err := r.payments.CreatePayment(p.Context, auth.CallerFrom(p.Context), str(p.Args, "orderId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return s, nil
}

// ConfirmLocalPayment says how a local payment went, through the local
// provider's webhook path (admins).
func (r *Resolver) ConfirmLocalPayment(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	if r.payments == nil {
		return nil, r.fail(p.Context, errNoPayments)
	}
	outcome := "succeeded"
	if o, ok := p.Args["outcome"].(string); ok {
		outcome = o
	}
	o, err := r.payments.ConfirmLocalPayment(p.Context, str(p.Args, "paymentId"), outcome)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.orderResult(p, o)
}

var errNoPayments = &models.Error{Code: errcode.PaymentProviderError, Message: "Payments are not set up on this server."}

// attachPayments loads, in one call, the current payment of each order
// when the selection under p asks for it (path as for attachEvents).
func (r *Resolver) attachPayments(p graphql.ResolveParams, orders []models.Order, path ...string) error {
	if len(orders) == 0 || !selects(p.Info.FieldASTs, p.Info.Fragments, append(path, "payment")...) {
		return nil
	}
	payments, err := r.store.OrderPayments(p.Context, orderIDs(orders))
	if err != nil {
		return r.fail(p.Context, err)
	}
	for i := range orders {
		orders[i].Payment, orders[i].PaymentLoaded = payments[orders[i].ID], true
	}
	return nil
}

// OrderPayment resolves Order.payment, loaded by attachPayments; an order
// reached another way loads its own.
func (r *Resolver) OrderPayment(p graphql.ResolveParams) (any, error) {
	var o models.Order
	switch v := p.Source.(type) {
	case models.Order:
		o = v
	case *models.Order:
		o = *v
	}
	if !o.PaymentLoaded {
		payments, err := r.store.OrderPayments(p.Context, []string{o.ID})
		if err != nil {
			return nil, r.fail(p.Context, err)
		}
		o.Payment = payments[o.ID]
	}
	if o.Payment == nil {
		return nil, nil
	}
	return o.Payment, nil
}
