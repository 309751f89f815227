package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
)

// CreatePayment starts paying for an order (its customer, an admin, or
// for a guest's checkout whoever holds the cart's id), or hands out its
// open payment again.
func (r *Resolver) CreatePayment(p graphql.ResolveParams) (any, error) {
	s, err := r.payments.CreatePaymentFor(p.Context, auth.CallerFrom(p.Context), str(p.Args, "orderId"), str(p.Args, "cartId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return s, nil
}

// ConfirmLocalPayment says how a local payment went, through the local
// provider's webhook path (admins).
func (r *Resolver) ConfirmLocalPayment(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	outcome := "succeeded"
	if o, ok := p.Args["outcome"].(string); ok {
		outcome = o
	}
	o, err := r.payments.ConfirmLocalPayment(p.Context, caller, str(p.Args, "paymentId"), outcome)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	o, err = r.ordering.Detail(p.Context, caller, o, include(p))
	return r.order(p, o, err)
}
