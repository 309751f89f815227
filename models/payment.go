package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"shop/errcode"
)

// Payments. A customer pays for a pending order through a provider (Stripe,
// or the local stand-in of the embedded default). shop records each payment
// it asks the provider for, and learns what became of it only from the
// provider's signed webhook events, each applied once.

// The providers.
const (
	ProviderStripe = "stripe"
	ProviderLocal  = "local"
	// ProviderNone (payment_free.go) settles an order whose total is 0.
)

// A payment's status. The first seven are Stripe's PaymentIntent statuses,
// which the local provider uses too; refunding and refunded are shop's own,
// for a succeeded payment it is giving back.
const (
	PaymentRequiresPaymentMethod = "requires_payment_method" // waiting for the customer (also after a failed attempt)
	PaymentRequiresConfirmation  = "requires_confirmation"
	PaymentRequiresAction        = "requires_action" // the customer is authenticating (3-D Secure…)
	PaymentProcessing            = "processing"      // the money is moving
	PaymentRequiresCapture       = "requires_capture"
	PaymentSucceeded             = "succeeded"
	PaymentCanceled              = "canceled"
	PaymentRefunding             = "refunding" // a refund was asked for and has not been recorded yet
	PaymentRefunded              = "refunded"
)

// PaymentOpen reports whether a payment with status s can still be paid:
// createPayment hands out the open payment again rather than a second one.
func PaymentOpen(s string) bool {
	switch s {
	case PaymentSucceeded, PaymentCanceled, PaymentRefunding, PaymentRefunded:
		return false
	}
	return true
}

// PaymentInProgress reports whether a payment with status s is being paid
// right now: the customer is authenticating or the money is moving. The
// pending-order expiry leaves such an order alone. A payment that only
// waits for a card is not in progress: its order expires as any other, and
// should it be paid after all, the payment is refunded (DecidePaymentEvent).
func PaymentInProgress(s string) bool {
	switch s {
	case PaymentRequiresAction, PaymentProcessing, PaymentRequiresCapture:
		return true
	}
	return false
}

// PaymentInProgressGrace is how long past ORDER_PENDING_TTL a payment in
// progress keeps its order from expiring. Beyond it the order expires all
// the same (a customer who abandons a 3-D Secure check must not hold the
// stock for ever), and a payment that succeeds later is refunded.
const PaymentInProgressGrace = 24 * time.Hour

// PaymentInProgressStatuses are the statuses PaymentInProgress accepts, for
// queries.
var PaymentInProgressStatuses = []string{PaymentRequiresAction, PaymentProcessing, PaymentRequiresCapture}

// Payment is one attempt to pay for an order. An order has at most one open
// payment; a new attempt (the next Attempt) starts only once the previous
// one was canceled.
type Payment struct {
	ID      string `gorm:"column:payment_id;primaryKey;type:varchar(36)"`
	OrderID string `gorm:"column:order_id;type:varchar(36);not null;uniqueIndex:idx_payments_order_attempt,priority:1"`
	Attempt int    `gorm:"column:attempt;not null;uniqueIndex:idx_payments_order_attempt,priority:2"`
	// Provider and ProviderID name the payment at the provider (Stripe's
	// PaymentIntent id). Webhooks find the payment, and so the order, by
	// them, never by the metadata an event carries.
	Provider   string `gorm:"column:provider;type:varchar(16);not null;uniqueIndex:idx_payments_provider_id,priority:1"`
	ProviderID string `gorm:"column:provider_payment_id;type:varchar(255);not null;uniqueIndex:idx_payments_provider_id,priority:2"`
	Status     string `gorm:"column:status;type:varchar(32);not null"`
	// Amount is the order's total when the payment was made, in Currency
	// (ISO 4217, lowercase).
	Amount   Money  `gorm:"column:amount_cents;not null"`
	Currency string `gorm:"column:currency;type:varchar(3);not null"`
	// LastError is why the last attempt failed, as the provider said it
	// ("Your card was declined."), or why shop refused the payment.
	LastError  string     `gorm:"column:last_error;type:varchar(500);not null;default:''"`
	RefundID   string     `gorm:"column:refund_id;type:varchar(255);not null;default:''"`
	CreatedAt  time.Time  `gorm:"column:created_at;not null"`
	UpdatedAt  time.Time  `gorm:"column:updated_at;not null;autoUpdateTime:false"`
	PaidAt     *time.Time `gorm:"column:paid_at"`
	RefundedAt *time.Time `gorm:"column:refunded_at"`
}

// ProcessedEvent is a provider's webhook event shop has applied. Its
// primary key is the provider's event id, so of two deliveries of one
// event, to one instance or to two at once, exactly one applies it.
type ProcessedEvent struct {
	Provider  string    `gorm:"column:provider;type:varchar(16);primaryKey"`
	EventID   string    `gorm:"column:event_id;type:varchar(255);primaryKey"`
	Type      string    `gorm:"column:type;type:varchar(100);not null"`
	PaymentID string    `gorm:"column:payment_id;type:varchar(36);not null"`
	At        time.Time `gorm:"column:at;not null;index"`
}

// ProcessedEventRetention is how long an applied event's id is kept. Stripe
// redelivers an event for up to 3 days; a delivery later than this would be
// applied again, and finds the payment already in the state it asks for.
const ProcessedEventRetention = 30 * 24 * time.Hour

// PaymentIDFor is the id of an order's payment attempt. It is derived from
// the two, not random, so that two requests that race to start the same
// attempt send the provider the very same request (same idempotency key,
// same metadata), get the same payment back, and record one row.
func PaymentIDFor(orderID string, attempt int) string {
	return uuid.NewSHA1(paymentNamespace, []byte(orderID+"/"+strconv.Itoa(attempt))).String()
}

var paymentNamespace = uuid.MustParse("6f1d3c52-8f5e-4a7e-9a55-0b3b7c6c2d10")

// PaymentIdempotencyKey is the idempotency key of the provider call that
// creates an order's payment attempt: a retried call (by the provider's
// client, or by a customer calling createPayment twice) never makes a
// second payment.
func PaymentIdempotencyKey(orderID string, attempt int) string {
	return "shop-payment-" + orderID + "-" + strconv.Itoa(attempt)
}

// RefundIdempotencyKey is the idempotency key of the refund of a payment:
// a payment is refunded at most once however often the refund is retried.
func RefundIdempotencyKey(paymentID string) string { return "shop-refund-" + paymentID }

// Currencies whose minor unit, at Stripe, is not a plain hundredth: the
// zero-decimal and three-decimal ones, and isk, huf and twd, whose amounts
// Stripe wants in whole units. shop's prices have exactly two decimals, so
// it cannot charge in these without rounding.
var oddCurrencies = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
	"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true, "isk": true, "huf": true, "twd": true,
}

// ParseCurrency reads SHOP_CURRENCY: an ISO 4217 code, in any letter case,
// with a minor unit of one hundredth (usd, eur, gbp…).
func ParseCurrency(s string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(s))
	if len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return "", fmt.Errorf("%q is not a three-letter ISO 4217 code such as usd", s)
	}
	if oddCurrencies[c] {
		return "", fmt.Errorf("%s does not divide into hundredths the way shop's prices (2 decimals) do", c)
	}
	return c, nil
}

// CanPay: the order's customer, or an admin, may pay for an order, and only
// while it is pending. Another customer's order is reported as missing, as
// everywhere else.
// CanPayWithCart is CanPay for a caller who may also hold the id of the
// guest's cart the order came from (cartID, "" for none): the order of a
// guest's checkout is paid by whoever holds its cart's id, signed in or
// not (GuestCustomerID). A guest's wrong id is NOT_FOUND.
func CanPayWithCart(c Caller, cartID string, o Order) error {
	if err := MayPayWithCart(c, cartID, o); err != nil {
		return err
	}
	return Transition(o.Status, OrderStatusPaid)
}

func CanPay(c Caller, o Order) error { return CanPayWithCart(c, "", o) }

// MayPayWithCart is who may pay for order o, whatever its status: the
// first half of CanPayWithCart, and who is answered again an order settled
// with nothing to pay (SettledWithNothingToPay).
func MayPayWithCart(c Caller, cartID string, o Order) error {
	if cartID != "" {
		if id, err := ParseCartID(cartID); err == nil && o.CustomerID == GuestCustomerID(id) {
			return nil
		}
		if c.Anonymous() {
			return Errorf(errcode.NotFound, "Order %s does not exist.", o.ID)
		}
	}
	if err := RequireSignedIn(c); err != nil {
		return err
	}
	if !c.IsAdmin() && o.CustomerID != c.UserID {
		return Errorf(errcode.NotFound, "Order %s does not exist.", o.ID)
	}
	return nil
}

// NextAttempt is the attempt a new payment of an order gets, given its
// payments so far.
func NextAttempt(payments []Payment) int {
	n := 0
	for _, p := range payments {
		n = max(n, p.Attempt)
	}
	return n + 1
}

// PaymentRequest is what a provider needs to start a payment. Amount is the
// server's own total of the order, never anything the client sent.
type PaymentRequest struct {
	PaymentID, OrderID, CustomerID string
	Attempt                        int
	Amount                         Money
	Currency                       string
	IdempotencyKey                 string
}

// ProviderPayment is a payment as the provider holds it. ClientSecret lets
// the customer's app pay it with the provider's own SDK; shop hands it to
// the caller of createPayment and never stores or logs it.
type ProviderPayment struct {
	ID           string
	ClientSecret string
	Status       string
}

// RefundRequest asks the provider to give a payment back, in full.
type RefundRequest struct {
	PaymentID, OrderID, ProviderPaymentID string
	Amount                                Money
	Currency                              string
	IdempotencyKey                        string
}

// ProviderRefund is the provider's record of a refund.
type ProviderRefund struct {
	ID     string
	Status string
}

// Webhook event types shop acts on (Stripe's names; the local provider
// sends the same).
const (
	EventPaymentSucceeded      = "payment_intent.succeeded"
	EventPaymentFailed         = "payment_intent.payment_failed"
	EventPaymentProcessing     = "payment_intent.processing"
	EventPaymentRequiresAction = "payment_intent.requires_action"
	EventPaymentCanceled       = "payment_intent.canceled"
)

// PaymentEvent is a provider's webhook event, its signature verified.
type PaymentEvent struct {
	Provider string
	ID       string // the provider's event id
	Type     string
	// ProviderPaymentID is the payment the event is about (the
	// PaymentIntent's id).
	ProviderPaymentID string
	// Amount (in minor units) and Currency are what the provider says was
	// paid; FailureMessage why it was not.
	Amount         int64
	Currency       string
	FailureMessage string
}

// Handled reports whether shop acts on events of e's type; others are
// acknowledged and ignored.
func (e PaymentEvent) Handled() bool {
	switch e.Type {
	case EventPaymentSucceeded, EventPaymentFailed, EventPaymentProcessing, EventPaymentRequiresAction, EventPaymentCanceled:
		return true
	}
	return false
}

// PaymentProvider is a payment service shop can take money through. Every
// method that calls out is given a context with a deadline; none is ever
// called inside a database transaction.
type PaymentProvider interface {
	// Name is the provider's name in payments and URLs: "stripe", "local".
	Name() string
	// CreatePayment starts a payment of the request's amount. The same
	// idempotency key returns the same payment.
	CreatePayment(ctx context.Context, req PaymentRequest) (ProviderPayment, error)
	// RetrievePayment returns a payment created before, with its client
	// secret, for a customer who asks to pay again.
	RetrievePayment(ctx context.Context, providerID string) (ProviderPayment, error)
	// Refund gives a succeeded payment back in full. The same idempotency
	// key returns the same refund.
	Refund(ctx context.Context, req RefundRequest) (ProviderRefund, error)
	// ParseWebhook verifies a webhook's signature on its raw body and
	// reads the event. An unsigned, badly signed or stale event is an
	// error with errcode.BadRequest.
	ParseWebhook(payload []byte, signature string) (PaymentEvent, error)
}

// PaymentDecision is what one verified event does to a payment and its
// order (DecidePaymentEvent).
type PaymentDecision struct {
	// Payment is the payment as it is to be stored.
	Payment Payment
	// MoveTo is the status the order moves to, or "" to leave it.
	MoveTo string
	// Note, when set, is recorded as an event of the order (with MoveTo, or
	// the order's status as it is), for admins; Message with it, for the
	// customer, when the news is the customer's business.
	Note    string
	Message string
	// Mismatch says the provider took an amount or currency that is not
	// the order's: it is not accepted as payment, and must be looked at.
	Mismatch bool
	// Refund says money arrived for an order that is no longer waiting for
	// it (cancelled meanwhile, or paid otherwise): it is to be refunded.
	Refund bool
}

// Changed reports whether the decision changes anything.
func (d PaymentDecision) Changed(before Payment) bool {
	return d.MoveTo != "" || d.Note != "" || d.Payment != before
}

// DecidePaymentEvent is the rule for applying a verified event e to
// payment p of order o, at now:
//
//   - succeeded, for a pending order, with the order's amount and the
//     payment's currency: the payment succeeds and the order becomes paid;
//   - succeeded with another amount or currency: not accepted as payment
//     (the order stays as it is, with an event saying why) and flagged as a
//     mismatch;
//   - succeeded for an order that is not pending any more (cancelled, or
//     paid otherwise), or for an attempt that is not the order's latest
//     (latest is the order's latest attempt): the money is given back
//     (Refund). The order's latest attempt is the payment everything else
//     judges (a refund on cancellation among them), so an earlier one must
//     not be what pays the order;
//   - payment_failed: the payment waits for another card, and the order
//     gets an event saying why; it stays pending;
//   - processing, requires_action, canceled: the payment's status.
//
// A payment that succeeded, or is being refunded or was, never goes back to
// an earlier status: providers do not promise to deliver events in order.
func DecidePaymentEvent(o Order, p Payment, latest int, e PaymentEvent, now time.Time) PaymentDecision {
	d := PaymentDecision{Payment: p}
	settled := p.Status == PaymentSucceeded || p.Status == PaymentRefunding || p.Status == PaymentRefunded
	set := func(status string) {
		if !settled {
			d.Payment.Status, d.Payment.UpdatedAt = status, now
		}
	}
	switch e.Type {
	case EventPaymentSucceeded:
		if settled {
			return d
		}
		if err := MatchPayment(o, p, e); err != nil {
			d.Mismatch = true
			d.Payment.LastError = clip(err.Error(), MaxNoteSize)
			d.Payment.UpdatedAt = now
			d.Note = clip("Payment "+p.ID+" not accepted: "+err.Error(), MaxNoteSize)
			return d
		}
		at := now
		d.Payment.Status, d.Payment.PaidAt, d.Payment.UpdatedAt, d.Payment.LastError = PaymentSucceeded, &at, now, ""
		if o.Status != OrderStatusPending || p.Attempt < latest {
			d.Payment.Status = PaymentRefunding
			d.Refund = true
			why := "an order that is " + o.Status
			if o.Status == OrderStatusPending {
				why = "attempt " + strconv.Itoa(p.Attempt) + ", which the order no longer waits for (its payment is attempt " + strconv.Itoa(latest) + ")"
			}
			d.Note = "Payment " + p.ID + " (" + FormatAmount(p.Amount, p.Currency) + ") arrived for " + why + ": refunding it."
			return d
		}
		d.MoveTo = OrderStatusPaid
		d.Note = "Paid " + FormatAmount(p.Amount, p.Currency) + " through " + p.Provider + " (" + p.ProviderID + "), payment " + p.ID + "."
		d.Message = "Paid " + FormatAmount(p.Amount, p.Currency) + "."
	case EventPaymentFailed:
		if settled {
			return d
		}
		msg := strings.TrimSpace(e.FailureMessage)
		if msg == "" {
			msg = "the provider gave no reason"
		}
		msg = clip(msg, 300)
		set(PaymentRequiresPaymentMethod)
		d.Payment.LastError = msg
		d.Note = "Payment " + p.ID + " failed: " + msg
		d.Message = "Payment failed: " + msg
	case EventPaymentProcessing:
		set(PaymentProcessing)
	case EventPaymentRequiresAction:
		set(PaymentRequiresAction)
	case EventPaymentCanceled:
		set(PaymentCanceled)
	}
	return d
}

// MatchPayment checks that what the provider took is what the order costs,
// in the payment's currency.
func MatchPayment(o Order, p Payment, e PaymentEvent) error {
	cur := strings.ToLower(e.Currency)
	if e.Amount != int64(o.TotalAmount) || cur != p.Currency {
		return fmt.Errorf("the provider took %s, but order %s costs %s", FormatAmount(Money(e.Amount), cur), o.ID, FormatAmount(o.TotalAmount, p.Currency))
	}
	return nil
}

// FormatAmount shows an amount with its currency: "12.50 USD".
func FormatAmount(m Money, currency string) string {
	return m.String() + " " + strings.ToUpper(currency)
}

// ErrRefundFirst refuses to cancel an order whose payment succeeded
// without giving the money back: the payments service refunds it first and
// then cancels with the refund recorded (StatusChange.Refund).
var ErrRefundFirst = &Error{Code: errcode.Conflict, Message: "This order was paid through a payment provider: it is refunded before it is cancelled. Retry in a moment."}

// RefundRecord is a refund the provider made, recorded with the
// cancellation it came before.
type RefundRecord struct {
	PaymentID string
	RefundID  string
	At        time.Time
}

// PaymentAllows judges a status change of order o against its current
// payment p (nil when it has none), inside the change's transaction:
//
//   - while a refund is in progress, only the cancellation that records it
//     may proceed;
//   - a cancellation of an order whose payment succeeded must carry the
//     refund (ErrRefundFirst otherwise), and a refund must be of p. A
//     payment settled without a provider (RefundOwed) took nothing: its
//     order is cancelled with nothing to refund, and the payment stays as
//     it is.
//
// A refund the provider made is recorded even if p is back to succeeded:
// a concurrent attempt at the same refund (under the same idempotency key)
// may have failed and said so meanwhile, but the money was given back.
func PaymentAllows(ch StatusChange, p *Payment) error {
	if ch.Refund != nil && (p == nil || p.ID != ch.Refund.PaymentID || (p.Status != PaymentRefunding && p.Status != PaymentSucceeded)) {
		return fmt.Errorf("refund of payment %s recorded against another payment or state", ch.Refund.PaymentID)
	}
	if p == nil {
		return nil
	}
	switch {
	case p.Status == PaymentRefunding && ch.To != OrderStatusCancelled:
		return &Error{Code: errcode.Conflict, Message: "This order's payment is being refunded; it cannot become " + ch.To + "."}
	case RefundOwed(*p) && ch.To == OrderStatusCancelled && ch.Refund == nil:
		return ErrRefundFirst
	}
	return nil
}

// RefundSettlement is the outcome of a refund made outside a cancellation
// (a payment that arrived for an order already cancelled): either the
// provider's refund, or why it failed.
type RefundSettlement struct {
	PaymentID string
	OrderID   string
	RefundID  string
	// Failure, when set, is why the refund failed: the payment goes back to
	// succeeded, and the order gets an event saying so.
	Failure string
	// Actor is who the order's event is by: the admin whose cancellation
	// asked for the refund, or "system" (the default).
	Actor string
	At    time.Time
}

// LateRefundOwed reports whether payment p of order o, whose latest
// attempt is latest, holds money the order does not keep and has not given
// back yet, after a refund that was interrupted or failed: a payment being
// refunded, unless it is the paid order's own, which its cancellation is
// refunding; or one that succeeded for a cancelled order or for an earlier
// attempt (DecidePaymentEvent refunds both; a refund that failed put it
// back to succeeded). A later delivery of its event retries the refund.
func LateRefundOwed(o Order, p Payment, latest int) bool {
	if p.Provider == ProviderNone {
		return false // it took nothing
	}
	switch p.Status {
	case PaymentRefunding:
		return o.Status != OrderStatusPaid || p.Attempt < latest
	case PaymentSucceeded:
		return o.Status == OrderStatusCancelled || p.Attempt < latest
	}
	return false
}

// RefundFailedNote is the event note of an order whose refund failed.
func RefundFailedNote(paymentID, why string, stays string) string {
	return clip("Refund of payment "+paymentID+" failed: "+why+"; the order stays "+stays+".", MaxNoteSize)
}

// RefundedNote is the event note of an order whose payment p was refunded.
func RefundedNote(p Payment) string {
	return "Refunded " + FormatAmount(p.Amount, p.Currency) + " through " + p.Provider + " (" + p.RefundID + "), payment " + p.ID + "."
}

// RefundedMessage is what the customer reads of p's refund.
func RefundedMessage(p Payment) string {
	return "Refunded " + FormatAmount(p.Amount, p.Currency) + "."
}

// WithRefundMessage is a cancellation's message (its reason) with the
// refund that came before it, within MaxNoteSize.
func WithRefundMessage(reason string, p Payment) string {
	refund := RefundedMessage(p)
	if reason == "" {
		return refund
	}
	return clip(reason, MaxNoteSize-utf8.RuneCountInString(refund)-3) + " — " + refund
}

// WithRefundNote is a cancellation's note (its reason) with the refund
// that came before it, within MaxNoteSize.
func WithRefundNote(reason string, p Payment) string {
	refund := RefundedNote(p)
	if reason == "" {
		return refund
	}
	return clip(reason, MaxNoteSize-utf8.RuneCountInString(refund)-3) + " — " + refund
}

// clip shortens s to at most n characters (runes, as the database counts
// them, and never splitting one), marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// Local provider outcomes a developer can ask for (confirmLocalPayment).
var localOutcomes = map[string]string{
	"succeeded":       EventPaymentSucceeded,
	"failed":          EventPaymentFailed,
	"processing":      EventPaymentProcessing,
	"requires_action": EventPaymentRequiresAction,
	"canceled":        EventPaymentCanceled,
}

// ParseLocalOutcome validates confirmLocalPayment's arguments and returns
// the event type to send.
func ParseLocalOutcome(paymentID, outcome string) (string, error) {
	var fe fieldErrors
	checkID(&fe, "paymentId", paymentID)
	ev, ok := localOutcomes[strings.TrimSpace(outcome)]
	if !ok {
		fe.add("outcome", "must be one of succeeded, failed, processing, requires_action, canceled, got %q", truncate(outcome, 40))
	}
	if err := fe.err(); err != nil {
		return "", err
	}
	return ev, nil
}

// PaymentSession is what createPayment returns: the payment, and the
// client secret the customer's app pays it with.
type PaymentSession struct {
	Payment      Payment
	ClientSecret string
}

// PaymentOutcome is what ApplyPaymentEvent did.
type PaymentOutcome struct {
	Duplicate bool
	Order     Order
	Decision  PaymentDecision
}
