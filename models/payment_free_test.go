package models

import (
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestSettleNothingToPay(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		status  string
		total   Money
		attempt int
		code    Code // "" when settled; INTERNAL_SERVER_ERROR for a plain error
	}{
		{"a pending order of 0.00 is paid", OrderStatusPending, 0, 1, ""},
		{"after a canceled attempt, the next one", OrderStatusPending, 0, 3, ""},
		{"an order that costs a cent goes through a provider", OrderStatusPending, 1, 1, errcode.InternalServerError},
		{"a paid order is not paid again", OrderStatusPaid, 0, 1, errcode.InvalidTransition},
		{"a cancelled order is not paid", OrderStatusCancelled, 0, 1, errcode.InvalidTransition},
		{"a shipped order is not paid", OrderStatusShipped, 0, 1, errcode.InvalidTransition},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := Order{ID: "7d3c1a52-0b1e-4f0a-9a55-0b3b7c6c2d10", CustomerID: "a", Status: tt.status, TotalAmount: tt.total}
			if got := NothingToPay(o); got != (tt.total == 0) {
				t.Errorf("NothingToPay = %v", got)
			}
			d, err := SettleNothingToPay(o, tt.attempt, "usd", now)
			if tt.code != "" {
				if err == nil || ErrorCode(err) != tt.code {
					t.Fatalf("err %v (%s), want %s", err, ErrorCode(err), tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := d.Payment
			id := PaymentIDFor(o.ID, tt.attempt)
			if p.ID != id || p.OrderID != o.ID || p.Attempt != tt.attempt || p.Provider != ProviderNone || p.ProviderID != id ||
				p.Status != PaymentSucceeded || p.Amount != 0 || p.Currency != "usd" || p.PaidAt == nil || !p.PaidAt.Equal(now) ||
				!p.CreatedAt.Equal(now) || !p.UpdatedAt.Equal(now) || p.RefundID != "" || p.RefundedAt != nil {
				t.Errorf("payment %+v", p)
			}
			if d.MoveTo != OrderStatusPaid || d.Refund || d.Mismatch {
				t.Errorf("decision %+v", d)
			}
			if d.Message != "Nothing to pay: the total is 0.00 USD." || !strings.HasPrefix(d.Note, "Nothing to pay: the total is 0.00 USD; paid without a payment provider, payment "+id) {
				t.Errorf("message %q, note %q", d.Message, d.Note)
			}
			paid := o
			paid.Status = OrderStatusPaid
			if !SettledWithNothingToPay(paid, p) || SettledWithNothingToPay(o, p) {
				t.Errorf("SettledWithNothingToPay: paid %v, %s %v", SettledWithNothingToPay(paid, p), o.Status, SettledWithNothingToPay(o, p))
			}
		})
	}
}

func TestNothingToRefundForAPaymentWithoutProvider(t *testing.T) {
	t.Parallel()
	cancel := StatusChange{OrderID: "o", To: OrderStatusCancelled}
	for _, tt := range []struct {
		provider, status string
		owed             bool
		code             Code // what a cancellation without a refund gets
	}{
		{ProviderNone, PaymentSucceeded, false, ""},
		{ProviderStripe, PaymentSucceeded, true, errcode.Conflict},
		{ProviderLocal, PaymentSucceeded, true, errcode.Conflict},
		{ProviderStripe, PaymentRefunding, true, errcode.Conflict},
		{ProviderStripe, PaymentRequiresPaymentMethod, false, ""},
		{ProviderStripe, PaymentRefunded, false, ""},
	} {
		p := Payment{ID: "p", OrderID: "o", Attempt: 1, Provider: tt.provider, Status: tt.status}
		if got := RefundOwed(p); got != tt.owed {
			t.Errorf("RefundOwed(%s %s) = %v, want %v", tt.provider, tt.status, got, tt.owed)
		}
		err := PaymentAllows(cancel, &p)
		if (err == nil) != (tt.code == "") || (err != nil && ErrorCode(err) != tt.code) {
			t.Errorf("cancelling with a %s %s payment: %v, want %q", tt.provider, tt.status, err, tt.code)
		}
		// A payment without a provider is never owed back, even on a
		// cancelled order.
		if tt.provider == ProviderNone && LateRefundOwed(Order{ID: "o", Status: OrderStatusCancelled}, p, 1) {
			t.Errorf("LateRefundOwed for a %s payment", tt.provider)
		}
	}
}

func TestWhoMayPayWhateverTheStatus(t *testing.T) {
	t.Parallel()
	cart := NewCartID()
	guestOrder := Order{ID: "o", CustomerID: GuestCustomerID(cart), Status: OrderStatusPaid}
	owned := Order{ID: "o", CustomerID: "a", Status: OrderStatusPaid}
	for _, tt := range []struct {
		c      Caller
		cartID string
		o      Order
		want   Code
	}{
		{Caller{}, cart, guestOrder, ""},
		{Caller{}, NewCartID(), guestOrder, errcode.NotFound},
		{Caller{}, "", guestOrder, errcode.Unauthenticated},
		{Caller{UserID: "a", Role: RoleCustomer}, "", owned, ""},
		{Caller{UserID: "b", Role: RoleCustomer}, "", owned, errcode.NotFound},
		{Caller{UserID: "adm", Role: RoleAdmin}, "", owned, ""},
	} {
		err := MayPayWithCart(tt.c, tt.cartID, tt.o)
		if (err == nil) != (tt.want == "") || (err != nil && ErrorCode(err) != tt.want) {
			t.Errorf("%+v with cart %q: %v, want %q", tt.c, tt.cartID, err, tt.want)
		}
		// CanPayWithCart adds the status: a paid order is not paid again.
		if err := CanPayWithCart(tt.c, tt.cartID, tt.o); tt.want == "" && ErrorCode(err) != errcode.InvalidTransition {
			t.Errorf("CanPayWithCart %+v on a paid order: %v", tt.c, err)
		}
	}
}
