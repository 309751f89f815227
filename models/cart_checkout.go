package models

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"shop/errcode"
)

// CartPricing is everything a cart is priced from: the cart, its
// variants as they are now (by variant id; missing ones are gone), the
// category tree (each category's parent), the shop's zones and the tax
// rates of the address's country, and the cart's code (nil: none, or no
// code has the key) with this customer's uses of it.
type CartPricing struct {
	Cart             Cart
	Sellables        map[string]Sellable
	Parents          map[string]string
	Zones            []ShippingZone
	TaxRates         []TaxRate
	Code             *DiscountCode
	CodeUses         int
	PricesIncludeTax bool
	Now              time.Time
}

// PricingLines is the cart's lines as the rules price them: each at its
// variant's price now. A line whose variant is gone is not Sold (left out
// of every amount, and warned about).
func PricingLines(c Cart, sellables map[string]Sellable, parents map[string]string) []PricingLine {
	out := make([]PricingLine, len(c.Lines))
	for i, l := range c.Lines {
		pl := PricingLine{LineID: l.ID, VariantID: l.VariantID, Quantity: l.Quantity, PriceSeen: l.PriceSeen, UnitPrice: l.PriceSeen}
		if s, ok := sellables[l.VariantID]; ok {
			pl.ProductID, pl.UnitPrice, pl.StockCount, pl.Sold = s.Variant.ProductID, s.Variant.Price, s.Variant.StockCount, s.ProductActive
			if s.Variant.WeightGrams != nil {
				pl.WeightGrams = *s.Variant.WeightGrams
			}
			pl.CategoryIDs = categoryChain(s.CategoryID, parents)
		}
		out[i] = pl
	}
	return out
}

// categoryChain is a category and its ancestors, nearest first; a cycle
// (which CheckPlacement prevents) ends the walk.
func categoryChain(id *string, parents map[string]string) []string {
	if id == nil || *id == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for at := *id; at != "" && !seen[at]; at = parents[at] {
		seen[at] = true
		out = append(out, at)
	}
	return out
}

// Input is what PriceCart takes for this cart.
func (p CartPricing) Input() PricingInput {
	return PricingInput{
		Lines: PricingLines(p.Cart, p.Sellables, p.Parents), Address: p.Cart.ShippingAddress, Zones: p.Zones,
		SelectedMethodID: p.Cart.ShippingMethodID, TaxRates: p.TaxRates, PricesIncludeTax: p.PricesIncludeTax,
		Code: p.Code, CodeUses: p.CodeUses, Now: p.Now,
	}
}

// Price prices the cart (PriceCart), with a warning when the cart's code
// no longer names any code (deleted since it was applied).
func (p CartPricing) Price() Priced {
	priced := PriceCart(p.Input())
	if p.Cart.DiscountCode != "" && p.Code == nil {
		priced.Warnings = append(priced.Warnings, CartWarning{Code: string(errcode.DiscountCodeInvalid), Message: CodeInvalid(p.Cart.DiscountCode).Error()})
	}
	return priced
}

// CodeInvalid is the error for a code no code matches.
func CodeInvalid(code string) error {
	return Errorf(errcode.DiscountCodeInvalid, "No discount code %q exists.", truncate(code, 64))
}

// CheckoutInput is a cart to complete, as read under its locks: the cart
// and its products' stock (StockOf), what it is priced from, and who
// completes it.
type CheckoutInput struct {
	Pricing CartPricing
	Stock   map[string]ProductStock
	Caller  Caller
	Limits  OrderLimits
}

// CheckoutRequest is checkoutComplete as the store runs it.
type CheckoutRequest struct {
	CartID, IdempotencyKey string
	Caller                 Caller
	PricesIncludeTax       bool
	Limits                 OrderLimits
}

// CheckoutReplay judges a cart read under its lock before checkout: one c
// may not reach is CART_NOT_FOUND; a closed one returns the order it
// became when key is the key that closed it (a retry), else CART_CLOSED;
// an open one "" (go on).
func CheckoutReplay(c Caller, cart Cart, key string) (orderID string, err error) {
	if err := CanReadCart(c, cart); err != nil {
		return "", err
	}
	if cart.Status == CartOpen {
		return "", CanWriteCart(c, cart)
	}
	if key != "" && key == cart.CheckoutKey && cart.OrderID != nil {
		return *cart.OrderID, nil
	}
	return "", CanWriteCart(c, cart)
}

// DiscountUse is one order's use of a code, counted against its limits
// until the order is cancelled or expires.
type DiscountUse struct {
	OrderID, CodeID, CustomerKey string
}

// PlacedCheckout is a cart completed: the order (its Checkout snapshot
// set, its total the cart's), what it does to stock, the code's use, and
// the cart closed.
type PlacedCheckout struct {
	PlacedOrder
	Use  *DiscountUse
	Cart Cart
	// Actor is who placed the order, for its first event.
	Actor string
}

// SellablesOf is the locked stock as PricingLines reads variants.
func SellablesOf(stock map[string]ProductStock) map[string]Sellable {
	out := map[string]Sellable{}
	for _, ps := range stock {
		for _, v := range ps.Variants {
			out[v.ID] = Sellable{Variant: v, ProductActive: ps.Product.Active, CategoryID: ps.Product.CategoryID}
		}
	}
	return out
}

// PlaceCheckout completes a cart by the shop's rules, against its
// products' stock and its code read under their locks: the cart must have
// lines, an email (a guest's), a shipping address and a shipping method
// still offered for it; every line's variant must be for sale and in
// stock (INSUFFICIENT_STOCK names every line short); the code must still
// apply and not be used up. The order is priced again from the locked
// prices (PriceCart) and takes stock as createOrder's does.
func PlaceCheckout(in CheckoutInput, idempotencyKey string, newID func() string) (PlacedCheckout, error) {
	cart := in.Pricing.Cart
	now := in.Pricing.Now
	var fe fieldErrors
	if len(cart.Lines) == 0 {
		fe.add("lines", "are empty: add a line first (cartLinesAdd)")
	}
	if cart.CustomerID == nil && cart.Email == "" {
		fe.add("email", "must be set before a guest's checkout (cartSetEmail): the order is confirmed to it")
	}
	if cart.ShippingAddress == nil {
		fe.add("shippingAddress", "must be set before checkout (cartSetShippingAddress)")
	}
	if err := fe.err(); err != nil {
		return PlacedCheckout{}, err
	}
	in.Pricing.Sellables = SellablesOf(in.Stock)
	lines := PricingLines(cart, in.Pricing.Sellables, in.Pricing.Parents)
	if err := checkLines(cart, lines, in.Pricing.Sellables); err != nil {
		return PlacedCheckout{}, err
	}
	var subtotal Money
	for _, l := range lines {
		sub, err := l.UnitPrice.Times(l.Quantity)
		if err == nil {
			subtotal, err = subtotal.Plus(sub)
		}
		if err != nil {
			return PlacedCheckout{}, Errorf(errcode.BadUserInput, "The order total is too large to be charged in one order.")
		}
	}
	code := in.Pricing.Code
	if cart.DiscountCode != "" {
		if code == nil {
			return PlacedCheckout{}, CodeInvalid(cart.DiscountCode)
		}
		if err := CodeApplies(*code, lines, subtotal, now); err != nil {
			return PlacedCheckout{}, err
		}
		if err := CodeExhausted(*code, in.Pricing.CodeUses); err != nil {
			return PlacedCheckout{}, err
		}
	} else {
		in.Pricing.Code = nil
	}
	priced := in.Pricing.Price()
	if priced.Selected == nil {
		return PlacedCheckout{}, noShippingMethod(cart, priced)
	}
	// The total charged, tax and shipping in it, is held to the cap on an
	// order's total, as createOrder's is (PriceOrder holds only the lines'
	// subtotal to it, and taxes can take a subtotal under it past it).
	if priced.Total > maxTotal {
		return PlacedCheckout{}, Errorf(errcode.BadUserInput, "The order total is too large to be charged in one order.")
	}
	customerID := GuestCustomerID(cart.ID)
	if cart.CustomerID != nil {
		customerID = *cart.CustomerID
	}
	req := OrderRequest{CustomerID: customerID, Actor: checkoutActor(in.Caller, customerID)}
	for _, l := range lines {
		req.Lines = append(req.Lines, OrderLine{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity})
	}
	if !ExemptFromOrderLimits(in.Caller) {
		if err := CheckOrderUnits(req, in.Limits); err != nil {
			return PlacedCheckout{}, err
		}
	}
	placed, err := PlaceOrder(req, in.Stock, now, newID)
	if err != nil {
		return PlacedCheckout{}, err
	}
	o := &placed.Order
	o.TotalAmount = priced.Total
	snap := CheckoutSnapshot{
		CartID: cart.ID, Email: cart.Email, ShippingAddress: cart.ShippingAddress, BillingAddress: cart.BillingAddress, Priced: priced,
	}
	var use *DiscountUse
	if code != nil && cart.DiscountCode != "" {
		snap.DiscountCodeID = code.ID
		use = &DiscountUse{OrderID: o.ID, CodeID: code.ID, CustomerKey: CustomerKey(cart.CustomerID, cart.Email)}
	}
	o.Checkout = &snap
	// order.placed carries the total charged, not the lines' subtotal.
	for i, e := range placed.Events {
		if e.Type == EventOrderPlaced {
			placed.Events[i] = NewEvent(EventOrderPlaced, o.ID, OrderPlaced{
				OrderID: o.ID, CustomerID: o.CustomerID, Total: o.TotalAmount, Units: req.Units(), Actor: req.Actor,
			}, now)
		}
	}
	orderID := o.ID
	cart.Status, cart.OrderID, cart.CheckoutKey, cart.LastUpdated = CartClosed, &orderID, idempotencyKey, now
	return PlacedCheckout{PlacedOrder: placed, Use: use, Cart: cart, Actor: req.Actor}, nil
}

// checkoutActor is who the order's events and ledger rows name: the
// signed-in caller, or the guest's order's customer id.
func checkoutActor(c Caller, customerID string) string {
	if c.Anonymous() {
		return customerID
	}
	return c.UserID
}

// checkLines refuses lines that can't be ordered: a variant gone, a
// product not for sale, or stock short; every short line is named.
func checkLines(cart Cart, lines []PricingLine, sellables map[string]Sellable) error {
	var short []map[string]any
	var words []string
	for _, l := range lines {
		s, ok := sellables[l.VariantID]
		if !ok {
			err := VariantNotFound(l.VariantID, "").(*Error)
			err.Message += " Remove it from the cart (line " + l.LineID + ")."
			err.Details["lineId"] = l.LineID
			return err
		}
		if !s.ProductActive {
			err := ProductInactive(s.Variant.ProductID).(*Error)
			err.Details["lineId"], err.Details["variantId"] = l.LineID, l.VariantID
			return err
		}
		if s.Variant.StockCount < l.Quantity {
			short = append(short, map[string]any{"lineId": l.LineID, "variantId": l.VariantID, "available": s.Variant.StockCount, "requested": l.Quantity})
			words = append(words, fmt.Sprintf("line %s (variant %s): %d available, %d requested", l.LineID, l.VariantID, s.Variant.StockCount, l.Quantity))
		}
	}
	if len(short) == 0 {
		return nil
	}
	return &Error{
		Code:    errcode.InsufficientStock,
		Message: "Insufficient stock for " + strings.Join(words, "; ") + ".",
		Details: map[string]any{"lines": short},
	}
}

func noShippingMethod(cart Cart, priced Priced) error {
	switch {
	case len(priced.Methods) == 0:
		return Errorf(errcode.NoShippingMethod, "No shipping method ships to %s: the shop has no shipping zone for this address.", cart.ShippingAddress.Country)
	case cart.ShippingMethodID == "":
		return Errorf(errcode.NoShippingMethod, "Select a shipping method first (cartSelectShippingMethod; the cart's availableShippingMethods lists them).")
	}
	return Errorf(errcode.NoShippingMethod, "The shipping method selected is no longer offered for this cart's address: select another (availableShippingMethods).")
}

// SelectableMethod refuses a shipping method not offered for the cart now
// (priced: the cart priced with no method selected).
func SelectableMethod(methodID string, priced Priced) error {
	for _, m := range priced.Methods {
		if m.ID == methodID {
			return nil
		}
	}
	if len(priced.Methods) == 0 {
		return Errorf(errcode.NoShippingMethod, "No shipping method is offered for this cart: set a shipping address a shipping zone covers first.")
	}
	return Errorf(errcode.NoShippingMethod, "Shipping method %q is not offered for this cart's address (availableShippingMethods lists those that are).", truncate(methodID, 40))
}

// ParseCheckoutSnapshot reads an order's checkout column: nil for none.
func ParseCheckoutSnapshot(s *string) (*CheckoutSnapshot, error) {
	if s == nil || *s == "" || *s == "null" {
		return nil, nil
	}
	var snap CheckoutSnapshot
	if err := json.Unmarshal([]byte(*s), &snap); err != nil {
		return nil, fmt.Errorf("read checkout snapshot: %w", err)
	}
	return &snap, nil
}

// PricedItems is the order's items with the discounts and taxes its
// checkout snapshot gave each (by variant: a cart holds a variant once);
// createOrder's orders' items as they are.
func (o Order) PricedItems() []OrderItem {
	if o.Checkout == nil {
		return o.Items
	}
	byVariant := map[string]PricedLine{}
	for _, l := range o.Checkout.Priced.Lines {
		byVariant[l.VariantID] = l
	}
	out := make([]OrderItem, len(o.Items))
	for i, it := range o.Items {
		pl := byVariant[it.VariantID]
		it.Discounts, it.Taxes = pl.Discounts, pl.Taxes
		out[i] = it
	}
	return out
}

// TaxLines is every tax of the order, its lines' and its shipping's, one
// line per tax (title and rate), in the order first met; none for
// createOrder's orders.
func (o Order) TaxLines() []TaxLine {
	out := []TaxLine{}
	if o.Checkout == nil {
		return out
	}
	at := map[TaxLine]int{}
	add := func(t TaxLine) {
		key := TaxLine{Title: t.Title, Rate: t.Rate}
		if i, ok := at[key]; ok {
			out[i].Amount += t.Amount
			return
		}
		at[key] = len(out)
		out = append(out, t)
	}
	for _, l := range o.Checkout.Priced.Lines {
		for _, t := range l.Taxes {
			add(t)
		}
	}
	for _, t := range o.Checkout.Priced.ShippingTaxes {
		add(t)
	}
	return out
}
