package models

import (
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestWhoMayPay(t *testing.T) {
	t.Parallel()
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	owner := Caller{UserID: "a", Role: RoleCustomer}
	other := Caller{UserID: "b", Role: RoleCustomer}
	for _, tt := range []struct {
		c      Caller
		status string
		want   Code
	}{
		{Caller{}, OrderStatusPending, errcode.Unauthenticated},
		{owner, OrderStatusPending, ""},
		{admin, OrderStatusPending, ""},
		{other, OrderStatusPending, errcode.NotFound}, // as if missing
		{other, OrderStatusPaid, errcode.NotFound},
		{owner, OrderStatusPaid, errcode.InvalidTransition},
		{admin, OrderStatusCancelled, errcode.InvalidTransition},
		{owner, OrderStatusShipped, errcode.InvalidTransition},
	} {
		err := CanPay(tt.c, Order{ID: "o", CustomerID: "a", Status: tt.status})
		if ErrorCode(err) != tt.want {
			t.Errorf("%+v pays a %s order: %v, want %q", tt.c, tt.status, err, tt.want)
		}
	}
}

func TestPaymentStatuses(t *testing.T) {
	t.Parallel()
	open := map[string]bool{PaymentRequiresPaymentMethod: true, PaymentRequiresConfirmation: true, PaymentRequiresAction: true,
		PaymentProcessing: true, PaymentRequiresCapture: true}
	inProgress := map[string]bool{PaymentRequiresAction: true, PaymentProcessing: true, PaymentRequiresCapture: true}
	for _, s := range []string{PaymentRequiresPaymentMethod, PaymentRequiresConfirmation, PaymentRequiresAction, PaymentProcessing,
		PaymentRequiresCapture, PaymentSucceeded, PaymentCanceled, PaymentRefunding, PaymentRefunded} {
		if PaymentOpen(s) != open[s] {
			t.Errorf("PaymentOpen(%s) = %v", s, PaymentOpen(s))
		}
		if PaymentInProgress(s) != inProgress[s] {
			t.Errorf("PaymentInProgress(%s) = %v", s, PaymentInProgress(s))
		}
	}
	if len(PaymentInProgressStatuses) != len(inProgress) {
		t.Errorf("PaymentInProgressStatuses = %v", PaymentInProgressStatuses)
	}
}

func TestPaymentIDsAndKeysComeFromTheOrderAndAttempt(t *testing.T) {
	t.Parallel()
	const order = "7d3c1a52-0b1e-4f0a-9a55-0b3b7c6c2d10"
	a1, a1again, a2 := PaymentIDFor(order, 1), PaymentIDFor(order, 1), PaymentIDFor(order, 2)
	if a1 != a1again || a1 == a2 || ValidateID("paymentId", a1) != nil {
		t.Fatalf("ids %s %s %s: want the same id for the same attempt, a canonical UUID", a1, a1again, a2)
	}
	if PaymentIdempotencyKey(order, 1) == PaymentIdempotencyKey(order, 2) || !strings.Contains(PaymentIdempotencyKey(order, 2), order) {
		t.Fatalf("keys %q %q", PaymentIdempotencyKey(order, 1), PaymentIdempotencyKey(order, 2))
	}
	if RefundIdempotencyKey(a1) == RefundIdempotencyKey(a2) {
		t.Fatal("two payments share a refund key")
	}
	if n := NextAttempt(nil); n != 1 {
		t.Errorf("first attempt %d", n)
	}
	if n := NextAttempt([]Payment{{Attempt: 1}, {Attempt: 3}, {Attempt: 2}}); n != 4 {
		t.Errorf("next attempt %d, want 4", n)
	}
}

func TestParseCurrency(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"usd": "usd", "EUR": "eur", " gbp ": "gbp", "Chf": "chf"} {
		if got, err := ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "us", "usdd", "u$d", "jpy", "KRW", "kwd", "ünd"} {
		if got, err := ParseCurrency(bad); err == nil {
			t.Errorf("ParseCurrency(%q) = %q, want an error", bad, got)
		}
	}
}

func TestDecidePaymentEvent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	order := func(status string) Order { return Order{ID: "o1", TotalAmount: 1250, Status: status} }
	pay := func(status string) Payment {
		return Payment{ID: "p1", OrderID: "o1", Attempt: 1, Provider: "stripe", ProviderID: "pi_1", Status: status, Amount: 1250, Currency: "usd"}
	}
	event := func(typ string, amount int64, cur string) PaymentEvent {
		return PaymentEvent{Type: typ, ProviderPaymentID: "pi_1", Amount: amount, Currency: cur, FailureMessage: "Your card was declined."}
	}
	for _, tt := range []struct {
		name       string
		o          Order
		p          Payment
		latest     int // the order's latest attempt; 0 for p's
		e          PaymentEvent
		wantStatus string // the payment's, after
		moveTo     string
		note       string // a part of the note; "" for none
		mismatch   bool
		refund     bool
	}{
		{"succeeded: paid", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentSucceeded, 1250, "usd"),
			PaymentSucceeded, OrderStatusPaid, "Paid 12.50 USD through stripe (pi_1), payment p1.", false, false},
		{"succeeded in capitals", order("pending"), pay(PaymentProcessing), 0, event(EventPaymentSucceeded, 1250, "USD"),
			PaymentSucceeded, OrderStatusPaid, "Paid", false, false},
		{"a cent short", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentSucceeded, 1249, "usd"),
			PaymentRequiresPaymentMethod, "", "not accepted: the provider took 12.49 USD, but order o1 costs 12.50 USD", true, false},
		{"another currency", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentSucceeded, 1250, "eur"),
			PaymentRequiresPaymentMethod, "", "took 12.50 EUR", true, false},
		{"succeeded after the order was cancelled", order("cancelled"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentSucceeded, 1250, "usd"),
			PaymentRefunding, "", "arrived for an order that is cancelled: refunding it", false, true},
		{"succeeded for an order paid otherwise", order("paid"), pay(PaymentProcessing), 0, event(EventPaymentSucceeded, 1250, "usd"),
			PaymentRefunding, "", "arrived for an order that is paid", false, true},
		{"succeeded for an attempt superseded by another", order("pending"), pay(PaymentCanceled), 2, event(EventPaymentSucceeded, 1250, "usd"),
			PaymentRefunding, "", "arrived for attempt 1, which the order no longer waits for (its payment is attempt 2): refunding it", false, true},
		{"succeeded again", order("paid"), pay(PaymentSucceeded), 0, event(EventPaymentSucceeded, 1250, "usd"),
			PaymentSucceeded, "", "", false, false},
		{"failed", order("pending"), pay(PaymentProcessing), 0, event(EventPaymentFailed, 1250, "usd"),
			PaymentRequiresPaymentMethod, "", "Payment p1 failed: Your card was declined.", false, false},
		{"failed after it succeeded", order("paid"), pay(PaymentSucceeded), 0, event(EventPaymentFailed, 1250, "usd"),
			PaymentSucceeded, "", "", false, false},
		{"processing", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentProcessing, 1250, "usd"),
			PaymentProcessing, "", "", false, false},
		{"processing after it succeeded", order("paid"), pay(PaymentSucceeded), 0, event(EventPaymentProcessing, 1250, "usd"),
			PaymentSucceeded, "", "", false, false},
		{"requires_action", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentRequiresAction, 1250, "usd"),
			PaymentRequiresAction, "", "", false, false},
		{"canceled", order("pending"), pay(PaymentRequiresPaymentMethod), 0, event(EventPaymentCanceled, 1250, "usd"),
			PaymentCanceled, "", "", false, false},
		{"canceled while refunded", order("cancelled"), pay(PaymentRefunded), 0, event(EventPaymentCanceled, 1250, "usd"),
			PaymentRefunded, "", "", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			latest := tt.latest
			if latest == 0 {
				latest = tt.p.Attempt
			}
			d := DecidePaymentEvent(tt.o, tt.p, latest, tt.e, now)
			if d.Payment.Status != tt.wantStatus || d.MoveTo != tt.moveTo || d.Mismatch != tt.mismatch || d.Refund != tt.refund {
				t.Fatalf("decision %+v", d)
			}
			if (tt.note == "") != (d.Note == "") || !strings.Contains(d.Note, tt.note) {
				t.Fatalf("note %q, want one with %q", d.Note, tt.note)
			}
			if tt.wantStatus == PaymentSucceeded && tt.p.Status != PaymentSucceeded && (d.Payment.PaidAt == nil || !d.Payment.PaidAt.Equal(now)) {
				t.Fatalf("paidAt %v", d.Payment.PaidAt)
			}
			if tt.mismatch && (d.Payment.PaidAt != nil || d.Payment.LastError == "") {
				t.Fatalf("a mismatch is recorded as %+v", d.Payment)
			}
			if d.Changed(tt.p) != (d.Payment != tt.p || d.Note != "" || d.MoveTo != "") {
				t.Fatal("Changed disagrees with the decision")
			}
		})
	}
}

func TestPaymentAllows(t *testing.T) {
	t.Parallel()
	p := func(status string) *Payment { return &Payment{ID: "p1", Status: status} }
	refund := &RefundRecord{PaymentID: "p1", RefundID: "re_1"}
	for _, tt := range []struct {
		name     string
		to       string
		refund   *RefundRecord
		p        *Payment
		wantCode Code // "" allowed
	}{
		{"no payment: cancel", OrderStatusCancelled, nil, nil, ""},
		{"no payment: ship", OrderStatusShipped, nil, nil, ""},
		{"open payment: cancel", OrderStatusCancelled, nil, p(PaymentRequiresPaymentMethod), ""},
		{"succeeded: ship", OrderStatusShipped, nil, p(PaymentSucceeded), ""},
		{"succeeded: cancel without the refund", OrderStatusCancelled, nil, p(PaymentSucceeded), errcode.Conflict},
		{"refunding: cancel with the refund", OrderStatusCancelled, refund, p(PaymentRefunding), ""},
		{"refunding: cancel without it", OrderStatusCancelled, nil, p(PaymentRefunding), errcode.Conflict},
		{"refunding: ship", OrderStatusShipped, nil, p(PaymentRefunding), errcode.Conflict},
		{"refunded: cancel", OrderStatusCancelled, nil, p(PaymentRefunded), ""},
		{"a refund of nothing", OrderStatusCancelled, refund, nil, errcode.InternalServerError},
		{"a refund of a payment a concurrent attempt said had failed", OrderStatusCancelled, refund, p(PaymentSucceeded), ""},
		{"a refund of a payment refunded already", OrderStatusCancelled, refund, p(PaymentRefunded), errcode.InternalServerError},
		{"a refund of a payment never paid", OrderStatusCancelled, refund, p(PaymentRequiresPaymentMethod), errcode.InternalServerError},
		{"a refund of another payment", OrderStatusCancelled, &RefundRecord{PaymentID: "p2"}, p(PaymentRefunding), errcode.InternalServerError},
	} {
		err := PaymentAllows(StatusChange{To: tt.to, Refund: tt.refund}, tt.p)
		if ErrorCode(err) != tt.wantCode {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantCode)
		}
	}
	if err := PaymentAllows(StatusChange{To: OrderStatusCancelled}, p(PaymentSucceeded)); err != ErrRefundFirst {
		t.Errorf("a paid order cancelled without its refund: %v, want ErrRefundFirst", err)
	}
}

func TestRefundNotesFit(t *testing.T) {
	t.Parallel()
	p := Payment{ID: "p1", Provider: "stripe", RefundID: "re_1", Amount: 1250, Currency: "usd"}
	if got := WithRefundNote("", p); got != "Refunded 12.50 USD through stripe (re_1), payment p1." {
		t.Errorf("note %q", got)
	}
	if got := WithRefundNote("changed my mind", p); got != "changed my mind — Refunded 12.50 USD through stripe (re_1), payment p1." {
		t.Errorf("note %q", got)
	}
	long := strings.Repeat("x", MaxNoteSize)
	if got := WithRefundNote(long, p); len([]rune(got)) > MaxNoteSize || !strings.HasSuffix(got, RefundedNote(p)) {
		t.Errorf("a long reason makes a note of %d characters: %q", len([]rune(got)), got)
	}
	if got := RefundFailedNote("p1", strings.Repeat("y", 1000), "paid"); len([]rune(got)) > MaxNoteSize {
		t.Errorf("failure note of %d characters", len([]rune(got)))
	}
}

func TestParseLocalOutcome(t *testing.T) {
	t.Parallel()
	id := "7d3c1a52-0b1e-4f0a-9a55-0b3b7c6c2d10"
	for outcome, want := range map[string]string{"succeeded": EventPaymentSucceeded, "failed": EventPaymentFailed,
		"processing": EventPaymentProcessing, "requires_action": EventPaymentRequiresAction, "canceled": EventPaymentCanceled} {
		if got, err := ParseLocalOutcome(id, outcome); err != nil || got != want {
			t.Errorf("%s: %q, %v", outcome, got, err)
		}
	}
	_, err := ParseLocalOutcome("nope", "paid")
	var e *Error
	if ErrorCode(err) != errcode.BadUserInput || !asError(err, &e) || len(e.Fields) != 2 {
		t.Fatalf("bad id and outcome: %v, want both fields reported", err)
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func TestLateRefundOwed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		order, payment  string
		attempt, latest int
		want            bool
	}{
		{OrderStatusCancelled, PaymentSucceeded, 1, 1, true},              // a late payment whose refund failed
		{OrderStatusCancelled, PaymentRefunding, 1, 1, true},              // one whose refund was interrupted
		{OrderStatusPending, PaymentSucceeded, 1, 2, true},                // an earlier attempt's, refund failed
		{OrderStatusPending, PaymentRefunding, 1, 2, true},                // an earlier attempt's, interrupted
		{OrderStatusPaid, PaymentRefunding, 1, 2, true},                   // an earlier attempt's, the order paid by the latest
		{OrderStatusPaid, PaymentSucceeded, 1, 1, false},                  // the payment of a paid order
		{OrderStatusPaid, PaymentRefunding, 1, 1, false},                  // a cancellation's refund, left to it
		{OrderStatusShipped, PaymentSucceeded, 1, 1, false},               // the payment of a shipped order
		{OrderStatusCancelled, PaymentRefunded, 1, 1, false},              // refunded already
		{OrderStatusCancelled, PaymentRequiresPaymentMethod, 1, 1, false}, // never paid
	} {
		got := LateRefundOwed(Order{Status: tt.order}, Payment{Status: tt.payment, Attempt: tt.attempt}, tt.latest)
		if got != tt.want {
			t.Errorf("%s order, %s payment, attempt %d of %d: %v, want %v", tt.order, tt.payment, tt.attempt, tt.latest, got, tt.want)
		}
	}
}
