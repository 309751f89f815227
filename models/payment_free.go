package models

import (
	"fmt"
	"strconv"
	"time"
)

// Orders with nothing to pay. A checkout can total 0.00 (a 100% code with
// free shipping). No provider takes such an amount (Stripe's minimum is
// 0.50 USD), and left pending the order would expire and the shopper lose
// it. So createPayment settles it at once, without a provider: a payment of
// provider "none", succeeded, for 0, and the order paid, with the same
// events as any payment that succeeds.

// ProviderNone is the provider of the payment that settles an order whose
// total is 0: no provider was called and no money moved.
const ProviderNone = "none"

// NothingToPay reports whether order o costs nothing, and is to be settled
// without a provider (SettleNothingToPay) rather than paid through one.
func NothingToPay(o Order) bool { return o.TotalAmount == 0 }

// SettleNothingToPay is the rule for paying pending order o, whose total is
// 0, with attempt (the order's next: NextAttempt), in currency, at now. It
// decides a payment of provider "none" that has succeeded for 0, whose
// provider id is its own id (nothing names it at a provider, and the pair
// must be unique), and moves the order to paid, with an event saying there
// was nothing to pay. An order that is not pending, or that costs
// something, is refused: INVALID_TRANSITION, or a plain error (a bug: the
// caller checks NothingToPay).
func SettleNothingToPay(o Order, attempt int, currency string, now time.Time) (PaymentDecision, error) {
	if err := Transition(o.Status, OrderStatusPaid); err != nil {
		return PaymentDecision{}, err
	}
	if !NothingToPay(o) {
		return PaymentDecision{}, fmt.Errorf("order %s costs %s: it is paid through a provider", o.ID, FormatAmount(o.TotalAmount, currency))
	}
	at := now
	id := PaymentIDFor(o.ID, attempt)
	p := Payment{
		ID: id, OrderID: o.ID, Attempt: attempt, Provider: ProviderNone, ProviderID: id,
		Status: PaymentSucceeded, Amount: 0, Currency: currency, CreatedAt: now, UpdatedAt: now, PaidAt: &at,
	}
	return PaymentDecision{
		Payment: p,
		MoveTo:  OrderStatusPaid,
		Note:    "Nothing to pay: the total is " + FormatAmount(0, currency) + "; paid without a payment provider, payment " + id + " (attempt " + strconv.Itoa(attempt) + ").",
		Message: "Nothing to pay: the total is " + FormatAmount(0, currency) + ".",
	}, nil
}

// SettledWithNothingToPay reports whether order o is paid by p, its
// current payment, settled without a provider: createPayment called again
// returns p, as it returns an open payment again.
func SettledWithNothingToPay(o Order, p Payment) bool {
	return o.Status == OrderStatusPaid && p.Provider == ProviderNone && p.Status == PaymentSucceeded
}

// RefundOwed reports whether cancelling an order means giving p back
// first: a payment that succeeded through a provider. One settled without
// a provider took nothing, and has nothing to give back.
func RefundOwed(p Payment) bool {
	return p.Provider != ProviderNone && (p.Status == PaymentSucceeded || p.Status == PaymentRefunding)
}
