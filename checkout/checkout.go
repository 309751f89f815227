// Package checkout is carts' use cases (issue 20): making and changing a
// cart, pricing it for display, merging a guest's cart into a customer's,
// and completing it into an order. Who may reach a cart, what its lines
// may hold and how it is priced are models' rules; completing it is one
// transaction of the store's (CompleteCart), which judges the cart under
// its locks.
package checkout

import (
	"context"
	"time"

	"github.com/google/uuid"

	"shop/clientip"
	"shop/models"
)

// Store is what checkout reads and writes.
type Store interface {
	// CreateCart stores a new cart with its lines.
	CreateCart(ctx context.Context, c models.Cart) (*models.Cart, error)
	// CartByID reads a cart with its lines; CART_NOT_FOUND when none.
	CartByID(ctx context.Context, id string) (*models.Cart, error)
	// UpdateCart runs fn on the cart under its lock and writes what fn
	// leaves, or nothing when fn refuses.
	UpdateCart(ctx context.Context, id string, fn func(*models.Cart) error) (*models.Cart, error)
	// MergeCart locks the guest cart and the customer's open cart (nil
	// when none), runs fn and writes both.
	MergeCart(ctx context.Context, guestID, customerID string, fn func(guest, own *models.Cart) (*models.Cart, error)) (*models.Cart, error)
	// CompleteCart turns a cart into an order in one transaction
	// (models.PlaceCheckout under the locks), or returns the order an
	// earlier call with the same idempotency key made.
	CompleteCart(ctx context.Context, req models.CheckoutRequest) (*models.Order, error)

	// OrderByID reads the order a cart became, with its items.
	OrderByID(ctx context.Context, id string) (*models.Order, error)

	// What a cart is priced from.
	Sellables(ctx context.Context, variantIDs []string) (map[string]models.Sellable, error)
	CategoryParents(ctx context.Context) (map[string]string, error)
	ShippingZones(ctx context.Context) ([]models.ShippingZone, error)
	TaxRates(ctx context.Context, country string) ([]models.TaxRate, error)
	DiscountCodeByKey(ctx context.Context, key string) (*models.DiscountCode, error)
	// DiscountUses counts the unreleased uses of a code by a customer key
	// (models.CustomerKey).
	DiscountUses(ctx context.Context, codeID, customerKey string) (int, error)
}

// Options configure a Service.
type Options struct {
	Store Store
	// Limits bound a cart's lines as they bound an order's
	// (MAX_LINE_QUANTITY).
	Limits models.OrderLimits
	// PricesIncludeTax is PRICES_INCLUDE_TAX.
	PricesIncludeTax bool
	// Currency is SHOP_CURRENCY.
	Currency string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// GuestLimiter counts guests' checkouts per client address
	// (RATE_LIMIT_GUEST_CHECKOUT); nil for none.
	GuestLimiter Limiter
}

// Limiter is an allowance per key (ratelimit.Limiter).
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}

// Service runs carts' use cases.
type Service struct {
	store      Store
	limits     models.OrderLimits
	includeTax bool
	currency   string
	now        func() time.Time
	guests     Limiter
}

// New makes a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: o.Store, limits: o.Limits, includeTax: o.PricesIncludeTax, currency: o.Currency, now: o.Now, guests: o.GuestLimiter}
}

// View is a cart as the API shows it: priced now, with its lines'
// variants as they are now (missing: gone).
type View struct {
	Cart     models.Cart
	Priced   models.Priced
	Variants map[string]models.Sellable
	Currency string
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NewCart is cartCreate's input.
type NewCart struct {
	Lines []models.CartLineInput
	Email string
}

// Create makes a cart: a signed-in caller's is theirs, an anonymous
// caller's a guest's, reached by its id alone.
func (s *Service) Create(ctx context.Context, c models.Caller, in NewCart) (*View, error) {
	lines, err := models.ParseCartLines("input.lines", in.Lines, s.limits)
	if err != nil {
		return nil, err
	}
	email, err := models.ParseCartEmail(in.Email)
	if err != nil {
		return nil, err
	}
	prices, err := s.prices(ctx, lines)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	cart := models.Cart{ID: models.NewCartID(), CustomerID: models.CartOwner(c), Email: email, Status: models.CartOpen}
	if err := cart.AddLines(lines, prices, s.limits, now, newID); err != nil {
		return nil, err
	}
	made, err := s.store.CreateCart(ctx, cart)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, *made)
}

// prices checks that each variant may be put in a cart (CanAdd) and
// returns their prices now, by variant id.
func (s *Service) prices(ctx context.Context, lines []models.CartLineInput) (map[string]models.Money, error) {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.VariantID
	}
	out := map[string]models.Money{}
	if len(ids) == 0 {
		return out, nil
	}
	vs, err := s.store.Sellables(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		var v *models.Sellable
		if got, ok := vs[id]; ok {
			v = &got
		}
		if err := models.CanAdd(id, v); err != nil {
			return nil, err
		}
		out[id] = v.Variant.Price
	}
	return out, nil
}

// Get reads a cart, priced now: a guest's by anyone with its id, a
// customer's by that customer and admins.
func (s *Service) Get(ctx context.Context, c models.Caller, cartID string) (*View, error) {
	cart, err := s.readable(ctx, c, cartID)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, *cart)
}

func (s *Service) readable(ctx context.Context, c models.Caller, cartID string) (*models.Cart, error) {
	return s.reach(ctx, c, cartID, models.CanReadCart)
}

// writable reads a cart c may change, to judge a change before it is
// made; the change itself is judged again under the cart's lock (update).
func (s *Service) writable(ctx context.Context, c models.Caller, cartID string) (*models.Cart, error) {
	return s.reach(ctx, c, cartID, models.CanWriteCart)
}

// reach reads the cart cartID names, if may lets c reach it.
func (s *Service) reach(ctx context.Context, c models.Caller, cartID string, may func(models.Caller, models.Cart) error) (*models.Cart, error) {
	id, err := models.ParseCartID(cartID)
	if err != nil {
		return nil, err
	}
	cart, err := s.store.CartByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := may(c, *cart); err != nil {
		return nil, err
	}
	return cart, nil
}

// update changes the cart under its lock, c's right to it judged there,
// and returns it priced.
func (s *Service) update(ctx context.Context, c models.Caller, cartID string, fn func(*models.Cart) error) (*View, error) {
	id, err := models.ParseCartID(cartID)
	if err != nil {
		return nil, err
	}
	cart, err := s.store.UpdateCart(ctx, id, func(cart *models.Cart) error {
		if err := models.CanWriteCart(c, *cart); err != nil {
			return err
		}
		return fn(cart)
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, *cart)
}

// LinesAdd adds lines; a variant already in the cart gets the quantity
// added.
func (s *Service) LinesAdd(ctx context.Context, c models.Caller, cartID string, in []models.CartLineInput) (*View, error) {
	if _, err := s.writable(ctx, c, cartID); err != nil {
		return nil, err
	}
	lines, err := models.ParseCartLines("lines", in, s.limits)
	if err != nil {
		return nil, err
	}
	prices, err := s.prices(ctx, lines)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	return s.update(ctx, c, cartID, func(cart *models.Cart) error {
		return cart.AddLines(lines, prices, s.limits, now, newID)
	})
}

// LinesUpdate sets lines' quantities; 0 removes the line.
func (s *Service) LinesUpdate(ctx context.Context, c models.Caller, cartID string, in []models.CartLineUpdate) (*View, error) {
	cart, err := s.writable(ctx, c, cartID)
	if err != nil {
		return nil, err
	}
	ups, err := models.ParseLineUpdates(in, s.limits)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.Sellables(ctx, cart.VariantIDs())
	if err != nil {
		return nil, err
	}
	prices := map[string]models.Money{}
	for id, v := range vs {
		prices[id] = v.Variant.Price
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { return cart.UpdateLines(ups, prices) })
}

// LinesRemove removes lines.
func (s *Service) LinesRemove(ctx context.Context, c models.Caller, cartID string, lineIDs []string) (*View, error) {
	if _, err := s.writable(ctx, c, cartID); err != nil {
		return nil, err
	}
	ids, err := models.ParseLineIDs(lineIDs)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { return cart.RemoveLines(ids) })
}

// SetEmail sets the email the order is confirmed to ("" clears it).
func (s *Service) SetEmail(ctx context.Context, c models.Caller, cartID, email string) (*View, error) {
	if _, err := s.writable(ctx, c, cartID); err != nil {
		return nil, err
	}
	e, err := models.ParseCartEmail(email)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.Email = e; return nil })
}

// SetShippingAddress sets where the order ships; the method selected
// stays, and checkout refuses it if the new address is not offered it.
func (s *Service) SetShippingAddress(ctx context.Context, c models.Caller, cartID string, in models.Address) (*View, error) {
	if _, err := s.writable(ctx, c, cartID); err != nil {
		return nil, err
	}
	a, err := models.ParseAddress("address", in)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.ShippingAddress = &a; return nil })
}

// SetBillingAddress sets the billing address.
func (s *Service) SetBillingAddress(ctx context.Context, c models.Caller, cartID string, in models.Address) (*View, error) {
	if _, err := s.writable(ctx, c, cartID); err != nil {
		return nil, err
	}
	a, err := models.ParseAddress("address", in)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.BillingAddress = &a; return nil })
}

// SelectShippingMethod selects one of the methods offered for the cart
// now (NO_SHIPPING_METHOD otherwise). The offer is judged on the cart as
// read just before the write: a change of lines or address in between
// may leave a method no longer offered, which the cart then warns of and
// checkoutComplete refuses.
func (s *Service) SelectShippingMethod(ctx context.Context, c models.Caller, cartID, methodID string) (*View, error) {
	cart, err := s.writable(ctx, c, cartID)
	if err != nil {
		return nil, err
	}
	cart.ShippingMethodID = ""
	v, err := s.view(ctx, *cart)
	if err != nil {
		return nil, err
	}
	if err := models.SelectableMethod(methodID, v.Priced); err != nil {
		return nil, err
	}
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.ShippingMethodID = methodID; return nil })
}

// ApplyDiscountCode puts a code on the cart (one per cart: it replaces
// another) if it applies now: DISCOUNT_CODE_INVALID when no active code
// matches, _NOT_APPLICABLE (saying why) or _EXHAUSTED. checkoutComplete
// judges it again, under the code's lock.
func (s *Service) ApplyDiscountCode(ctx context.Context, c models.Caller, cartID, code string) (*View, error) {
	cart, err := s.writable(ctx, c, cartID)
	if err != nil {
		return nil, err
	}
	key, ok := models.ShopperCodeKey(code)
	if !ok {
		return nil, models.CodeInvalid(code)
	}
	dc, err := s.store.DiscountCodeByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if dc == nil {
		return nil, models.CodeInvalid(code)
	}
	p, err := s.pricing(ctx, *cart)
	if err != nil {
		return nil, err
	}
	lines := models.PricingLines(p.Cart, p.Sellables, p.Parents)
	var subtotal models.Money
	for _, l := range lines {
		if l.Sold {
			subtotal += l.UnitPrice * models.Money(l.Quantity)
		}
	}
	if err := models.CodeApplies(*dc, lines, subtotal, p.Now); err != nil {
		return nil, err
	}
	uses, err := s.uses(ctx, *cart, dc)
	if err != nil {
		return nil, err
	}
	if err := models.CodeExhausted(*dc, uses); err != nil {
		return nil, err
	}
	typed := dc.Code
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.DiscountCode = typed; return nil })
}

// RemoveDiscountCode takes the cart's code off.
func (s *Service) RemoveDiscountCode(ctx context.Context, c models.Caller, cartID string) (*View, error) {
	return s.update(ctx, c, cartID, func(cart *models.Cart) error { cart.DiscountCode = ""; return nil })
}

// Merge merges a guest's cart into the signed-in caller's open cart
// (quantities added; the guest's cart closed), or makes it the caller's
// when the caller has none. A cart already the caller's is returned as it
// is.
func (s *Service) Merge(ctx context.Context, c models.Caller, cartID string) (*View, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return nil, err
	}
	id, err := models.ParseCartID(cartID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	kept, err := s.store.MergeCart(ctx, id, c.UserID, func(guest, own *models.Cart) (*models.Cart, error) {
		return models.MergeCart(guest, own, c.UserID, s.limits, now, newID)
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, *kept)
}

// Complete turns the cart into a pending order, priced again on the
// server from the variants, zones, taxes and code as they are under their
// locks; the cart closes. A retry with the same idempotency key (the
// argument or the Idempotency-Key header) returns the same order.
func (s *Service) Complete(ctx context.Context, c models.Caller, cartID, key, headerKey string) (*models.Order, error) {
	id, err := models.ParseCartID(cartID)
	if err != nil {
		return nil, err
	}
	k, err := models.ParseIdempotencyKey(headerKey, key)
	if err != nil {
		return nil, err
	}
	// A guest's order holds stock with no account to cap it
	// (MAX_PENDING_*): what one address may hold is bounded by how often
	// it may check out, as accounts are by how often it may register.
	if s.guests != nil {
		guest, err := s.guestCheckout(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if guest {
			if ok, retry := s.guests.Allow(ctx, clientip.From(ctx)); !ok {
				return nil, models.TooManyAttempts(retry)
			}
		}
	}
	return s.store.CompleteCart(ctx, models.CheckoutRequest{
		CartID: id, IdempotencyKey: k, Caller: c, PricesIncludeTax: s.includeTax, Limits: s.limits,
	})
}

// guestCheckout says whether c's checkout of cart id is a guest's
// (models.GuestCheckout). An anonymous caller's always is: it can complete
// no other cart, and its cart need not be read for it. A signed-in
// caller's is when the cart is a guest's, which takes reading the cart.
func (s *Service) guestCheckout(ctx context.Context, c models.Caller, id string) (bool, error) {
	if c.Anonymous() {
		return true, nil
	}
	if models.ExemptFromOrderLimits(c) {
		return false, nil
	}
	cart, err := s.store.CartByID(ctx, id)
	if err != nil {
		return false, err
	}
	return models.GuestCheckout(c, *cart), nil
}

// pricing reads what the cart is priced from.
func (s *Service) pricing(ctx context.Context, cart models.Cart) (models.CartPricing, error) {
	p := models.CartPricing{Cart: cart, PricesIncludeTax: s.includeTax, Now: s.now().UTC()}
	var err error
	if p.Sellables, err = s.store.Sellables(ctx, cart.VariantIDs()); err != nil {
		return p, err
	}
	if p.Parents, err = s.store.CategoryParents(ctx); err != nil {
		return p, err
	}
	if cart.ShippingAddress != nil {
		if p.Zones, err = s.store.ShippingZones(ctx); err != nil {
			return p, err
		}
		if p.TaxRates, err = s.store.TaxRates(ctx, cart.ShippingAddress.Country); err != nil {
			return p, err
		}
	}
	if cart.DiscountCode != "" {
		if p.Code, err = s.store.DiscountCodeByKey(ctx, models.CodeKey(cart.DiscountCode)); err != nil {
			return p, err
		}
		if p.CodeUses, err = s.uses(ctx, cart, p.Code); err != nil {
			return p, err
		}
	}
	return p, nil
}

// uses counts the cart's customer's unreleased uses of code: by customer
// id, or by a guest's email (none known: none). Only a per-customer limit
// reads them, so a code without one is not counted.
func (s *Service) uses(ctx context.Context, cart models.Cart, code *models.DiscountCode) (int, error) {
	if code == nil || code.UsageLimitPerCustomer == nil {
		return 0, nil
	}
	key := models.CustomerKey(cart.CustomerID, cart.Email)
	if key == "" {
		return 0, nil
	}
	return s.store.DiscountUses(ctx, code.ID, key)
}

// Order is the order cart v became, nil when none: whoever reached the
// cart may read it, as holding a guest's cart id lets its holder pay the
// order (models.CanPayWithCart); a guest has no other way to see it paid.
func (s *Service) Order(ctx context.Context, v *View) (*models.Order, error) {
	if v.Cart.OrderID == nil {
		return nil, nil
	}
	return s.store.OrderByID(ctx, *v.Cart.OrderID)
}

// view prices the cart as it is now.
func (s *Service) view(ctx context.Context, cart models.Cart) (*View, error) {
	p, err := s.pricing(ctx, cart)
	if err != nil {
		return nil, err
	}
	return &View{Cart: cart, Priced: p.Price(), Variants: p.Sellables, Currency: s.currency}, nil
}
