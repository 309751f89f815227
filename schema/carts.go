package schema

import (
	"strings"

	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// percentFloat shows a Percent as the API's Float percentage (8250 is
// 8.25).
func percentFloat(p models.Percent) float64 { return float64(p) / 1000 }

// addCarts adds carts and checkout (issue 20): the Cart type and its
// queries and mutations, checkoutComplete and cartMerge, the checkout's
// fields of Order and OrderItem, and login's cartId.
func addCarts(b builder, r *resolvers.Resolver, variant, order, orderItem, query, mutation *graphql.Object) {
	nonNull := graphql.NewNonNull
	list := func(t graphql.Type) graphql.Output { return nonNull(graphql.NewList(nonNull(t))) }
	money := func(desc string, get func(*resolvers.Cart) models.Money) *graphql.Field {
		return field(nonNull(graphql.Float), desc, func(c *resolvers.Cart) any { return get(c).Float64() })
	}
	address := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Address",
		Description: "A postal address as checked by the shop: country an ISO 3166-1 alpha-2 code, region a subdivision code (CA for California) where the country has them.",
		Fields: graphql.Fields{
			"name":       field(nonNull(graphql.String), "", func(a *models.Address) any { return a.Name }),
			"company":    field(graphql.String, "", func(a *models.Address) any { return nullIfEmpty(a.Company) }),
			"line1":      field(nonNull(graphql.String), "", func(a *models.Address) any { return a.Line1 }),
			"line2":      field(graphql.String, "", func(a *models.Address) any { return nullIfEmpty(a.Line2) }),
			"city":       field(nonNull(graphql.String), "", func(a *models.Address) any { return a.City }),
			"postalCode": field(graphql.String, "", func(a *models.Address) any { return nullIfEmpty(a.PostalCode) }),
			"region":     field(graphql.String, "", func(a *models.Address) any { return nullIfEmpty(a.Region) }),
			"country":    field(nonNull(graphql.String), "", func(a *models.Address) any { return a.Country }),
			"phone":      field(graphql.String, "", func(a *models.Address) any { return nullIfEmpty(a.Phone) }),
		},
	})
	addressInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "AddressInput",
		Description: "name, line1, city and country are required; region where the country has regions (US, CA, AU…), postalCode where the shop knows the country's pattern (US, CA, GB, DE, FR, NL, AU…). Each error names its field.",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":       {Type: nonNull(graphql.String)},
			"company":    {Type: graphql.String},
			"line1":      {Type: nonNull(graphql.String)},
			"line2":      {Type: graphql.String},
			"city":       {Type: nonNull(graphql.String)},
			"postalCode": {Type: graphql.String},
			"region":     {Type: graphql.String, Description: `A subdivision code: "CA" or "US-CA".`},
			"country":    {Type: nonNull(graphql.String), Description: "ISO 3166-1 alpha-2 (US)."},
			"phone":      {Type: graphql.String},
		},
	})
	allocation := graphql.NewObject(graphql.ObjectConfig{
		Name:        "DiscountAllocation",
		Description: "The part of a discount code's amount one line carries; a line's allocations sum, over the lines, to the discount exactly.",
		Fields: graphql.Fields{
			"code":   field(nonNull(graphql.String), "", func(a *models.Allocation) any { return a.Code }),
			"amount": field(nonNull(graphql.Float), "", func(a *models.Allocation) any { return a.Amount.Float64() }),
		},
	})
	taxLine := graphql.NewObject(graphql.ObjectConfig{
		Name:        "TaxLine",
		Description: "One tax on a line or on shipping, rounded half up per line.",
		Fields: graphql.Fields{
			"title":  field(nonNull(graphql.String), "The tax rate's name.", func(t *models.TaxLine) any { return t.Title }),
			"rate":   field(nonNull(graphql.Float), "A percentage: 8.25 is 8.25%.", func(t *models.TaxLine) any { return percentFloat(t.Rate) }),
			"amount": field(nonNull(graphql.Float), "", func(t *models.TaxLine) any { return t.Amount.Float64() }),
		},
	})
	method := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ShippingMethod",
		Description: "A shipping rate offered for a cart, priced for it.",
		Fields: graphql.Fields{
			"shippingMethodId": field(nonNull(graphql.String), "", func(m *models.ShippingMethod) any { return m.ID }),
			"name":             field(nonNull(graphql.String), "", func(m *models.ShippingMethod) any { return m.Name }),
			"price":            field(nonNull(graphql.Float), "The rate's price for this cart (0 when free above a threshold it meets); a FREE_SHIPPING code makes shippingTotal 0 but leaves this as it is.", func(m *models.ShippingMethod) any { return m.Price.Float64() }),
		},
	})
	warning := graphql.NewObject(graphql.ObjectConfig{
		Name:        "CartWarning",
		Description: "Something to show before checkout: OUT_OF_STOCK, VARIANT_UNAVAILABLE, PRICE_CHANGED, a DISCOUNT_CODE_* code that no longer applies, NO_SHIPPING_METHOD.",
		Fields: graphql.Fields{
			"code":    field(nonNull(graphql.String), "", func(w *models.CartWarning) any { return w.Code }),
			"message": field(nonNull(graphql.String), "", func(w *models.CartWarning) any { return w.Message }),
			"lineId":  field(graphql.String, "The line it is about; null for the whole cart.", func(w *models.CartWarning) any { return nullIfEmpty(w.LineID) }),
		},
	})
	line := graphql.NewObject(graphql.ObjectConfig{
		Name:        "CartLine",
		Description: "A variant in a cart, priced now.",
		Fields: graphql.Fields{
			"lineId": field(nonNull(graphql.String), "", func(l *resolvers.CartLine) any { return l.Line.ID }),
			"variant": field(variant, "The variant as it is now; null when it has been deleted (the line is then left out of every amount).", func(l *resolvers.CartLine) any {
				if l.Variant == nil {
					return nil
				}
				return l.Variant
			}),
			"quantity":     field(nonNull(graphql.Int), "", func(l *resolvers.CartLine) any { return l.Line.Quantity }),
			"unitPrice":    field(nonNull(graphql.Float), "The variant's price now: what checkout charges.", func(l *resolvers.CartLine) any { return l.UnitPrice.Float64() }),
			"lineSubtotal": field(nonNull(graphql.Float), "unitPrice x quantity.", func(l *resolvers.CartLine) any { return l.Priced.Subtotal.Float64() }),
			"discountAllocations": field(list(allocation), "", func(l *resolvers.CartLine) any {
				return nonNilList(l.Priced.Discounts)
			}),
			"taxLines":  field(list(taxLine), "", func(l *resolvers.CartLine) any { return nonNilList(l.Priced.Taxes) }),
			"lineTotal": field(nonNull(graphql.Float), "lineSubtotal less its discounts, plus its taxes when prices exclude tax.", func(l *resolvers.CartLine) any { return l.Priced.Total.Float64() }),
		},
	})
	cart := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Cart",
		Description: "A shopper's cart, priced on the server each time it is read. A guest's cart is reached by its cartId alone (keep it secret); a customer's only with that customer's token.",
		Fields: graphql.Fields{
			"cartId":        field(nonNull(graphql.String), "128 random bits: holding it is the permission to a guest's cart.", func(c *resolvers.Cart) any { return c.View.Cart.ID }),
			"email":         field(graphql.String, "Where the order is confirmed; a guest's checkout needs it.", func(c *resolvers.Cart) any { return nullIfEmpty(c.View.Cart.Email) }),
			"lines":         field(list(line), "In the order they were added.", func(c *resolvers.Cart) any { return c.Lines }),
			"subtotal":      money("The lines' subtotals.", func(c *resolvers.Cart) models.Money { return c.View.Priced.Subtotal }),
			"discountTotal": money("", func(c *resolvers.Cart) models.Money { return c.View.Priced.DiscountTotal }),
			"shippingTotal": money("", func(c *resolvers.Cart) models.Money { return c.View.Priced.ShippingTotal }),
			"taxTotal":      money("With PRICES_INCLUDE_TAX, the tax inside the prices.", func(c *resolvers.Cart) models.Money { return c.View.Priced.TaxTotal }),
			"total":         money("What checkoutComplete charges if nothing changes before.", func(c *resolvers.Cart) models.Money { return c.View.Priced.Total }),
			"currency":      field(nonNull(graphql.String), "ISO 4217, uppercase.", func(c *resolvers.Cart) any { return strings.ToUpper(c.View.Currency) }),
			"shippingAddress": field(address, "", func(c *resolvers.Cart) any {
				if c.View.Cart.ShippingAddress == nil {
					return nil
				}
				return c.View.Cart.ShippingAddress
			}),
			"billingAddress": field(address, "", func(c *resolvers.Cart) any {
				if c.View.Cart.BillingAddress == nil {
					return nil
				}
				return c.View.Cart.BillingAddress
			}),
			"availableShippingMethods": field(list(method), "The methods offered for the shipping address (none without one), cheapest first.", func(c *resolvers.Cart) any {
				return nonNilList(c.View.Priced.Methods)
			}),
			"selectedShippingMethod": field(method, "Null when none is selected, or the one selected is no longer offered (a warning says so).", func(c *resolvers.Cart) any {
				if c.View.Priced.Selected == nil {
					return nil
				}
				return c.View.Priced.Selected
			}),
			"discountCode": field(graphql.String, "The code applied, as the admin wrote it; null for none.", func(c *resolvers.Cart) any { return nullIfEmpty(c.View.Cart.DiscountCode) }),
			"warnings":     field(list(warning), "", func(c *resolvers.Cart) any { return nonNilList(c.View.Priced.Warnings) }),
			"closed":       field(nonNull(graphql.Boolean), "True once the cart became an order (orderId) or was merged into a customer's cart: it can no longer change.", func(c *resolvers.Cart) any { return c.View.Cart.Status != models.CartOpen }),
			"orderId": field(graphql.String, "The order checkoutComplete made of it.", func(c *resolvers.Cart) any {
				if c.View.Cart.OrderID == nil {
					return nil
				}
				return *c.View.Cart.OrderID
			}),
		},
	})
	cart.AddFieldConfig("order", &graphql.Field{
		Type: order,
		Description: "The order checkoutComplete made of it, as it is now (its status, payment and events): whoever holds a guest's cart id reads it, " +
			"as it pays it; null while the cart is open.",
		Resolve: b.safe(r.CartOrder),
	})
	cart.AddFieldConfig("taxesIncluded", field(nonNull(graphql.Boolean), "PRICES_INCLUDE_TAX: taxTotal is inside the prices, not added to them.",
		func(c *resolvers.Cart) any { return c.View.Priced.PricesIncludeTax }))
	lineInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "CartLineInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"variantId": {Type: nonNull(graphql.String)},
			"quantity":  {Type: nonNull(graphql.Int), Description: "1 to MAX_LINE_QUANTITY; added to the line of the same variant if there is one."},
		},
	})
	lineUpdate := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "CartLineUpdateInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"lineId":   {Type: nonNull(graphql.String)},
			"quantity": {Type: nonNull(graphql.Int), Description: "0 removes the line."},
		},
	})
	createInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "CartCreateInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"lines": {Type: graphql.NewList(nonNull(lineInput)), Description: "At most 100 lines."},
			"email": {Type: graphql.String},
		},
	})
	cartID := graphql.FieldConfigArgument{"cartId": {Type: nonNull(graphql.String)}}
	with := func(extra graphql.FieldConfigArgument) graphql.FieldConfigArgument {
		args := graphql.FieldConfigArgument{"cartId": {Type: nonNull(graphql.String)}}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	query.AddFieldConfig("cart", &graphql.Field{
		Type:        cart,
		Description: "A cart, priced now: a guest's by its id, a customer's by that customer (and admins). CART_NOT_FOUND otherwise.",
		Args:        cartID,
		Resolve:     b.safe(r.CartQuery),
	})
	mutations := map[string]*graphql.Field{
		"cartCreate": {Type: nonNull(cart), Description: "Makes a cart: a signed-in customer's belongs to them; an anonymous caller's is a guest's, reached by its cartId alone.",
			Args: graphql.FieldConfigArgument{"input": {Type: createInput}}, Resolve: b.safe(r.CartCreate)},
		"cartLinesAdd": {Type: nonNull(cart), Description: "Adds lines; a variant already in the cart gets the quantity added.",
			Args: with(graphql.FieldConfigArgument{"lines": {Type: list(lineInput)}}), Resolve: b.safe(r.CartLinesAdd)},
		"cartLinesUpdate": {Type: nonNull(cart), Description: "Sets lines' quantities; 0 removes the line.",
			Args: with(graphql.FieldConfigArgument{"lines": {Type: list(lineUpdate)}}), Resolve: b.safe(r.CartLinesUpdate)},
		"cartLinesRemove": {Type: nonNull(cart), Args: with(graphql.FieldConfigArgument{"lineIds": {Type: list(graphql.String)}}), Resolve: b.safe(r.CartLinesRemove)},
		"cartSetEmail": {Type: nonNull(cart), Description: `"" clears it.`,
			Args: with(graphql.FieldConfigArgument{"email": {Type: nonNull(graphql.String)}}), Resolve: b.safe(r.CartSetEmail)},
		"cartSetShippingAddress": {Type: nonNull(cart), Args: with(graphql.FieldConfigArgument{"address": {Type: nonNull(addressInput)}}), Resolve: b.safe(r.CartSetShippingAddress)},
		"cartSetBillingAddress":  {Type: nonNull(cart), Args: with(graphql.FieldConfigArgument{"address": {Type: nonNull(addressInput)}}), Resolve: b.safe(r.CartSetBillingAddress)},
		"cartSelectShippingMethod": {Type: nonNull(cart), Description: "NO_SHIPPING_METHOD when the method is not offered for the cart's address.",
			Args: with(graphql.FieldConfigArgument{"shippingMethodId": {Type: nonNull(graphql.String)}}), Resolve: b.safe(r.CartSelectShippingMethod)},
		"cartApplyDiscountCode": {Type: nonNull(cart), Description: "One code per cart, in any letter case: DISCOUNT_CODE_INVALID, _NOT_APPLICABLE (the message says why) or _EXHAUSTED when it can't apply now.",
			Args: with(graphql.FieldConfigArgument{"code": {Type: nonNull(graphql.String)}}), Resolve: b.safe(r.CartApplyDiscountCode)},
		"cartRemoveDiscountCode": {Type: nonNull(cart), Args: cartID, Resolve: b.safe(r.CartRemoveDiscountCode)},
		"cartMerge": {Type: nonNull(cart), Description: "Signed in: merges a guest's cart into the caller's open cart (quantities added; the guest's cart closes), or makes it the caller's when the caller has none.",
			Args: cartID, Resolve: b.safe(r.CartMerge)},
		"checkoutComplete": {Type: nonNull(order),
			Description: "Turns the cart into a pending order, priced again on the server (variants, shipping, taxes and code as they are now); stock is taken as createOrder takes it and the code's use counted; the cart closes. " +
				"A guest's cart needs an email; every cart a shipping address and a shipping method offered for it. Pay with createPayment (a guest sends the cartId with it). A retry with the same idempotencyKey (or Idempotency-Key header) returns the same order.",
			Args: with(graphql.FieldConfigArgument{"idempotencyKey": {Type: graphql.String}}), Resolve: b.safe(r.CheckoutComplete)},
	}
	for name, f := range mutations {
		mutation.AddFieldConfig(name, f)
	}

	// The checkout's fields of an order: null, zero or empty for
	// createOrder's orders.
	snap := func(o *models.Order) *models.CheckoutSnapshot { return o.Checkout }
	orderMoney := func(desc string, get func(s *models.CheckoutSnapshot) models.Money, plain func(o *models.Order) models.Money) *graphql.Field {
		return field(nonNull(graphql.Float), desc, func(o *models.Order) any {
			if s := snap(o); s != nil {
				return get(s).Float64()
			}
			return plain(o).Float64()
		})
	}
	zero := func(*models.Order) models.Money { return 0 }
	order.AddFieldConfig("email", field(graphql.String, "The checkout's email; null for createOrder's orders.", func(o *models.Order) any {
		if s := snap(o); s != nil {
			return nullIfEmpty(s.Email)
		}
		return nil
	}))
	order.AddFieldConfig("taxesIncluded", field(graphql.Boolean, "Whether taxTotal was inside the prices (PRICES_INCLUDE_TAX when the order was placed) rather than added; null for createOrder's orders.", func(o *models.Order) any {
		if s := snap(o); s != nil {
			return s.Priced.PricesIncludeTax
		}
		return nil
	}))
	order.AddFieldConfig("shippingAddress", field(address, "", func(o *models.Order) any {
		if s := snap(o); s != nil && s.ShippingAddress != nil {
			return s.ShippingAddress
		}
		return nil
	}))
	order.AddFieldConfig("billingAddress", field(address, "", func(o *models.Order) any {
		if s := snap(o); s != nil && s.BillingAddress != nil {
			return s.BillingAddress
		}
		return nil
	}))
	order.AddFieldConfig("subtotal", orderMoney("The items' subtotal (createOrder's orders: their total).",
		func(s *models.CheckoutSnapshot) models.Money { return s.Priced.Subtotal }, func(o *models.Order) models.Money { return o.TotalAmount }))
	order.AddFieldConfig("discountTotal", orderMoney("", func(s *models.CheckoutSnapshot) models.Money { return s.Priced.DiscountTotal }, zero))
	order.AddFieldConfig("shippingTotal", orderMoney("", func(s *models.CheckoutSnapshot) models.Money { return s.Priced.ShippingTotal }, zero))
	order.AddFieldConfig("taxTotal", orderMoney("", func(s *models.CheckoutSnapshot) models.Money { return s.Priced.TaxTotal }, zero))
	order.AddFieldConfig("shippingMethod", field(method, "The method as it was at checkout.", func(o *models.Order) any {
		if s := snap(o); s != nil && s.Priced.Selected != nil {
			return s.Priced.Selected
		}
		return nil
	}))
	order.AddFieldConfig("discountCode", field(graphql.String, "The code as it was at checkout.", func(o *models.Order) any {
		if s := snap(o); s != nil {
			return nullIfEmpty(s.Priced.DiscountCode)
		}
		return nil
	}))
	order.AddFieldConfig("taxLines", field(list(taxLine), "Every tax of the order (its lines' and its shipping's), one per tax.", func(o *models.Order) any { return o.TaxLines() }))
	orderItem.AddFieldConfig("discountAllocations", field(list(allocation), "", func(i *models.OrderItem) any { return nonNilList(i.Discounts) }))
	orderItem.AddFieldConfig("taxLines", field(list(taxLine), "", func(i *models.OrderItem) any { return nonNilList(i.Taxes) }))
}

// nonNilList is l, or an empty list for nil (a non-null list field).
func nonNilList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
