package models

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestCartIDs(t *testing.T) {
	t.Parallel()
	a, b := NewCartID(), NewCartID()
	if len(a) != 32 || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
	if id, err := ParseCartID(" " + a + " "); err != nil || id != a {
		t.Fatalf("ParseCartID(%q) = %q, %v", a, id, err)
	}
	for _, bad := range []string{"", "x", a[:31], a + "0", "0123456789ABCDEF0123456789abcdef", "../../../../etc/passwd0000000000"} {
		if _, err := ParseCartID(bad); ErrorCode(err) != errcode.CartNotFound {
			t.Errorf("ParseCartID(%q): %v, want CART_NOT_FOUND", bad, err)
		}
	}
}

// TestCanPayWithCart: a guest's order is paid by whoever holds its cart's
// id, signed in or not; a wrong id is NOT_FOUND for a guest, and for a
// signed-in caller the order's own rules (CanPay) decide.
func TestCanPayWithCart(t *testing.T) {
	t.Parallel()
	cart, other := NewCartID(), NewCartID()
	guestOrder := Order{ID: "o", CustomerID: GuestCustomerID(cart), Status: OrderStatusPending}
	owned := Order{ID: "p", CustomerID: "alice", Status: OrderStatusPending}
	alice := Caller{UserID: "alice", Role: RoleCustomer}
	for _, tt := range []struct {
		name   string
		c      Caller
		cartID string
		o      Order
		want   errcode.Code
	}{
		{"guest with the cart id", Caller{}, cart, guestOrder, ""},
		{"customer with the cart id", alice, cart, guestOrder, ""},
		{"guest with another cart's id", Caller{}, other, guestOrder, errcode.NotFound},
		{"guest with a malformed id", Caller{}, "nope", guestOrder, errcode.NotFound},
		{"guest without an id", Caller{}, "", guestOrder, errcode.Unauthenticated},
		{"customer with another id, own order", alice, other, owned, ""},
		{"customer, someone's guest order", alice, "", guestOrder, errcode.NotFound},
		{"paid already", Caller{}, cart, Order{ID: "o", CustomerID: GuestCustomerID(cart), Status: OrderStatusPaid}, errcode.InvalidTransition},
	} {
		if got := ErrorCode(CanPayWithCart(tt.c, tt.cartID, tt.o)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if GuestCustomerID(cart) == GuestCustomerID(other) || len(GuestCustomerID(cart)) != len(GuestCustomerPrefix)+32 {
		t.Fatalf("guest ids %q %q", GuestCustomerID(cart), GuestCustomerID(other))
	}
}

// TestMergeCart: quantities added up to the line limit, lines appended,
// what the customer's cart lacks taken, the guest's cart closed.
func TestMergeCart(t *testing.T) {
	t.Parallel()
	ids := 0
	newID := func() string { ids++; return "new-" + string(rune('a'+ids)) }
	own := &Cart{ID: "own", CustomerID: ptr("alice"), Status: CartOpen, Lines: []CartLine{{ID: "l1", VariantID: "v1", Quantity: 90}}}
	guest := &Cart{ID: "g", Status: CartOpen, Email: "g@shop.test", Lines: []CartLine{{ID: "g1", VariantID: "v1", Quantity: 20}, {ID: "g2", VariantID: "v2", Quantity: 1}}}
	kept, err := MergeCart(guest, own, "alice", OrderLimits{MaxLineQuantity: 100}, time.Unix(0, 0), newID)
	if err != nil || kept != own {
		t.Fatalf("merge: %v", err)
	}
	if len(own.Lines) != 2 || own.Lines[0].Quantity != 100 || own.Lines[1].VariantID != "v2" || own.Lines[1].CartID != "own" || own.Email != "g@shop.test" {
		t.Fatalf("own after merge %+v", own)
	}
	if guest.Status != CartClosed {
		t.Fatalf("guest cart %q", guest.Status)
	}
	if _, err := MergeCart(guest, own, "alice", OrderLimits{}, time.Unix(0, 0), newID); ErrorCode(err) != errcode.CartClosed {
		t.Fatalf("merge a closed cart: %v", err)
	}
	bobs := &Cart{ID: "b", CustomerID: ptr("bob"), Status: CartOpen}
	if _, err := MergeCart(bobs, own, "alice", OrderLimits{}, time.Unix(0, 0), newID); ErrorCode(err) != errcode.CartNotFound {
		t.Fatalf("merge bob's cart: %v", err)
	}
}

// TestGuestCheckout: a guest's open cart is a guest's checkout whoever
// completes it (held to RATE_LIMIT_GUEST_CHECKOUT), admins excepted; a
// customer's cart, or a closed one, is not.
func TestGuestCheckout(t *testing.T) {
	t.Parallel()
	alice := "alice"
	open, closed, owned := Cart{Status: CartOpen}, Cart{Status: CartClosed}, Cart{Status: CartOpen, CustomerID: &alice}
	anon, customer, admin := Caller{}, Caller{UserID: "bob", Role: RoleCustomer}, Caller{UserID: "root", Role: RoleAdmin}
	for _, tt := range []struct {
		name string
		c    Caller
		cart Cart
		want bool
	}{
		{"anonymous, a guest's cart", anon, open, true},
		{"signed in, a guest's cart", customer, open, true},
		{"admin, a guest's cart", admin, open, false},
		{"a guest's closed cart", customer, closed, false},
		{"a customer's cart", Caller{UserID: alice, Role: RoleCustomer}, owned, false},
	} {
		if got := GuestCheckout(tt.c, tt.cart); got != tt.want {
			t.Errorf("%s: GuestCheckout = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPlaceCheckoutTotalCap: a checkout's total, tax and shipping
// included, is held to the cap on an order's total (2^53 cents, so the
// Float shown for it is exact), as createOrder's subtotal is. The lines'
// subtotal alone was checked: 90 lines of 10,000 units at MaxPrice
// (8,999,999,999,100,000 cents, under the cap) with 8.25% tax made an
// order of 9,742,499,999,025,750 cents, past it.
func TestPlaceCheckoutTotalCap(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	addr := Address{Name: "Ann", Line1: "1 Main St", City: "San Francisco", PostalCode: "94107", Region: "CA", Country: "US"}
	zones := []ShippingZone{{ID: "z", Countries: []string{"US"}, Rates: []ShippingRate{{ID: "ground", Kind: RateFlat, Price: 500}}}}
	taxed := []TaxRate{{ID: "t", Country: "US", Region: "CA", Name: "CA", Rate: 8250}}
	place := func(lines, quantity int, price Money, rates []TaxRate) error {
		cart := Cart{ID: NewCartID(), Email: "ann@shop.test", ShippingAddress: &addr, ShippingMethodID: "ground", Status: CartOpen}
		stock := map[string]ProductStock{}
		for i := range lines {
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			cart.Lines = append(cart.Lines, CartLine{ID: id, VariantID: id, Quantity: quantity, PriceSeen: price, Position: i})
			stock[id] = ProductStock{Product: Product{ID: id, Active: true, Price: price, StockCount: quantity},
				Variants: []ProductVariant{{ID: id, ProductID: id, Price: price, StockCount: quantity}}}
		}
		n := 0
		_, err := PlaceCheckout(CheckoutInput{Stock: stock, Caller: Caller{},
			Pricing: CartPricing{Cart: cart, Zones: zones, TaxRates: rates, Now: now}}, "", func() string {
			n++
			return fmt.Sprintf("10000000-0000-4000-8000-%012d", n)
		})
		return err
	}
	if err := place(90, MaxLineQuantity, MaxPrice, nil); err != nil {
		t.Fatalf("a subtotal under the cap, shipping within it: %v", err)
	}
	err := place(90, MaxLineQuantity, MaxPrice, taxed)
	if ErrorCode(err) != errcode.BadUserInput || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("a subtotal under the cap, tax past it: %v, want BAD_USER_INPUT (too large)", err)
	}
}

// TestSelectableMethodQuotesTheID: an id the client sent is quoted in the
// message, so a control character in it reaches no log or screen raw.
func TestSelectableMethodQuotesTheID(t *testing.T) {
	priced := Priced{Methods: []ShippingMethod{{ID: "m1", Name: "Ground", Price: 500}}}
	err := SelectableMethod("x\x00y", priced)
	if ErrorCode(err) != errcode.NoShippingMethod || strings.ContainsRune(err.Error(), 0) || !strings.Contains(err.Error(), `"x\x00y"`) {
		t.Fatalf("got %v", err)
	}
	if err := SelectableMethod("m1", priced); err != nil {
		t.Fatalf("an offered method: %v", err)
	}
}
