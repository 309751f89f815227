package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestGuestCheckoutThroughTheAPI takes a guest through the whole checkout
// docs/api.md shows, on PostgreSQL with Redis and on the embedded SQLite,
// then merges guests' carts into customers' (login with cartId, and
// cartMerge).
func TestGuestCheckoutThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		env  func(testing.TB) map[string]string
	}{{"PostgreSQL", PostgresRedisEnv}, {"SQLite", EmbeddedEnv}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			env := db.env(t)
			withoutRequestLimits(env)
			in := MustStart(t, env)
			s := newGuestShop(t, in)
			t.Run("a guest's checkout", func(t *testing.T) { s.checkGuestCheckout(t) })
			t.Run("merging carts", func(t *testing.T) { s.checkMerges(t) })
			t.Run("nothing to pay", func(t *testing.T) { s.checkNothingToPay(t) })
		})
	}
}

// guestShop is the catalog and settings the guest's checkout runs on: a
// mug in red (12.50) and blue (14.00), a coaster (5.00), ten of each;
// Standard (5.00) and Express (15.00) shipping in the US; California's
// 7.25% tax; and the code Welcome10, 10% off.
type guestShop struct {
	in                        *instance
	admin                     *client
	mug, red, blue, coaster   string
	standard, express, codeID string
}

func newGuestShop(t *testing.T, in *instance) *guestShop {
	admin := in.MustAdmin(t)
	mug := mustProductIn(t, admin, map[string]any{"name": "Mug", "price": 12.5, "stockCount": 10, "options": []any{opt("Colour", "Red", "Blue")}})
	s := &guestShop{in: in, admin: admin, mug: mug.ProductID, red: mug.variant(t, "Red").VariantID, blue: mug.variant(t, "Blue").VariantID}
	mustUpdateVariant(t, admin, s.blue, map[string]any{"price": 14})
	s.coaster = in.MustCreateProduct(t, 5, 10)
	zone := mustZone(t, admin, "United States", []string{"US"}, nil)
	s.standard = mustRate(t, admin, zone, flatRate("Standard", "5"))
	s.express = mustRate(t, admin, zone, flatRate("Express", "15"))
	mustTaxRate(t, admin, "US", "CA", "California", "7.25", false)
	s.codeID = mustCode(t, admin, map[string]any{"code": "Welcome10", "kind": "PERCENTAGE", "value": 10}).DiscountCodeID
	return s
}

// wantMoney fails unless the cart's totals are these amounts.
func wantMoney(t *testing.T, what string, c cartView, subtotal, discount, shipping, tax, total string) {
	t.Helper()
	var m mismatches
	m.amount("subtotal", c.Subtotal, subtotal)
	m.amount("discountTotal", c.DiscountTotal, discount)
	m.amount("shippingTotal", c.ShippingTotal, shipping)
	m.amount("taxTotal", c.TaxTotal, tax)
	m.amount("total", c.Total, total)
	if len(m) > 0 {
		raw, _ := json.MarshalIndent(c, "", " ")
		t.Fatalf("%s:\n%s\n%s", what, m, raw)
	}
}

func (s *guestShop) checkGuestCheckout(t *testing.T) {
	guest, admin := s.in.Anonymous(), s.admin
	cart := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.red, 2)}, "email": "ann@example.com"}})
	if !cartIDPattern.MatchString(cart.CartID) || cart.Email == nil || *cart.Email != "ann@example.com" || cart.Closed || len(cart.Lines) != 1 {
		t.Fatalf("cartCreate: %+v", cart)
	}
	wantMoney(t, "the new cart", cart, "25", "0", "0", "0", "25")
	id := cart.CartID
	with := func(k string, v any) map[string]any { return map[string]any{"c": id, k: v} }

	// Lines: a variant already in the cart gets the quantity added; an
	// update sets it; 0 or cartLinesRemove takes the line out.
	cart = guest.MustCart(t, "cartLinesAdd", with("l", []any{cartLine(s.blue, 1), cartLine(s.red, 1)}))
	if q := cart.quantities(); len(q) != 2 || q[s.red] != 3 || q[s.blue] != 1 {
		t.Fatalf("after cartLinesAdd: %v", q)
	}
	redLine, blueLine := cart.line(t, s.red).LineID, cart.line(t, s.blue).LineID
	cart = guest.MustCart(t, "cartLinesUpdate", with("l", []any{map[string]any{"lineId": redLine, "quantity": 2}}))
	if q := cart.quantities(); q[s.red] != 2 || q[s.blue] != 1 {
		t.Fatalf("after cartLinesUpdate: %v", q)
	}
	cart = guest.MustCart(t, "cartLinesAdd", with("l", []any{cartLine(s.coaster, 3)}))
	coasterLine := cart.line(t, s.coaster).LineID
	cart = guest.MustCart(t, "cartLinesUpdate", with("l", []any{map[string]any{"lineId": coasterLine, "quantity": 0}}))
	if q := cart.quantities(); len(q) != 2 {
		t.Fatalf("quantity 0 left the line: %v", q)
	}
	cart = guest.MustCart(t, "cartLinesAdd", with("l", []any{cartLine(s.coaster, 1)}))
	cart = guest.MustCart(t, "cartLinesRemove", with("ids", []string{cart.line(t, s.coaster).LineID}))
	if q := cart.quantities(); len(q) != 2 || q[s.red] != 2 || q[s.blue] != 1 || cart.Lines[0].LineID != redLine || cart.Lines[1].LineID != blueLine {
		t.Fatalf("after cartLinesRemove: %+v", cart.Lines)
	}
	wantMoney(t, "two red and a blue", cart, "39", "0", "0", "0", "39")

	// Checkout names what is missing, every field at once.
	guest.MustCart(t, "cartSetEmail", with("e", ""))
	r := guest.Checkout(t, id, "")
	MustRefuse(t, r, badUserInput)
	if !namesField(r, "email") || !namesField(r, "shippingAddress") {
		t.Fatalf("checkout without email and address: %+v", r.Errors)
	}
	if c := guest.MustCart(t, "cartSetEmail", with("e", "ann.lee@example.com")); c.Email == nil || *c.Email != "ann.lee@example.com" {
		t.Fatalf("cartSetEmail: %v", c.Email)
	}

	// A bad postal code is refused naming its field; a bad region too,
	// at once; the cart keeps no address.
	bad := address("US", "CA", "ABCDE")
	r = guest.CartCall(t, "cartSetShippingAddress", with("a", bad))
	MustRefuse(t, r, badUserInput)
	if !namesField(r, "address.postalCode") || !strings.Contains(r.Errors[0].Message, "postalCode") {
		t.Fatalf("a bad postal code: %+v", r.Errors)
	}
	bad["region"] = "ZZ"
	r = guest.CartCall(t, "cartSetShippingAddress", with("a", bad))
	MustRefuse(t, r, badUserInput)
	if !namesField(r, "address.postalCode") || !namesField(r, "address.region") {
		t.Fatalf("a bad postal code and region: %+v", r.Errors)
	}
	if c := guest.MustCart(t, "cart", with("c", id)); c.ShippingAddress != nil {
		t.Fatalf("a refused address was kept: %+v", c.ShippingAddress)
	}

	// The address: the US zone's methods, cheapest first, and California's
	// tax on each line (25.00 × 7.25% = 1.8125 → 1.81; 14.00 × 7.25% =
	// 1.015 → 1.02).
	cart = guest.MustCart(t, "cartSetShippingAddress", with("a", map[string]any{"name": "Ann Lee", "line1": "1 Main St", "city": "San Francisco",
		"region": "CA", "postalCode": "94107", "country": "US"}))
	if a := cart.ShippingAddress; a == nil || a.City != "San Francisco" || deref(a.Region) != "CA" || deref(a.PostalCode) != "94107" {
		t.Fatalf("shippingAddress: %+v", a)
	}
	if ms := cart.AvailableShippingMethods; len(ms) != 2 || ms[0].ShippingMethodID != s.standard || !sameAmount(ms[0].Price, "5") ||
		ms[1].ShippingMethodID != s.express || !sameAmount(ms[1].Price, "15") {
		t.Fatalf("availableShippingMethods: %+v", ms)
	}
	wantMoney(t, "with the address", cart, "39", "0", "0", "2.83", "41.83")
	MustRefuse(t, guest.Checkout(t, id, ""), noShippingMethod)
	MustRefuse(t, guest.CartCall(t, "cartSelectShippingMethod", with("m", unknownID)), noShippingMethod)
	cart = guest.MustCart(t, "cartSelectShippingMethod", with("m", s.standard))
	if cart.SelectedShippingMethod == nil || cart.SelectedShippingMethod.Name != "Standard" {
		t.Fatalf("selectedShippingMethod: %+v", cart.SelectedShippingMethod)
	}
	wantMoney(t, "with Standard shipping", cart, "39", "0", "5", "2.83", "46.83")

	// The code, typed in lower case: 3.90 off, 2.50 and 1.40; tax on
	// 22.50 (1.63125 → 1.63) and 12.60 (0.9135 → 0.91).
	MustRefuse(t, guest.CartCall(t, "cartApplyDiscountCode", with("code", "nope")), "DISCOUNT_CODE_INVALID")
	cart = guest.MustCart(t, "cartApplyDiscountCode", with("code", "welcome10"))
	if cart.DiscountCode == nil || *cart.DiscountCode != "Welcome10" || len(cart.Warnings) != 0 {
		t.Fatalf("after the code: %v %+v", cart.DiscountCode, cart.Warnings)
	}
	wantMoney(t, "with the code", cart, "39", "3.9", "5", "2.54", "42.64")

	// The admin raises the blue mug's price: the cart shows the new price
	// with PRICE_CHANGED on its line before checkout, and is charged it.
	mustUpdateVariant(t, admin, s.blue, map[string]any{"price": 15})
	cart = guest.MustCart(t, "cart", with("c", id))
	if w := cart.Warnings; len(w) != 1 || w[0].Code != priceChangedWarning || w[0].LineID == nil || *w[0].LineID != blueLine ||
		!strings.Contains(w[0].Message, "14.00") || !strings.Contains(w[0].Message, "15.00") {
		t.Fatalf("warnings after the price change: %+v", w)
	}
	if l := cart.line(t, s.blue); !sameAmount(l.UnitPrice, "15") || !sameAmount(l.LineSubtotal, "15") {
		t.Fatalf("the blue line after the price change: %+v", l)
	}
	// 40.00 less 4.00 (2.50 and 1.50); tax 1.63 and 13.50 × 7.25% =
	// 0.97875 → 0.98.
	wantMoney(t, "after the price change", cart, "40", "4", "5", "2.61", "43.61")

	const key = "3f1c2a9e-guest-checkout"
	order := guest.MustCheckout(t, id, key)
	var m mismatches
	m.check(order.Status == "pending", "status %s", order.Status)
	m.check(guestCustomerPattern.MatchString(order.CustomerID) && !strings.Contains(order.CustomerID, id), "customerId %s", order.CustomerID)
	m.check(deref(order.Email) == "ann.lee@example.com", "email %v", deref(order.Email))
	m.amount("totalAmount", order.TotalAmount, "43.61")
	m.amount("subtotal", order.Subtotal, "40")
	m.amount("discountTotal", order.DiscountTotal, "4")
	m.amount("shippingTotal", order.ShippingTotal, "5")
	m.amount("taxTotal", order.TaxTotal, "2.61")
	m.check(deref(order.DiscountCode) == "Welcome10", "discountCode %v", deref(order.DiscountCode))
	m.check(order.ShippingMethod != nil && order.ShippingMethod.Name == "Standard", "shippingMethod %+v", order.ShippingMethod)
	m.check(len(order.TaxLines) == 1 && order.TaxLines[0].Title == "California" && sameAmount(order.TaxLines[0].Rate, "7.25") && sameAmount(order.TaxLines[0].Amount, "2.61"),
		"taxLines %+v", order.TaxLines)
	m.check(len(order.Items) == 2, "items %+v", order.Items)
	for _, it := range order.Items {
		switch it.VariantID {
		case s.red:
			m.check(it.Quantity == 2 && sameAmount(it.PriceAtPurchase, "12.5"), "red item %+v", it)
		case s.blue:
			m.check(it.Quantity == 1 && sameAmount(it.PriceAtPurchase, "15"), "blue item %+v: charged the new price", it)
		default:
			m.check(false, "item %+v", it)
		}
	}
	if len(m) > 0 {
		t.Fatalf("the order:\n%s", m)
	}

	// The same key returns the same order; the cart is closed to
	// anything else.
	if again := guest.MustCheckout(t, id, key); again.OrderID != order.OrderID {
		t.Fatalf("the same key made order %s, the first %s", again.OrderID, order.OrderID)
	}
	MustRefuse(t, guest.Checkout(t, id, "another-key"), cartClosed)
	MustRefuse(t, guest.Checkout(t, id, ""), cartClosed)
	MustRefuse(t, guest.CartCall(t, "cartLinesAdd", with("l", []any{cartLine(s.red, 1)})), cartClosed)
	MustRefuse(t, guest.CartCall(t, "cartSetEmail", with("e", "x@example.com")), cartClosed)
	if c := guest.MustCart(t, "cart", with("c", id)); !c.Closed || deref(c.OrderID) != order.OrderID {
		t.Fatalf("the cart after checkout: closed %v, orderId %v", c.Closed, deref(c.OrderID))
	}
	if red, blue := mustVariantStock(t, admin, s.red), mustVariantStock(t, admin, s.blue); red != 8 || blue != 9 {
		t.Fatalf("stock after checkout: red %d, blue %d; want 8 and 9", red, blue)
	}
	if c := mustCodeView(t, admin, s.codeID); c.UsageCount != 1 {
		t.Fatalf("the code's usageCount is %d, want 1", c.UsageCount)
	}

	// The guest pays with the cart's id (no token): the local provider,
	// confirmed as docs/payments.md says (confirmLocalPayment, an admin).
	const payDoc = `mutation($o: String!, $c: String) { createPayment(orderId: $o, cartId: $c) { paymentId clientSecret amount currency status provider } }`
	MustRefuse(t, guest.MustPost(t, payDoc, map[string]any{"o": order.OrderID}), unauthenticated)
	MustRefuse(t, guest.MustPost(t, payDoc, map[string]any{"o": order.OrderID, "c": strings.Repeat("0", 32)}), notFound)
	var pay struct{ CreatePayment sessionView }
	guest.MustData(t, payDoc, map[string]any{"o": order.OrderID, "c": id}, &pay)
	p := pay.CreatePayment
	if p.Amount != 43.61 || p.Currency != "USD" || p.Provider != "local" || p.Status != "requires_payment_method" || p.ClientSecret == "" {
		t.Fatalf("createPayment: %+v", p)
	}
	paid := admin.MustConfirmLocal(t, p.PaymentID, "succeeded")
	if paid.Status != "paid" || paid.Payment == nil || paid.Payment.Status != "succeeded" || paid.Payment.Amount != 43.61 || paid.TotalAmount != 43.61 {
		t.Fatalf("after the payment: %+v", paid)
	}
	// The guest, with no token, sees it paid through its cart.
	var seen struct {
		Cart struct {
			TaxesIncluded bool
			Order         *struct {
				OrderID, Status string
				TaxesIncluded   *bool
				Payment         *struct{ Status string }
			}
		}
	}
	guest.MustData(t, `query($c: String!) { cart(cartId: $c) { taxesIncluded order { orderId status taxesIncluded payment { status } } } }`, map[string]any{"c": id}, &seen)
	if o := seen.Cart.Order; o == nil || o.OrderID != order.OrderID || o.Status != "paid" || o.Payment == nil || o.Payment.Status != "succeeded" ||
		o.TaxesIncluded == nil || *o.TaxesIncluded || seen.Cart.TaxesIncluded {
		t.Fatalf("the guest's cart's order after the payment: %+v", seen.Cart)
	}
}

// checkMerges signs customers in with guests' carts: login(..., cartId)
// merges the guest's cart into the customer's, adding quantities, and
// closes it; so does cartMerge; a customer without a cart takes the
// guest's as it is. The merged cart checks out as the customer's.
func (s *guestShop) checkMerges(t *testing.T) {
	in, guest := s.in, s.in.Anonymous()
	bob, sess := in.MustCustomer(t)
	own := bob.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.red, 1)}}})
	mustNoCart(t, guest.CartCall(t, "cart", map[string]any{"c": own.CartID}))

	first := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.red, 2), cartLine(s.coaster, 1)}, "email": "guest@example.com"}})
	var login struct{ Login session }
	guest.MustData(t, `mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p, cartId: $c) `+sessionFields+` }`,
		map[string]any{"e": sess.User.Email, "p": testCustomerPassword, "c": first.CartID}, &login)
	bob = &client{URL: in.URL, Token: login.Login.AccessToken, ID: login.Login.User.ID}
	merged := bob.MustCart(t, "cart", map[string]any{"c": own.CartID})
	if q := merged.quantities(); len(q) != 2 || q[s.red] != 3 || q[s.coaster] != 1 || merged.Closed {
		t.Fatalf("bob's cart after login with a guest's cart: %+v", merged)
	}
	if deref(merged.Email) != "guest@example.com" {
		t.Fatalf("the merged cart's email %v: the guest's, since bob's had none", deref(merged.Email))
	}
	if c := guest.MustCart(t, "cart", map[string]any{"c": first.CartID}); !c.Closed || c.OrderID != nil {
		t.Fatalf("the guest's cart after the merge: %+v", c)
	}
	MustRefuse(t, guest.CartCall(t, "cartLinesAdd", map[string]any{"c": first.CartID, "l": []any{cartLine(s.red, 1)}}), cartClosed)
	MustRefuse(t, bob.CartCall(t, "cartMerge", map[string]any{"c": first.CartID}), cartClosed)

	second := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.blue, 1), cartLine(s.red, 1)}}})
	MustRefuse(t, guest.CartCall(t, "cartMerge", map[string]any{"c": second.CartID}), unauthenticated)
	merged = bob.MustCart(t, "cartMerge", map[string]any{"c": second.CartID})
	if q := merged.quantities(); merged.CartID != own.CartID || len(q) != 3 || q[s.red] != 4 || q[s.coaster] != 1 || q[s.blue] != 1 {
		t.Fatalf("cartMerge: cart %s (bob's is %s), %v", merged.CartID, own.CartID, q)
	}

	// A customer without a cart takes the guest's: its id stays, and only
	// the customer reaches it now.
	carol, _ := in.MustCustomer(t)
	third := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.blue, 2)}}})
	taken := carol.MustCart(t, "cartMerge", map[string]any{"c": third.CartID})
	if taken.CartID != third.CartID || taken.quantities()[s.blue] != 2 || taken.Closed {
		t.Fatalf("carol's cartMerge: %+v", taken)
	}
	mustNoCart(t, guest.CartCall(t, "cart", map[string]any{"c": third.CartID}))
	mustNoCart(t, bob.CartCall(t, "cart", map[string]any{"c": third.CartID}))

	// Bob's merged cart is his order.
	bob.MustCart(t, "cartSetShippingAddress", map[string]any{"c": own.CartID, "a": address("US", "NY", "10001")})
	bob.MustCart(t, "cartSelectShippingMethod", map[string]any{"c": own.CartID, "m": s.express})
	red, blue, coaster := mustVariantStock(t, s.admin, s.red), mustVariantStock(t, s.admin, s.blue), mustVariantStock(t, s.admin, s.coaster)
	// The key sent as the Idempotency-Key header, or in both places.
	header := map[string]string{"Idempotency-Key": "bob-merged"}
	order := mustField[checkoutOrderView](t, bob.MustSend(t, header, checkoutDoc, map[string]any{"c": own.CartID}), "checkoutComplete")
	if again := mustField[checkoutOrderView](t, bob.MustSend(t, header, checkoutDoc, map[string]any{"c": own.CartID, "k": "bob-merged"}), "checkoutComplete"); again.OrderID != order.OrderID {
		t.Fatalf("the same key again, in the header and the argument: order %s, the first %s", again.OrderID, order.OrderID)
	}
	if again := bob.MustCheckout(t, own.CartID, "bob-merged"); again.OrderID != order.OrderID {
		t.Fatalf("the header's key again as the argument: order %s, the first %s", again.OrderID, order.OrderID)
	}
	MustRefuse(t, bob.MustSend(t, header, checkoutDoc, map[string]any{"c": own.CartID, "k": "another"}), badUserInput)
	// 4 × 12.50 + 15.00 + 5.00 = 70.00, Express 15.00, no tax in New York.
	if order.CustomerID != bob.ID || !sameAmount(order.TotalAmount, "85") || len(order.Items) != 3 {
		t.Fatalf("bob's order: %+v", order)
	}
	if got := bob.MustCheckoutOrder(t, order.OrderID); got.OrderID != order.OrderID || !sameAmount(got.TotalAmount, "85") {
		t.Fatalf("bob reads his order: %+v", got)
	}
	if r, b, c := mustVariantStock(t, s.admin, s.red), mustVariantStock(t, s.admin, s.blue), mustVariantStock(t, s.admin, s.coaster); r != red-4 || b != blue-1 || c != coaster-1 {
		t.Fatalf("stock after bob's order: %d %d %d, want %d %d %d", r, b, c, red-4, blue-1, coaster-1)
	}
}

// mustNoCart fails unless the cart query was refused with CART_NOT_FOUND
// (its field, nullable, is null).
func mustNoCart(t *testing.T, r gqlResponse) {
	t.Helper()
	if r.Code() != "CART_NOT_FOUND" || len(r.Errors) != 1 || r.Status != http.StatusOK || string(r.Data) != `{"cart":null}` {
		t.Fatalf("got %d %s %+v, want CART_NOT_FOUND", r.Status, r.Data, r.Errors)
	}
}

// checkNothingToPay takes a guest through a checkout that costs nothing (a
// 100% code and free collection): createPayment with the cart's id pays it
// at once, without the provider, and says so (provider "none", succeeded,
// 0, an empty clientSecret); called again it answers the same; an admin
// then cancels the order, with nothing to refund, and the stock goes back.
func (s *guestShop) checkNothingToPay(t *testing.T) {
	guest, admin := s.in.Anonymous(), s.admin
	zone := mustZone(t, admin, "United Kingdom", []string{"GB"}, nil)
	collect := mustRate(t, admin, zone, flatRate("Collection", "0"))
	mustCode(t, admin, map[string]any{"code": "ALLFREE", "kind": "PERCENTAGE", "value": 100})
	redBefore := mustVariantStock(t, admin, s.red)

	cart := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(s.red, 2)}, "email": "free@example.com"}})
	id := cart.CartID
	with := func(k string, v any) map[string]any { return map[string]any{"c": id, k: v} }
	guest.MustCart(t, "cartSetShippingAddress", with("a", address("GB", "", "SW1A 1AA")))
	guest.MustCart(t, "cartSelectShippingMethod", with("m", collect))
	cart = guest.MustCart(t, "cartApplyDiscountCode", with("code", "allfree"))
	wantMoney(t, "the free cart", cart, "25", "25", "0", "0", "0")
	order := guest.MustCheckout(t, id, "")
	if order.Status != "pending" || !sameAmount(order.TotalAmount, "0") {
		t.Fatalf("the free order: %s, %s", order.Status, order.TotalAmount)
	}

	const payDoc = `mutation($o: String!, $c: String) { createPayment(orderId: $o, cartId: $c) { paymentId clientSecret amount currency status provider } }`
	MustRefuse(t, guest.MustPost(t, payDoc, map[string]any{"o": order.OrderID, "c": strings.Repeat("0", 32)}), notFound)
	var pay struct{ CreatePayment sessionView }
	guest.MustData(t, payDoc, map[string]any{"o": order.OrderID, "c": id}, &pay)
	p := pay.CreatePayment
	if p.Provider != "none" || p.Status != "succeeded" || p.Amount != 0 || p.Currency != "USD" || p.ClientSecret != "" || p.PaymentID == "" {
		t.Fatalf("createPayment of a free order: %+v", p)
	}
	var again struct{ CreatePayment sessionView }
	guest.MustData(t, payDoc, map[string]any{"o": order.OrderID, "c": id}, &again)
	if again.CreatePayment != p {
		t.Fatalf("createPayment again: %+v, the first %+v", again.CreatePayment, p)
	}
	// Another's cart id still finds no such order, paid or not.
	MustRefuse(t, guest.MustPost(t, payDoc, map[string]any{"o": order.OrderID, "c": strings.Repeat("0", 32)}), notFound)

	var seen struct {
		Cart struct {
			Order *struct {
				Status  string
				Payment *struct{ Provider, Status string }
			}
		}
	}
	guest.MustData(t, `query($c: String!) { cart(cartId: $c) { order { status payment { provider status } } } }`, map[string]any{"c": id}, &seen)
	if o := seen.Cart.Order; o == nil || o.Status != "paid" || o.Payment == nil || o.Payment.Provider != "none" || o.Payment.Status != "succeeded" {
		t.Fatalf("the guest's cart's order after createPayment: %+v", seen.Cart.Order)
	}
	paid := admin.MustPaidOrder(t, order.OrderID)
	last := paid.Events[len(paid.Events)-1]
	if paid.Status != "paid" || paid.Payment == nil || paid.Payment.PaymentID != p.PaymentID || paid.Payment.PaidAt == nil ||
		last.Status != "paid" || last.Actor != "system" || deref(last.Message) != "Nothing to pay: the total is 0.00 USD." ||
		!strings.Contains(deref(last.Note), "paid without a payment provider") {
		t.Fatalf("the paid order, as an admin reads it: %+v, last event %+v", paid, last)
	}
	if red := mustVariantStock(t, admin, s.red); red != redBefore-2 {
		t.Fatalf("red stock %d after the free order, want %d", red, redBefore-2)
	}

	// An admin cancels it: nothing to refund; the stock goes back.
	var cancelled struct{ CancelOrder paidOrderView }
	admin.MustData(t, cancelWithPayment, map[string]any{"o": order.OrderID, "r": "gift withdrawn"}, &cancelled)
	if c := cancelled.CancelOrder; c.Status != "cancelled" || c.Payment == nil || c.Payment.Status != "succeeded" || c.Payment.RefundedAt != nil {
		t.Fatalf("the cancelled free order: %+v", c)
	}
	if red := mustVariantStock(t, admin, s.red); red != redBefore {
		t.Fatalf("red stock %d after the cancellation, want %d", red, redBefore)
	}
	MustRefuse(t, guest.MustPost(t, payDoc, map[string]any{"o": order.OrderID, "c": id}), invalidTransition)
}
