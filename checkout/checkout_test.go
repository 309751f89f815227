package checkout_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shop/checkout"
	"shop/clientip"
	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/ratelimit"
	"shop/store"
)

var (
	guest    = models.Caller{}
	alice    = models.Caller{UserID: "alice", Role: models.RoleCustomer}
	bob      = models.Caller{UserID: "bob", Role: models.RoleCustomer}
	admin    = models.Caller{UserID: "root", Role: models.RoleAdmin}
	shipToCA = models.Address{Name: "Ann", Line1: "1 Main St", City: "San Francisco", PostalCode: "94107", Region: "CA", Country: "US"}
)

func service(s *store.Store) *checkout.Service {
	return checkout.New(checkout.Options{Store: s, Currency: "usd", Limits: models.OrderLimits{MaxLineQuantity: 100}})
}

func mustProduct(tb testing.TB, s *store.Store, price models.Money, stock int) *models.Product {
	tb.Helper()
	p, err := s.CreateProduct(context.Background(), models.NewProduct{Price: price, StockCount: stock})
	if err != nil {
		tb.Fatalf("create product: %v", err)
	}
	return p
}

// shop is a store with a zone covering the US (a flat 5.00 rate) and a
// California tax of 8.25% on goods: what a checkout needs.
type shop struct {
	s    *store.Store
	svc  *checkout.Service
	rate string
}

func newShop(t *testing.T, s *store.Store) shop {
	t.Helper()
	ctx := context.Background()
	z, err := s.CreateShippingZone(ctx, models.ShippingZone{Name: "US", Countries: []string{"US"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateShippingRate(ctx, models.ShippingRate{ZoneID: z.ID, Name: "Ground", Kind: models.RateFlat, Price: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTaxRate(ctx, models.TaxRate{Country: "US", Region: "CA", Name: "CA sales tax", Rate: 8250}); err != nil {
		t.Fatal(err)
	}
	return shop{s: s, svc: service(s), rate: r.ID}
}

func (sh shop) code(t *testing.T, code string, pct models.Percent, limit *int) *models.DiscountCode {
	t.Helper()
	d, err := sh.s.CreateDiscountCode(context.Background(), models.DiscountCode{Code: code, CodeKey: models.CodeKey(code), Kind: models.DiscountPercentage,
		Percent: pct, UsageLimit: limit, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ready makes c's cart of lines with an email, the CA address and the
// ground method selected: ready to complete.
func (sh shop) ready(t *testing.T, c models.Caller, email string, lines ...models.CartLineInput) *checkout.View {
	t.Helper()
	ctx := context.Background()
	v, err := sh.svc.Create(ctx, c, checkout.NewCart{Lines: lines, Email: email})
	if err != nil {
		t.Fatalf("create cart: %v", err)
	}
	if v, err = sh.svc.SetShippingAddress(ctx, c, v.Cart.ID, shipToCA); err != nil {
		t.Fatalf("set address: %v", err)
	}
	if v, err = sh.svc.SelectShippingMethod(ctx, c, v.Cart.ID, sh.rate); err != nil {
		t.Fatalf("select method: %v", err)
	}
	return v
}

func code(err error) errcode.Code { return models.ErrorCode(err) }

// TestCartLifecycle: lines added (a variant again adds quantity), updated
// (0 removes), removed; each write bumps last_updated; the cart priced
// with shipping and tax once it has an address and a method.
func TestCartLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		a, b := mustProduct(t, s, 1000, 10), mustProduct(t, s, 250, 10)
		v, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: []models.CartLineInput{{VariantID: a.ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Cart.ID) != 32 || v.Cart.CustomerID != nil || v.Priced.Subtotal != 1000 || v.Priced.Total != 1000 {
			t.Fatalf("new cart = %+v, priced %+v", v.Cart, v.Priced)
		}
		id, first := v.Cart.ID, v.Cart.LastUpdated
		v, err = sh.svc.LinesAdd(ctx, guest, id, []models.CartLineInput{{VariantID: a.ID, Quantity: 2}, {VariantID: b.ID, Quantity: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Cart.Lines) != 2 || v.Cart.Lines[0].Quantity != 3 || v.Cart.Lines[1].VariantID != b.ID || v.Priced.Subtotal != 4000 {
			t.Fatalf("after add: %+v, subtotal %v", v.Cart.Lines, v.Priced.Subtotal)
		}
		if v.Cart.LastUpdated.Before(first) {
			t.Fatalf("last_updated went back: %v < %v", v.Cart.LastUpdated, first)
		}
		lineA, lineB := v.Cart.Lines[0].ID, v.Cart.Lines[1].ID
		if v, err = sh.svc.LinesUpdate(ctx, guest, id, []models.CartLineUpdate{{LineID: lineA, Quantity: 0}, {LineID: lineB, Quantity: 2}}); err != nil {
			t.Fatal(err)
		}
		if len(v.Cart.Lines) != 1 || v.Cart.Lines[0].ID != lineB || v.Cart.Lines[0].Quantity != 2 {
			t.Fatalf("after update: %+v", v.Cart.Lines)
		}
		if _, err := sh.svc.LinesUpdate(ctx, guest, id, []models.CartLineUpdate{{LineID: lineA, Quantity: 1}}); code(err) != errcode.BadUserInput {
			t.Fatalf("update of a removed line: %v, want BAD_USER_INPUT", err)
		}
		if _, err := sh.svc.LinesAdd(ctx, guest, id, []models.CartLineInput{{VariantID: b.ID, Quantity: 99}}); code(err) != errcode.BadUserInput {
			t.Fatalf("101 units in a line: %v, want BAD_USER_INPUT", err)
		}
		if v, err = sh.svc.SetShippingAddress(ctx, guest, id, shipToCA); err != nil {
			t.Fatal(err)
		}
		if len(v.Priced.Methods) != 1 || v.Priced.Selected != nil {
			t.Fatalf("methods %+v, selected %+v", v.Priced.Methods, v.Priced.Selected)
		}
		if _, err := sh.svc.SelectShippingMethod(ctx, guest, id, "0190a0b0-0000-7000-8000-000000000000"); code(err) != errcode.NoShippingMethod {
			t.Fatalf("unknown method: %v, want NO_SHIPPING_METHOD", err)
		}
		if v, err = sh.svc.SelectShippingMethod(ctx, guest, id, sh.rate); err != nil {
			t.Fatal(err)
		}
		// 5.00 of goods, 5.00 shipping, 8.25% of 5.00 = 0.4125 → 0.41.
		if p := v.Priced; p.Subtotal != 500 || p.ShippingTotal != 500 || p.TaxTotal != 41 || p.Total != 1041 {
			t.Fatalf("priced %+v", p)
		}
		if v, err = sh.svc.LinesRemove(ctx, guest, id, []string{lineB}); err != nil || len(v.Cart.Lines) != 0 {
			t.Fatalf("remove: %+v, %v", v, err)
		}
		got, err := sh.svc.Get(ctx, guest, id)
		if err != nil || got.Cart.ShippingMethodID != sh.rate || got.Cart.ShippingAddress.PostalCode != "94107" {
			t.Fatalf("read back: %+v, %v", got, err)
		}
	})
}

// TestWhoMayReachACart: a guest's cart anyone with its id; a customer's
// only that customer (others CART_NOT_FOUND, never FORBIDDEN), admins
// read it but don't change it; every operation.
func TestWhoMayReachACart(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 100, 100)
		d := sh.code(t, "WELCOME", 10_000, nil)
		line := []models.CartLineInput{{VariantID: p.ID, Quantity: 1}}
		type op struct {
			name  string
			write bool
			run   func(c models.Caller, id string) error
		}
		ops := []op{
			{"cart", false, func(c models.Caller, id string) error { _, err := sh.svc.Get(ctx, c, id); return err }},
			{"cartLinesAdd", true, func(c models.Caller, id string) error { _, err := sh.svc.LinesAdd(ctx, c, id, line); return err }},
			{"cartLinesUpdate", true, func(c models.Caller, id string) error {
				v, err := sh.svc.Get(ctx, admin, id)
				if err != nil {
					return err
				}
				_, err = sh.svc.LinesUpdate(ctx, c, id, []models.CartLineUpdate{{LineID: v.Cart.Lines[0].ID, Quantity: 2}})
				return err
			}},
			{"cartSetEmail", true, func(c models.Caller, id string) error {
				_, err := sh.svc.SetEmail(ctx, c, id, "x@shop.test")
				return err
			}},
			{"cartSetShippingAddress", true, func(c models.Caller, id string) error {
				_, err := sh.svc.SetShippingAddress(ctx, c, id, shipToCA)
				return err
			}},
			{"cartSetBillingAddress", true, func(c models.Caller, id string) error {
				_, err := sh.svc.SetBillingAddress(ctx, c, id, shipToCA)
				return err
			}},
			{"cartApplyDiscountCode", true, func(c models.Caller, id string) error {
				_, err := sh.svc.ApplyDiscountCode(ctx, c, id, d.Code)
				return err
			}},
			{"cartRemoveDiscountCode", true, func(c models.Caller, id string) error { _, err := sh.svc.RemoveDiscountCode(ctx, c, id); return err }},
			{"cartLinesRemove", true, func(c models.Caller, id string) error {
				v, err := sh.svc.Get(ctx, admin, id)
				if err != nil {
					return err
				}
				_, err = sh.svc.LinesRemove(ctx, c, id, []string{v.Cart.Lines[0].ID})
				return err
			}},
		}
		callers := []struct {
			name string
			c    models.Caller
		}{{"anonymous", guest}, {"owner", alice}, {"another customer", bob}, {"admin", admin}}
		for _, o := range ops {
			for _, who := range callers {
				// A guest's cart: everyone with the id.
				g, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: line})
				if err != nil {
					t.Fatal(err)
				}
				if err := o.run(who.c, g.Cart.ID); err != nil {
					t.Errorf("%s of a guest's cart by %s: %v", o.name, who.name, err)
				}
				// Alice's cart.
				a, err := sh.svc.Create(ctx, alice, checkout.NewCart{Lines: line})
				if err != nil {
					t.Fatal(err)
				}
				var want errcode.Code
				switch {
				case who.name == "owner", who.name == "admin" && !o.write:
				case who.name == "admin":
					want = errcode.Forbidden
				default:
					want = errcode.CartNotFound
				}
				if got := code(o.run(who.c, a.Cart.ID)); got != want {
					t.Errorf("%s of alice's cart by %s: %q, want %q", o.name, who.name, got, want)
				}
			}
		}
		// Completing: alice's cart by bob is CART_NOT_FOUND, by an admin
		// FORBIDDEN, and neither makes an order.
		a := sh.ready(t, alice, "", line...)
		for _, who := range []models.Caller{guest, bob} {
			if _, err := sh.svc.Complete(ctx, who, a.Cart.ID, "", ""); code(err) != errcode.CartNotFound {
				t.Errorf("checkoutComplete of alice's cart by %+v: %v, want CART_NOT_FOUND", who, err)
			}
		}
		if _, err := sh.svc.Complete(ctx, admin, a.Cart.ID, "", ""); code(err) != errcode.Forbidden {
			t.Errorf("checkoutComplete of alice's cart by an admin: %v, want FORBIDDEN", err)
		}
		if _, err := sh.svc.Get(ctx, guest, "not-a-cart"); code(err) != errcode.CartNotFound {
			t.Errorf("a malformed id: %v, want CART_NOT_FOUND", err)
		}
		if _, err := sh.svc.Merge(ctx, guest, a.Cart.ID); code(err) != errcode.Unauthenticated {
			t.Errorf("cartMerge anonymous: %v, want UNAUTHENTICATED", err)
		}
		if _, err := sh.svc.Merge(ctx, bob, a.Cart.ID); code(err) != errcode.CartNotFound {
			t.Errorf("cartMerge of alice's cart by bob: %v, want CART_NOT_FOUND", err)
		}
		// A signed-in customer's new cart is theirs.
		if v, err := sh.svc.Create(ctx, bob, checkout.NewCart{}); err != nil || v.Cart.CustomerID == nil || *v.Cart.CustomerID != "bob" {
			t.Fatalf("bob's cart: %+v, %v", v, err)
		}
	})
}

// TestCheckoutComplete: a guest's checkout with a code makes one pending
// order charged the cart's total, with its snapshot; the stock is taken,
// the code's use counted, the cart closed; the same key again returns the
// same order, another call CART_CLOSED; cancelling releases the code use.
func TestCheckoutComplete(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 1000, 10)
		d := sh.code(t, "TENOFF", 10_000, nil)
		if _, err := sh.svc.Complete(ctx, guest, models.NewCartID(), "", ""); code(err) != errcode.CartNotFound {
			t.Fatalf("no such cart: %v", err)
		}
		v, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: []models.CartLineInput{{VariantID: p.ID, Quantity: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		id := v.Cart.ID
		if _, err := sh.svc.Complete(ctx, guest, id, "", ""); code(err) != errcode.BadUserInput {
			t.Fatalf("no email nor address: %v, want BAD_USER_INPUT", err)
		}
		v = sh.ready(t, guest, "Ann@Shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 3})
		id = v.Cart.ID
		if _, err := sh.svc.ApplyDiscountCode(ctx, guest, id, "nope"); code(err) != errcode.DiscountCodeInvalid {
			t.Fatalf("unknown code: %v", err)
		}
		if v, err = sh.svc.ApplyDiscountCode(ctx, guest, id, "tenoff"); err != nil {
			t.Fatal(err)
		}
		// 30.00 - 3.00 = 27.00; tax 8.25% of 27.00 = 2.2275 → 2.23; +5.00.
		want := models.Money(2700 + 223 + 500)
		if v.Priced.DiscountTotal != 300 || v.Priced.Total != want {
			t.Fatalf("priced %+v, want total %v", v.Priced, want)
		}
		o, err := sh.svc.Complete(ctx, guest, id, "key-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != models.OrderStatusPending || o.TotalAmount != want || o.CustomerID != models.GuestCustomerID(id) || len(o.Items) != 1 {
			t.Fatalf("order = %+v", o)
		}
		got, err := s.OrderByID(ctx, o.ID)
		if err != nil || got.Checkout == nil || got.Checkout.Email != "Ann@Shop.test" || got.Checkout.DiscountCodeID != d.ID ||
			got.Checkout.Priced.Total != want || got.Checkout.Priced.Selected == nil || got.Checkout.ShippingAddress.City != "San Francisco" {
			t.Fatalf("stored order = %+v, %v", got, err)
		}
		if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 7 {
			t.Fatalf("stock %d, want 7", left.StockCount)
		}
		if c, _ := s.DiscountCodeByID(ctx, d.ID); c.UsageCount != 1 {
			t.Fatalf("usage count %d, want 1", c.UsageCount)
		}
		if n, _ := s.DiscountUses(ctx, d.ID, "ann@shop.test"); n != 1 {
			t.Fatalf("ann's uses %d, want 1", n)
		}
		again, err := sh.svc.Complete(ctx, guest, id, "key-1", "")
		if err != nil || again.ID != o.ID {
			t.Fatalf("retry: %+v, %v; want order %s", again, err, o.ID)
		}
		if _, err := sh.svc.Complete(ctx, guest, id, "", ""); code(err) != errcode.CartClosed {
			t.Fatalf("closed cart: %v, want CART_CLOSED", err)
		}
		if _, err := sh.svc.LinesAdd(ctx, guest, id, []models.CartLineInput{{VariantID: p.ID, Quantity: 1}}); code(err) != errcode.CartClosed {
			t.Fatalf("write to a closed cart: %v, want CART_CLOSED", err)
		}
		// createOrder's orders have no snapshot.
		plain, err := s.CreateOrder(ctx, models.OrderRequest{CustomerID: "c", Lines: []models.OrderLine{{ProductID: p.ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.OrderByID(ctx, plain.ID); got.Checkout != nil || got.TotalAmount != 1000 {
			t.Fatalf("createOrder's order: %+v", got)
		}
		list, err := s.ListOrders(ctx, models.Page{Limit: 10}, models.OrderFilter{})
		if err != nil || len(list) != 2 || list[1].Checkout == nil || list[0].Checkout != nil {
			t.Fatalf("list: %+v, %v", list, err)
		}
		if _, err := s.ChangeOrderStatus(ctx, models.StatusChange{OrderID: o.ID, To: models.OrderStatusCancelled, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.DiscountCodeByID(ctx, d.ID); c.UsageCount != 0 {
			t.Fatalf("usage count after cancel %d, want 0", c.UsageCount)
		}
		if n, _ := s.DiscountUses(ctx, d.ID, "ann@shop.test"); n != 0 {
			t.Fatalf("ann's uses after cancel %d, want 0", n)
		}
		if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 9 {
			t.Fatalf("stock after cancel %d, want 9", left.StockCount)
		}
	})
}

// TestExpiryReleasesCodeUse: an expired order's code use no longer counts.
func TestExpiryReleasesCodeUse(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 1000, 10)
		one := 1
		d := sh.code(t, "ONCE", 50_000, &one)
		v := sh.ready(t, alice, "", models.CartLineInput{VariantID: p.ID, Quantity: 1})
		if _, err := sh.svc.ApplyDiscountCode(ctx, alice, v.Cart.ID, "once"); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.svc.Complete(ctx, alice, v.Cart.ID, "", ""); err != nil {
			t.Fatal(err)
		}
		w := sh.ready(t, alice, "", models.CartLineInput{VariantID: p.ID, Quantity: 1})
		if _, err := sh.svc.ApplyDiscountCode(ctx, alice, w.Cart.ID, "once"); code(err) != errcode.DiscountCodeExhausted {
			t.Fatalf("a used-up code: %v, want DISCOUNT_CODE_EXHAUSTED", err)
		}
		expired, err := s.ExpireOrders(ctx, time.Now().Add(time.Hour), "expired", 10)
		if err != nil || len(expired) != 1 {
			t.Fatalf("expired %d, %v", len(expired), err)
		}
		if c, _ := s.DiscountCodeByID(ctx, d.ID); c.UsageCount != 0 {
			t.Fatalf("usage count after expiry %d, want 0", c.UsageCount)
		}
		if _, err := sh.svc.ApplyDiscountCode(ctx, alice, w.Cart.ID, "once"); err != nil {
			t.Fatalf("the code after its use expired: %v", err)
		}
	})
}

// TestPriceChangedBeforeCheckout: a price an admin changes after the line
// was added shows as PRICE_CHANGED and is the one charged.
func TestPriceChangedBeforeCheckout(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 1000, 10)
		v := sh.ready(t, bob, "", models.CartLineInput{VariantID: p.ID, Quantity: 2})
		price := models.Money(1200)
		if _, err := s.UpdateVariant(ctx, p.ID, models.VariantDraft{Price: &price}, "root"); err != nil {
			t.Fatal(err)
		}
		v, err := sh.svc.Get(ctx, bob, v.Cart.ID)
		if err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, w := range v.Priced.Warnings {
			warned = warned || (w.Code == models.WarningPriceChanged && w.LineID == v.Cart.Lines[0].ID)
		}
		if !warned || v.Priced.Subtotal != 2400 {
			t.Fatalf("warnings %+v, subtotal %v; want PRICE_CHANGED and 24.00", v.Priced.Warnings, v.Priced.Subtotal)
		}
		o, err := sh.svc.Complete(ctx, bob, v.Cart.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		// 24.00 + 8.25% (1.98) + 5.00.
		if o.TotalAmount != 2400+198+500 || o.Items[0].PriceAtPurchase != 1200 || o.CustomerID != "bob" {
			t.Fatalf("order %+v", o)
		}
	})
}

// TestCheckoutRefusals: short stock names every line short; a method no
// longer offered is NO_SHIPPING_METHOD; nothing is written.
func TestCheckoutRefusals(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		a, b := mustProduct(t, s, 100, 1), mustProduct(t, s, 100, 1)
		v := sh.ready(t, guest, "g@shop.test", models.CartLineInput{VariantID: a.ID, Quantity: 2}, models.CartLineInput{VariantID: b.ID, Quantity: 3})
		_, err := sh.svc.Complete(ctx, guest, v.Cart.ID, "", "")
		var me *models.Error
		if code(err) != errcode.InsufficientStock || !asError(err, &me) || len(me.Details["lines"].([]map[string]any)) != 2 {
			t.Fatalf("short stock: %v, want INSUFFICIENT_STOCK naming both lines", err)
		}
		if _, err := sh.svc.SetShippingAddress(ctx, guest, v.Cart.ID, models.Address{Name: "B", Line1: "1 Rue", City: "Paris", PostalCode: "75001", Country: "FR"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.svc.LinesUpdate(ctx, guest, v.Cart.ID, []models.CartLineUpdate{{LineID: v.Cart.Lines[0].ID, Quantity: 1}, {LineID: v.Cart.Lines[1].ID, Quantity: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.svc.Complete(ctx, guest, v.Cart.ID, "", ""); code(err) != errcode.NoShippingMethod {
			t.Fatalf("no zone for FR: %v, want NO_SHIPPING_METHOD", err)
		}
		if got, _ := sh.svc.Get(ctx, guest, v.Cart.ID); got.Cart.Status != models.CartOpen {
			t.Fatalf("refused checkout closed the cart")
		}
		if left, _ := s.ProductByID(ctx, a.ID); left.StockCount != 1 {
			t.Fatalf("refused checkouts took stock: %d", left.StockCount)
		}
	})
}

// TestApplyCodeNoCodeCouldBe: what a shopper types as a code is matched
// only when it could be a code (letters, digits, '_' and '-'); anything
// else is DISCOUNT_CODE_INVALID without a lookup. A NUL sent to PostgreSQL
// was an INTERNAL_SERVER_ERROR (invalid byte sequence for UTF8).
func TestApplyCodeNoCodeCouldBe(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		sh.code(t, "SAVE10", 10000, nil)
		p := mustProduct(t, s, 1000, 10)
		v := sh.ready(t, guest, "g@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
		for _, typed := range []string{"\x00SAVE10", "SAVE10\x00", "SAVE\u200b10", "ＳＡＶＥ10", "SAVE 10", "%", strings.Repeat("S", 65), ""} {
			if _, err := sh.svc.ApplyDiscountCode(ctx, guest, v.Cart.ID, typed); code(err) != errcode.DiscountCodeInvalid {
				t.Errorf("code %q: %v, want DISCOUNT_CODE_INVALID", typed, err)
			}
		}
		if got, err := sh.svc.ApplyDiscountCode(ctx, guest, v.Cart.ID, " save10\t"); err != nil || got.Priced.DiscountTotal != 100 {
			t.Fatalf("the code in another case, spaces around it: %v", err)
		}
	})
}

func asError(err error, target **models.Error) bool {
	e, ok := err.(*models.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestMerge: a guest's cart merges into the customer's open cart
// (quantities added, the guest's cart closed), or becomes the customer's.
func TestMerge(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p, q := mustProduct(t, s, 100, 10), mustProduct(t, s, 200, 10)
		g, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: []models.CartLineInput{{VariantID: p.ID, Quantity: 2}}, Email: "g@shop.test"})
		if err != nil {
			t.Fatal(err)
		}
		// Alice has no cart: the guest's becomes hers.
		v, err := sh.svc.Merge(ctx, alice, g.Cart.ID)
		if err != nil || v.Cart.ID != g.Cart.ID || v.Cart.CustomerID == nil || *v.Cart.CustomerID != "alice" {
			t.Fatalf("merge into nothing: %+v, %v", v, err)
		}
		if _, err := sh.svc.Get(ctx, guest, g.Cart.ID); code(err) != errcode.CartNotFound {
			t.Fatalf("the cart now alice's, read by a guest: %v", err)
		}
		g2, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: []models.CartLineInput{{VariantID: p.ID, Quantity: 3}, {VariantID: q.ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		v, err = sh.svc.Merge(ctx, alice, g2.Cart.ID)
		if err != nil || v.Cart.ID != g.Cart.ID || len(v.Cart.Lines) != 2 || v.Cart.Lines[0].Quantity != 5 || v.Cart.Lines[1].VariantID != q.ID {
			t.Fatalf("merge: %+v, %v", v, err)
		}
		if got, _ := sh.svc.Get(ctx, admin, g2.Cart.ID); got.Cart.Status != models.CartClosed {
			t.Fatalf("the merged guest cart is %q", got.Cart.Status)
		}
		if _, err := sh.svc.Merge(ctx, alice, g2.Cart.ID); code(err) != errcode.CartClosed {
			t.Fatalf("merge again: %v, want CART_CLOSED", err)
		}
	})
}

// TestDeleteStaleCarts: open carts unchanged for CART_TTL go with their
// lines; closed ones stay.
func TestDeleteStaleCarts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 100, 10)
		old, err := sh.svc.Create(ctx, guest, checkout.NewCart{Lines: []models.CartLineInput{{VariantID: p.ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		done := sh.ready(t, guest, "d@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
		if _, err := sh.svc.Complete(ctx, guest, done.Cart.ID, "", ""); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteStaleCarts(ctx, time.Now().Add(-time.Hour), 100)
		if err != nil || n != 0 {
			t.Fatalf("nothing stale yet: deleted %d, %v", n, err)
		}
		n, err = s.DeleteStaleCarts(ctx, time.Now().Add(time.Hour), 100)
		if err != nil || n != 1 {
			t.Fatalf("deleted %d, %v; want the open cart", n, err)
		}
		if _, err := s.CartByID(ctx, old.Cart.ID); code(err) != errcode.CartNotFound {
			t.Fatalf("the stale cart: %v", err)
		}
		if c, err := s.CartByID(ctx, done.Cart.ID); err != nil || c.Status != models.CartClosed {
			t.Fatalf("the closed cart: %+v, %v", c, err)
		}
	})
}

// TestTwoCheckoutsOfOneCart: two checkoutComplete of one cart at once
// make one order; the other is CART_CLOSED.
func TestTwoCheckoutsOfOneCart(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 100, 100)
		v := sh.ready(t, guest, "g@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
		const n = 8
		var made, closed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := sh.svc.Complete(ctx, guest, v.Cart.ID, "", "")
				switch code(err) {
				case "":
					made.Add(1)
				case errcode.CartClosed:
					closed.Add(1)
				default:
					t.Errorf("checkout: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if made.Load() != 1 || closed.Load() != n-1 {
			t.Fatalf("%d orders, %d CART_CLOSED; want 1 and %d", made.Load(), closed.Load(), n-1)
		}
		if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 99 {
			t.Fatalf("stock %d, want 99", left.StockCount)
		}
	})
}

// TestCodeUsageLimitHammer: a code with usageLimit 5, 20 checkouts at
// once on PostgreSQL (one database, many connections: what several
// instances share): exactly 5 orders carry it, the rest are
// DISCOUNT_CODE_EXHAUSTED and make no order.
func TestCodeUsageLimitHammer(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 30, MaxIdleConns: 30})
	ctx := context.Background()
	sh := newShop(t, s)
	p := mustProduct(t, s, 1000, 1000)
	limit := 5
	d := sh.code(t, "FIVE", 20_000, &limit)
	const buyers = 20
	carts := make([]string, buyers)
	for i := range carts {
		v := sh.ready(t, guest, fmt.Sprintf("buyer%d@shop.test", i), models.CartLineInput{VariantID: p.ID, Quantity: 1})
		if _, err := sh.svc.ApplyDiscountCode(ctx, guest, v.Cart.ID, "five"); err != nil {
			t.Fatal(err)
		}
		carts[i] = v.Cart.ID
	}
	var made, exhausted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, id := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := sh.svc.Complete(ctx, guest, id, "", "")
			switch code(err) {
			case "":
				made.Add(1)
			case errcode.DiscountCodeExhausted:
				exhausted.Add(1)
			default:
				t.Errorf("checkout: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if made.Load() != int64(limit) || exhausted.Load() != buyers-int64(limit) {
		t.Fatalf("%d orders, %d exhausted; want %d and %d", made.Load(), exhausted.Load(), limit, buyers-limit)
	}
	if c, _ := s.DiscountCodeByID(ctx, d.ID); c.UsageCount != limit {
		t.Fatalf("usage count %d, want %d", c.UsageCount, limit)
	}
	if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 1000-limit {
		t.Fatalf("stock %d, want %d", left.StockCount, 1000-limit)
	}
}

// TestCheckoutHoldsCustomersToPendingCaps: a customer's checkouts count
// among its unpaid orders as createOrder's do (MAX_PENDING_ORDERS), one
// at a time however many arrive at once; a guest's checkouts are bounded
// per address instead (RATE_LIMIT_GUEST_CHECKOUT), a customer's are not.
func TestCheckoutHoldsCustomersToPendingCaps(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		const caps = 3
		sh.svc = checkout.New(checkout.Options{Store: s, Currency: "usd",
			Limits: models.OrderLimits{MaxLineQuantity: 100, MaxPendingOrders: caps}})
		p := mustProduct(t, s, 1000, 1000)
		// One unpaid order placed with createOrder counts too.
		if _, err := s.CreateOrder(ctx, models.OrderRequest{CustomerID: alice.UserID, Actor: alice.UserID,
			Lines: []models.OrderLine{{ProductID: p.ID, Quantity: 1}}}); err != nil {
			t.Fatal(err)
		}
		const tries = 8
		carts := make([]string, tries)
		for i := range carts {
			carts[i] = sh.ready(t, alice, "", models.CartLineInput{VariantID: p.ID, Quantity: 1}).Cart.ID
		}
		var made, capped atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, id := range carts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := sh.svc.Complete(ctx, alice, id, "", "")
				switch code(err) {
				case "":
					made.Add(1)
				case errcode.PendingLimit:
					capped.Add(1)
				default:
					t.Errorf("checkout: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if made.Load() != caps-1 || capped.Load() != tries-(caps-1) {
			t.Fatalf("%d checkouts made, %d refused; want %d and %d (one unpaid order before)", made.Load(), capped.Load(), caps-1, tries-(caps-1))
		}
		if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 1000-caps {
			t.Fatalf("stock %d, want %d", left.StockCount, 1000-caps)
		}
	})
}

// TestGuestCheckoutsPerAddress: RATE_LIMIT_GUEST_CHECKOUT counts a
// guest's checkoutComplete per client address; another address, and a
// customer's own cart, are not held by it. A guest's cart is a guest's
// checkout whoever completes it: a signed-in customer holding guest carts'
// ids is held by the address's allowance too (its orders are guests',
// which no account's MAX_PENDING_* caps count), or it placed them without
// bound; an admin is exempt, as from every limit on orders.
func TestGuestCheckoutsPerAddress(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		sh := newShop(t, s)
		sh.svc = checkout.New(checkout.Options{Store: s, Currency: "usd", Limits: models.OrderLimits{MaxLineQuantity: 100, MaxPendingOrders: 1},
			GuestLimiter: ratelimit.Local(ratelimit.Allowance{Name: "guest-checkout-ip", Limit: 2, Window: time.Minute, Key: ratelimit.ByIP})})
		p := mustProduct(t, s, 1000, 100)
		from := func(ip string) context.Context { return clientip.With(context.Background(), ip) }
		// complete makes a cart of owner's and has c complete it.
		complete := func(ctx context.Context, owner, c models.Caller, email string) error {
			v := sh.ready(t, owner, email, models.CartLineInput{VariantID: p.ID, Quantity: 1})
			_, err := sh.svc.Complete(ctx, c, v.Cart.ID, "", "")
			return err
		}
		limited := func(what string, err error) {
			t.Helper()
			var me *models.Error
			if code(err) != errcode.RateLimited || !asError(err, &me) || me.Details["retryAfter"] == nil {
				t.Fatalf("%s: %v, want RATE_LIMITED with retryAfter", what, err)
			}
		}
		for i := range 2 {
			if err := complete(from("203.0.113.7"), guest, guest, "g@shop.test"); err != nil {
				t.Fatalf("guest checkout %d: %v", i, err)
			}
		}
		limited("third guest checkout from one address", complete(from("203.0.113.7"), guest, guest, "g@shop.test"))
		if err := complete(from("198.51.100.9"), guest, guest, "h@shop.test"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		if err := complete(from("203.0.113.7"), alice, alice, ""); err != nil {
			t.Fatalf("a customer's own cart from the limited address: %v", err)
		}
		limited("a customer completing a guest's cart from the limited address", complete(from("203.0.113.7"), guest, alice, "g@shop.test"))
		// bob, with his one unpaid order allowed, places no more through
		// guests' carts than the address's allowance.
		if err := complete(from("192.0.2.1"), bob, bob, ""); err != nil {
			t.Fatalf("bob's own cart: %v", err)
		}
		for i := range 2 {
			if err := complete(from("192.0.2.1"), guest, bob, "b@shop.test"); err != nil {
				t.Fatalf("bob completing guest cart %d: %v", i, err)
			}
		}
		limited("bob's third guest cart", complete(from("192.0.2.1"), guest, bob, "b@shop.test"))
		if err := complete(from("203.0.113.7"), guest, admin, "g@shop.test"); err != nil {
			t.Fatalf("an admin completing a guest's cart from the limited address: %v", err)
		}
		if left, _ := s.ProductByID(context.Background(), p.ID); left.StockCount != 100-8 {
			t.Fatalf("stock %d, want %d: a refused checkout took stock, or one allowed did not", left.StockCount, 100-8)
		}
	})
}

// The checkout's write path on PostgreSQL is two round trips, as an
// order's (store's TestOrderWritePathOnPostgreSQL): BEGIN, the cart under
// its lock, its lines, the products' lock, their variants, the tax rates
// and the code in one batch (with the customer's advisory lock and unpaid
// orders when capped); the stock, one INSERT of every row, the cart
// closed, the code's use counted and judged (and this customer's uses
// read, under a per-customer limit) and COMMIT in the other. Before it,
// the shop's categories, zones and rates: three more. Through GORM it was
// 15 round trips in the transaction.
func TestCheckoutWritePathOnPostgreSQL(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	sh := newShop(t, s)
	a, b := mustProduct(t, s, 1000, 10), mustProduct(t, s, 250, 10)
	lines := []models.CartLineInput{{VariantID: a.ID, Quantity: 1}, {VariantID: b.ID, Quantity: 2}}
	limit, once := 10, 1
	sh.code(t, "TEN", 10_000, &limit)
	perCustomer, err := s.CreateDiscountCode(ctx, models.DiscountCode{Code: "ONCE", CodeKey: "ONCE", Kind: models.DiscountPercentage,
		Percent: 5_000, UsageLimitPerCustomer: &once, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	capped := models.OrderLimits{MaxLineQuantity: 100, MaxPendingOrders: 5, MaxPendingUnits: 50}
	for _, tc := range []struct {
		name       string
		caller     models.Caller
		email      string
		code       string
		limits     models.OrderLimits
		statements uint64
	}{
		{"guest, no code", guest, "g1@shop.test", "", models.OrderLimits{MaxLineQuantity: 100}, 7 + 4},
		{"guest, a code", guest, "g2@shop.test", "ten", models.OrderLimits{MaxLineQuantity: 100}, 7 + 6},
		{"customer capped, a per-customer code", alice, "", "once", capped, 9 + 7},
	} {
		v := sh.ready(t, tc.caller, tc.email, lines...)
		if tc.code != "" {
			if _, err := sh.svc.ApplyDiscountCode(ctx, tc.caller, v.Cart.ID, tc.code); err != nil {
				t.Fatal(err)
			}
		}
		req := models.CheckoutRequest{CartID: v.Cart.ID, IdempotencyKey: "k-" + v.Cart.ID, Caller: tc.caller, Limits: tc.limits}
		n, trips := s.Statements(), s.RoundTrips()
		o, err := s.CompleteCart(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := s.Statements() - n; got != 3+tc.statements {
			t.Errorf("%s: %d statements, want %d (3 before the transaction)", tc.name, got, 3+tc.statements)
		}
		if got := s.RoundTrips() - trips; got != 3+2 {
			t.Errorf("%s: %d round trips, want 5 (3 before the transaction)", tc.name, got)
		}
		if tc.code != "" && (o.Checkout == nil || o.Checkout.DiscountCodeID == "") {
			t.Errorf("%s: the order carries no code: %+v", tc.name, o.Checkout)
		}
		// A retry under the key returns the order: the first batch, then
		// the order read.
		again, err := s.CompleteCart(ctx, req)
		if err != nil || again.ID != o.ID || again.TotalAmount != o.TotalAmount {
			t.Fatalf("%s: replay = %+v, %v; want order %s", tc.name, again, err, o.ID)
		}
		req.IdempotencyKey = "other"
		if _, err := s.CompleteCart(ctx, req); code(err) != errcode.CartClosed {
			t.Fatalf("%s: another key: %v, want CART_CLOSED", tc.name, err)
		}
	}
	if c, _ := s.DiscountCodeByID(ctx, perCustomer.ID); c.UsageCount != 1 {
		t.Fatalf("ONCE used %d times, want 1", c.UsageCount)
	}
	if left, _ := s.ProductByID(ctx, b.ID); left.StockCount != 10-3*2 {
		t.Fatalf("stock of b %d, want 4", left.StockCount)
	}
}

// TestCodeLimitsHammerAcrossProducts: ten carts, each of a product of
// its own so no product's lock puts them in line (TestCodeUsageLimitHammer's
// carts share one product, whose lock makes them read the code one after
// the other), completed at once on PostgreSQL with a code: usable once per
// customer, the carts one guest's email; usable 3 times, the carts
// different guests'. Exactly as many orders as the limit carry it (the
// limits judged again under the code's row lock, in the commit's batch),
// the rest are DISCOUNT_CODE_EXHAUSTED and take no stock.
func TestCodeLimitsHammerAcrossProducts(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 20, MaxIdleConns: 20})
	ctx := context.Background()
	sh := newShop(t, s)
	once, three := 1, 3
	for _, tc := range []struct {
		code      models.DiscountCode
		sameEmail bool
		want      int
	}{
		{models.DiscountCode{Code: "ONCE", UsageLimitPerCustomer: &once}, true, 1},
		{models.DiscountCode{Code: "THREE", UsageLimit: &three}, false, 3},
	} {
		c := tc.code
		c.CodeKey, c.Kind, c.Percent, c.Active = c.Code, models.DiscountPercentage, 5_000, true
		d, err := s.CreateDiscountCode(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		const carts = 10
		ids := make([]string, carts)
		products := make([]string, carts)
		for i := range ids {
			p := mustProduct(t, s, 1000, 10)
			email := fmt.Sprintf("%s-%d@shop.test", c.Code, i)
			if tc.sameEmail {
				email = "same@shop.test"
			}
			v := sh.ready(t, guest, email, models.CartLineInput{VariantID: p.ID, Quantity: 1})
			if _, err := sh.svc.ApplyDiscountCode(ctx, guest, v.Cart.ID, c.Code); err != nil {
				t.Fatal(err)
			}
			ids[i], products[i] = v.Cart.ID, p.ID
		}
		var made, exhausted atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := sh.svc.Complete(ctx, guest, id, "", "")
				switch code(err) {
				case "":
					made.Add(1)
				case errcode.DiscountCodeExhausted:
					exhausted.Add(1)
				default:
					t.Errorf("%s: checkout: %v", c.Code, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if made.Load() != int64(tc.want) || exhausted.Load() != carts-int64(tc.want) {
			t.Fatalf("%s: %d orders, %d exhausted; want %d and %d", c.Code, made.Load(), exhausted.Load(), tc.want, carts-tc.want)
		}
		if got, _ := s.DiscountCodeByID(ctx, d.ID); got.UsageCount != tc.want {
			t.Fatalf("%s: usage count %d, want %d", c.Code, got.UsageCount, tc.want)
		}
		stock := 0
		for _, id := range products {
			p, _ := s.ProductByID(ctx, id)
			stock += p.StockCount
		}
		if stock != 10*carts-tc.want {
			t.Fatalf("%s: stock left %d, want %d", c.Code, stock, 10*carts-tc.want)
		}
	}
}

// TestCheckoutOddCodeAndEmail: a cart whose code and email carry a
// Unicode space (written to the database directly: the API trims them) is
// checked out by the keys Go makes of them (models.CodeKey,
// models.CustomerKey), which trim it: on PostgreSQL the first round
// trip's SQL spelling of the keys keeps it, and the code and this
// customer's uses are read again by Go's keys. The first checkout takes
// the code, the second under the same email is refused, on both backends.
func TestCheckoutOddCodeAndEmail(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sh := newShop(t, s)
		p := mustProduct(t, s, 1000, 10)
		once := 1
		if _, err := s.CreateDiscountCode(ctx, models.DiscountCode{Code: "ONCE", CodeKey: "ONCE", Kind: models.DiscountPercentage,
			Percent: 5_000, UsageLimitPerCustomer: &once, Active: true}); err != nil {
			t.Fatal(err)
		}
		db, err := s.DB()
		if err != nil {
			t.Fatal(err)
		}
		set := "UPDATE carts SET discount_code = ?, email = ? WHERE cart_id = ?"
		if s.Kind() == "PostgreSQL" {
			set = "UPDATE carts SET discount_code = $1, email = $2 WHERE cart_id = $3"
		}
		// Both carts take the code before either is completed.
		var carts []string
		for range 2 {
			v := sh.ready(t, guest, "asa@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
			if _, err := db.Exec(set, "once\u00a0", "\u00a0ASA@shop.test", v.Cart.ID); err != nil {
				t.Fatal(err)
			}
			carts = append(carts, v.Cart.ID)
		}
		for i, want := range []errcode.Code{"", errcode.DiscountCodeExhausted} {
			o, err := sh.svc.Complete(ctx, guest, carts[i], "", "")
			if code(err) != want {
				t.Fatalf("checkout %d: %v, want %q", i, err, want)
			}
			if err == nil && (o.Checkout == nil || o.Checkout.DiscountCodeID == "") {
				t.Fatalf("checkout %d: no code on the order", i)
			}
		}
	})
}

// TestCodeChangedMidCheckout: an admin deactivates a code, lowers its
// usage limit to the uses it has, or gives it a per-customer limit this
// customer has reached, while a checkout that read it as it
// was is between its two batches on PostgreSQL (the admin's change holds
// the code's row, so the checkout's count of its use waits for it). The
// change commits first, so the checkout, which counts its use after it,
// is refused as one begun after it would be (DISCOUNT_CODE_INVALID,
// DISCOUNT_CODE_EXHAUSTED), takes no stock and counts no use. On SQLite,
// where writes run one at a time, the checkout after the change is
// refused the same way.
func TestCodeChangedMidCheckout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, change string
		want         errcode.Code
	}{
		{"deactivated", "UPDATE discount_codes SET active = false WHERE discount_code_id = $1", errcode.DiscountCodeInvalid},
		{"limit lowered", "UPDATE discount_codes SET usage_limit = usage_count WHERE discount_code_id = $1", errcode.DiscountCodeExhausted},
		{"per-customer limit set", "UPDATE discount_codes SET usage_limit_per_customer = 1 WHERE discount_code_id = $1", errcode.DiscountCodeExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Backends(t, func(t *testing.T, s *store.Store) {
				checkCodeChangedMidCheckout(t, s, tc.change, tc.want)
			})
		})
	}
}

func checkCodeChangedMidCheckout(t *testing.T, s *store.Store, change string, want errcode.Code) {
	ctx := context.Background()
	sh := newShop(t, s)
	p := mustProduct(t, s, 1000, 10)
	limit := 100
	d := sh.code(t, "LEAKED", 100_000, &limit)
	// This customer has used the code once already.
	first := sh.ready(t, guest, "g@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
	if _, err := sh.svc.ApplyDiscountCode(ctx, guest, first.Cart.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.svc.Complete(ctx, guest, first.Cart.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	v := sh.ready(t, guest, "G@shop.test", models.CartLineInput{VariantID: p.ID, Quantity: 1})
	if _, err := sh.svc.ApplyDiscountCode(ctx, guest, v.Cart.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	var got error
	if s.Kind() != "PostgreSQL" {
		if _, err := db.Exec(strings.ReplaceAll(change, "$1", "?"), d.ID); err != nil {
			t.Fatal(err)
		}
		_, got = sh.svc.Complete(ctx, guest, v.Cart.ID, "", "")
	} else {
		admin, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Rollback()
		if _, err := admin.Exec(change, d.ID); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := sh.svc.Complete(ctx, guest, v.Cart.ID, "", "")
			done <- err
		}()
		// Until the checkout waits on the code's row (its second batch:
		// the first only reads it).
		for waiting := 0; waiting == 0; {
			select {
			case err := <-done:
				t.Fatalf("the checkout ended without waiting on the code's row: %v", err)
			default:
			}
			if err := db.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
				t.Fatal(err)
			}
		}
		if err := admin.Commit(); err != nil {
			t.Fatal(err)
		}
		got = <-done
	}
	if code(got) != want {
		t.Fatalf("checkout with the code changed before its use was counted: %v, want %s", got, want)
	}
	if c, _ := s.DiscountCodeByID(ctx, d.ID); c.UsageCount != 1 {
		t.Fatalf("usage count %d, want 1 (the first checkout's)", c.UsageCount)
	}
	if left, _ := s.ProductByID(ctx, p.ID); left.StockCount != 9 {
		t.Fatalf("stock %d, want 9", left.StockCount)
	}
}
