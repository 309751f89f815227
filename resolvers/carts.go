package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/checkout"
	"shop/models"
)

// Cart is a cart as the Cart type reads it: the service's priced view,
// with its lines joined to their money and variants.
type Cart struct {
	View  *checkout.View
	Lines []CartLine
}

// CartLine is a line with its money (PricedLine) and its variant now
// (nil: gone).
type CartLine struct {
	Line      models.CartLine
	Priced    models.PricedLine
	UnitPrice models.Money
	Variant   *VariantOf
}

func cartOf(v *checkout.View) *Cart {
	out := &Cart{View: v, Lines: make([]CartLine, len(v.Cart.Lines))}
	priced := map[string]models.PricedLine{}
	for _, pl := range v.Priced.Lines {
		priced[pl.LineID] = pl
	}
	for i, l := range v.Cart.Lines {
		cl := CartLine{Line: l, Priced: priced[l.ID], UnitPrice: l.PriceSeen}
		if s, ok := v.Variants[l.VariantID]; ok {
			cl.UnitPrice = s.Variant.Price
			cl.Variant = &VariantOf{ProductVariant: s.Variant, active: s.ProductActive}
		}
		out.Lines[i] = cl
	}
	return out
}

func (r *Resolver) cart(p graphql.ResolveParams, v *checkout.View, err error) (any, error) {
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return cartOf(v), nil
}

func cartLineInputs(raw any) []models.CartLineInput {
	list, _ := raw.([]any)
	out := make([]models.CartLineInput, 0, len(list))
	for _, it := range list {
		m, _ := it.(map[string]any)
		q, _ := m["quantity"].(int)
		out = append(out, models.CartLineInput{VariantID: str(m, "variantId"), Quantity: q})
	}
	return out
}

func addressInput(raw any) models.Address {
	m, _ := raw.(map[string]any)
	return models.Address{
		Name: str(m, "name"), Company: str(m, "company"), Line1: str(m, "line1"), Line2: str(m, "line2"), City: str(m, "city"),
		PostalCode: str(m, "postalCode"), Region: str(m, "region"), Country: str(m, "country"), Phone: str(m, "phone"),
	}
}

// CartCreate makes a cart: the signed-in caller's, or a guest's.
func (r *Resolver) CartCreate(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	v, err := r.checkout.Create(p.Context, auth.CallerFrom(p.Context), checkout.NewCart{Lines: cartLineInputs(in["lines"]), Email: str(in, "email")})
	return r.cart(p, v, err)
}

// CartOrder resolves Cart.order: the order the cart became.
func (r *Resolver) CartOrder(p graphql.ResolveParams) (any, error) {
	c, _ := p.Source.(*Cart)
	if c == nil {
		return nil, nil
	}
	o, err := r.checkout.Order(p.Context, c.View)
	return orNull(r, p, o, err)
}

// CartQuery reads a cart, priced now.
func (r *Resolver) CartQuery(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.Get(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"))
	return r.cart(p, v, err)
}

// CartLinesAdd adds lines.
func (r *Resolver) CartLinesAdd(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.LinesAdd(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), cartLineInputs(p.Args["lines"]))
	return r.cart(p, v, err)
}

// CartLinesUpdate sets lines' quantities (0 removes).
func (r *Resolver) CartLinesUpdate(p graphql.ResolveParams) (any, error) {
	list, _ := p.Args["lines"].([]any)
	ups := make([]models.CartLineUpdate, 0, len(list))
	for _, it := range list {
		m, _ := it.(map[string]any)
		q, _ := m["quantity"].(int)
		ups = append(ups, models.CartLineUpdate{LineID: str(m, "lineId"), Quantity: q})
	}
	v, err := r.checkout.LinesUpdate(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), ups)
	return r.cart(p, v, err)
}

// CartLinesRemove removes lines.
func (r *Resolver) CartLinesRemove(p graphql.ResolveParams) (any, error) {
	list, _ := p.Args["lineIds"].([]any)
	ids := make([]string, 0, len(list))
	for _, it := range list {
		s, _ := it.(string)
		ids = append(ids, s)
	}
	v, err := r.checkout.LinesRemove(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), ids)
	return r.cart(p, v, err)
}

// CartSetEmail sets the cart's email.
func (r *Resolver) CartSetEmail(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.SetEmail(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), str(p.Args, "email"))
	return r.cart(p, v, err)
}

// CartSetShippingAddress sets where the order ships.
func (r *Resolver) CartSetShippingAddress(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.SetShippingAddress(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), addressInput(p.Args["address"]))
	return r.cart(p, v, err)
}

// CartSetBillingAddress sets the billing address.
func (r *Resolver) CartSetBillingAddress(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.SetBillingAddress(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), addressInput(p.Args["address"]))
	return r.cart(p, v, err)
}

// CartSelectShippingMethod selects an offered method.
func (r *Resolver) CartSelectShippingMethod(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.SelectShippingMethod(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), str(p.Args, "shippingMethodId"))
	return r.cart(p, v, err)
}

// CartApplyDiscountCode puts a code on the cart.
func (r *Resolver) CartApplyDiscountCode(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.ApplyDiscountCode(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"), str(p.Args, "code"))
	return r.cart(p, v, err)
}

// CartRemoveDiscountCode takes the code off.
func (r *Resolver) CartRemoveDiscountCode(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.RemoveDiscountCode(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"))
	return r.cart(p, v, err)
}

// CartMerge merges a guest's cart into the caller's.
func (r *Resolver) CartMerge(p graphql.ResolveParams) (any, error) {
	v, err := r.checkout.Merge(p.Context, auth.CallerFrom(p.Context), str(p.Args, "cartId"))
	return r.cart(p, v, err)
}

// CheckoutComplete turns the cart into a pending order.
func (r *Resolver) CheckoutComplete(p graphql.ResolveParams) (any, error) {
	c := auth.CallerFrom(p.Context)
	o, err := r.checkout.Complete(p.Context, c, str(p.Args, "cartId"), str(p.Args, "idempotencyKey"), idempotencyKeyFrom(p.Context))
	if err == nil {
		o, err = r.ordering.Detail(p.Context, c, o, include(p))
	}
	return r.order(p, o, err)
}
