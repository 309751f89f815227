// Package payments takes money for orders through a payment provider and
// gives it back: it starts payments, applies the provider's signed webhook
// events, and refunds a paid order before it is cancelled. The provider is
// an adapter (payments/stripe, payments/local) behind models.PaymentProvider.
//
// The provider is never called inside a database transaction: a call that
// is slow or fails holds no lock. Each call has a deadline, and carries an
// idempotency key derived from the order (and the attempt), so a call
// repeated after a timeout, by a retry or by a racing request, makes no
// second payment or refund.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"shop/errcode"
	"shop/models"
)

// Reader is what the payments service reads.
type Reader interface {
	OrderByID(ctx context.Context, id string) (*models.Order, error)
	// Payments returns an order's payments, oldest attempt first.
	Payments(ctx context.Context, orderID string) ([]models.Payment, error)
	// PaymentByID and PaymentByProviderID return an error with
	// errcode.NotFound when there is none.
	PaymentByID(ctx context.Context, id string) (*models.Payment, error)
	PaymentByProviderID(ctx context.Context, provider, providerID string) (*models.Payment, error)
}

// Writer is what the payments service writes. Every write that changes a
// payment locks its order's row first, so a payment's changes and its
// order's are judged one at a time.
type Writer interface {
	// ChangeOrderStatus is the store's status change; it judges the
	// order's payment with models.PaymentAllows, and records ch.Refund.
	ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error)
	// AddPayment records a payment the provider made, if its order is
	// still pending and has no open payment, judged in the transaction.
	// When a payment of the same attempt is recorded already (a racing
	// request made it), it returns that one.
	AddPayment(ctx context.Context, p models.Payment) (*models.Payment, error)
	// ApplyPaymentEvent applies a verified event to the payment it names,
	// an order's (orderID), in one transaction with the record of the
	// event's id: an event already recorded changes nothing and returns
	// Duplicate. The rule is models.DecidePaymentEvent.
	ApplyPaymentEvent(ctx context.Context, orderID string, e models.PaymentEvent) (models.PaymentOutcome, error)
	// ClaimRefund marks the succeeded payment of the order ch cancels as
	// being refunded, after judging ch (who may cancel, and the lifecycle)
	// as ChangeOrderStatus would. It returns the payment (one being
	// refunded already is returned again, so a refund interrupted is
	// retried), or nil when the order has nothing to refund.
	ClaimRefund(ctx context.Context, ch models.StatusChange) (*models.Payment, error)
	// SettleRefund records the outcome of a refund made outside a
	// cancellation (a payment that arrived too late), or the failure of
	// one a cancellation claimed.
	SettleRefund(ctx context.Context, s models.RefundSettlement) error
	// SettleNothingToPay pays a pending order whose total is 0 without a
	// provider (models.SettleNothingToPay), in currency; a call that finds
	// it settled so already returns its payment.
	SettleNothingToPay(ctx context.Context, orderID, currency string) (*models.Payment, error)
}

// Store is both ports, as one implementation.
type Store interface {
	Reader
	Writer
}

// Options configure a Service.
type Options struct {
	// Reader reads through the cache; Writer is the store, whose writes
	// record the events that invalidate what the cache holds of an order.
	Reader   Reader
	Writer   Writer
	Provider models.PaymentProvider
	// Currency is SHOP_CURRENCY, lowercase.
	Currency string
	// Timeout bounds each call to the provider.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Service starts payments, refunds them, and receives webhooks.
type Service struct {
	read     Reader
	write    Writer
	provider models.PaymentProvider
	currency string
	timeout  time.Duration
	logger   *slog.Logger
}

// recordTimeout bounds the writes that record what the provider did. They
// run under a context the client can't cancel: once money has moved, shop
// must write it down even if the client has hung up.
const recordTimeout = 10 * time.Second

// New makes a Service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return &Service{read: o.Reader, write: o.Writer, provider: o.Provider, currency: o.Currency, timeout: o.Timeout, logger: o.Logger}
}

// Provider names the provider payments go through.
func (s *Service) Provider() string { return s.provider.Name() }

// CreatePayment starts paying for a pending order: the order's customer or
// an admin may. An order with an open payment gets that payment again (with
// its client secret, from the provider), never a second one. The amount is
// the order's total as the server computed it. An order whose total is 0 is
// paid at once without the provider (models.SettleNothingToPay); called
// again while that order is paid, it returns the same payment.
func (s *Service) CreatePayment(ctx context.Context, c models.Caller, orderID string) (*models.PaymentSession, error) {
	return s.CreatePaymentFor(ctx, c, orderID, "")
}

// CreatePaymentFor is CreatePayment for a caller who may hold the id of
// the guest's cart the order came from (cartID, "" for none): a guest
// pays the order of its checkout with it (models.CanPayWithCart).
func (s *Service) CreatePaymentFor(ctx context.Context, c models.Caller, orderID, cartID string) (*models.PaymentSession, error) {
	if cartID == "" {
		if err := models.RequireSignedIn(c); err != nil {
			return nil, err
		}
	}
	if err := models.ValidateID("orderId", orderID); err != nil {
		return nil, err
	}
	o, err := s.read.OrderByID(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if err := models.MayPayWithCart(c, cartID, *o); err != nil {
		return nil, err
	}
	ps, err := s.read.Payments(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	n := len(ps)
	if n > 0 && models.SettledWithNothingToPay(*o, ps[n-1]) {
		return &models.PaymentSession{Payment: ps[n-1]}, nil // called again: the same answer
	}
	if err := models.Transition(o.Status, models.OrderStatusPaid); err != nil {
		return nil, err
	}
	if n > 0 && models.PaymentOpen(ps[n-1].Status) {
		return s.resume(ctx, ps[n-1])
	}
	if models.NothingToPay(*o) {
		return s.settleNothingToPay(ctx, o.ID)
	}
	attempt := models.NextAttempt(ps)
	req := models.PaymentRequest{
		PaymentID: models.PaymentIDFor(o.ID, attempt), OrderID: o.ID, CustomerID: o.CustomerID, Attempt: attempt,
		Amount: o.TotalAmount, Currency: s.currency, IdempotencyKey: models.PaymentIdempotencyKey(o.ID, attempt),
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	made, err := s.provider.CreatePayment(cctx, req)
	cancel()
	if err != nil {
		return nil, s.providerError(ctx, "start the payment", "the order is unchanged", err, "order_id", o.ID)
	}
	// If this fails (the order was cancelled meanwhile), the provider's
	// payment is never handed out and never paid; a retry of the same
	// attempt gets it back under the same idempotency key.
	p, err := s.write.AddPayment(ctx, models.Payment{
		ID: req.PaymentID, OrderID: o.ID, Attempt: attempt, Provider: s.provider.Name(), ProviderID: made.ID,
		Status: made.Status, Amount: req.Amount, Currency: req.Currency,
	})
	if err != nil {
		return nil, err
	}
	if p.ID != req.PaymentID || p.ProviderID != made.ID {
		return s.resume(ctx, *p) // another request recorded the order's payment first
	}
	s.logger.InfoContext(ctx, "payment started", "order_id", o.ID, "payment_id", p.ID, "provider", p.Provider, "attempt", attempt)
	return &models.PaymentSession{Payment: *p, ClientSecret: made.ClientSecret}, nil
}

// settleNothingToPay pays an order whose total is 0 at once, without the
// provider, which would refuse the amount (models.SettleNothingToPay). The
// session has no client secret: there is nothing for an SDK to pay.
func (s *Service) settleNothingToPay(ctx context.Context, orderID string) (*models.PaymentSession, error) {
	p, err := s.write.SettleNothingToPay(ctx, orderID, s.currency)
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "order paid: nothing to pay", "order_id", orderID, "payment_id", p.ID, "provider", p.Provider)
	return &models.PaymentSession{Payment: *p}, nil
}

// resume hands out a payment made earlier, with its client secret, which
// shop does not keep: the provider returns it.
func (s *Service) resume(ctx context.Context, p models.Payment) (*models.PaymentSession, error) {
	if p.Provider != s.provider.Name() {
		return nil, s.otherProvider(p)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	got, err := s.provider.RetrievePayment(cctx, p.ProviderID)
	cancel()
	if err != nil {
		return nil, s.providerError(ctx, "look the payment up", "the order is unchanged", err, "order_id", p.OrderID, "payment_id", p.ID)
	}
	return &models.PaymentSession{Payment: p, ClientSecret: got.ClientSecret}, nil
}

// ChangeOrderStatus changes an order's status through the store. A
// cancellation of an order whose payment succeeded refunds it first: the
// store marks the payment as being refunded (which holds off every other
// change of the order), the provider refunds it, outside any transaction,
// and the cancellation is then recorded with the refund. A refund that
// fails leaves the order paid, with an event saying why, and the caller
// gets PAYMENT_PROVIDER_ERROR.
func (s *Service) ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error) {
	o, err := s.write.ChangeOrderStatus(ctx, ch)
	if ch.To != models.OrderStatusCancelled || !errors.Is(err, models.ErrRefundFirst) {
		return o, err
	}
	p, err := s.write.ClaimRefund(ctx, ch)
	if err != nil {
		return nil, err
	}
	if p == nil { // refunded meanwhile by another request
		return s.write.ChangeOrderStatus(ctx, ch)
	}
	ref, err := s.refund(ctx, *p)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err != nil {
		perr := s.providerError(ctx, "refund the payment", "the order stays paid", err, "order_id", p.OrderID, "payment_id", p.ID)
		st := models.RefundSettlement{PaymentID: p.ID, OrderID: p.OrderID, Failure: failureReason(perr), Actor: ch.Actor, At: time.Now()}
		if serr := s.write.SettleRefund(wctx, st); serr != nil {
			s.logger.ErrorContext(ctx, "could not record a failed refund; the payment stays marked as being refunded until the cancellation is retried",
				"order_id", p.OrderID, "payment_id", p.ID, "err", serr)
		}
		return nil, perr
	}
	p.RefundID = ref.ID
	ch.Refund = &models.RefundRecord{PaymentID: p.ID, RefundID: ref.ID, At: time.Now().UTC()}
	ch.Note = models.WithRefundNote(ch.Note, *p)
	ch.Message = models.WithRefundMessage(ch.Message, *p)
	s.logger.InfoContext(ctx, "payment refunded", "order_id", p.OrderID, "payment_id", p.ID, "refund_id", ref.ID)
	return s.write.ChangeOrderStatus(wctx, ch)
}

// refund asks the provider to give p back, in full, under p's refund key.
func (s *Service) refund(ctx context.Context, p models.Payment) (models.ProviderRefund, error) {
	if p.Provider != s.provider.Name() {
		return models.ProviderRefund{}, s.otherProvider(p)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.provider.Refund(cctx, models.RefundRequest{
		PaymentID: p.ID, OrderID: p.OrderID, ProviderPaymentID: p.ProviderID,
		Amount: p.Amount, Currency: p.Currency, IdempotencyKey: models.RefundIdempotencyKey(p.ID),
	})
}

// HandleWebhook verifies and applies one webhook delivery from provider,
// given its raw body and signature header. An error with CodeBadRequest
// means the delivery is not a valid, fresh, signed event (the caller
// answers 400); any other error means it could not be applied now (500,
// and the provider delivers it again). An event for a payment shop did not
// make is acknowledged and logged: another system may share the account.
func (s *Service) HandleWebhook(ctx context.Context, provider string, payload []byte, signature string) error {
	if provider != s.provider.Name() {
		return models.Errorf(errcode.NotFound, "Payments do not go through %s here.", provider)
	}
	e, err := s.provider.ParseWebhook(payload, signature)
	if err != nil {
		return err
	}
	log := s.logger.With("provider", provider, "event_id", e.ID, "event_type", e.Type)
	if !e.Handled() {
		log.DebugContext(ctx, "webhook event ignored: shop does not act on its type")
		return nil
	}
	p, err := s.read.PaymentByProviderID(ctx, provider, e.ProviderPaymentID)
	if models.IsNotFound(err) {
		log.WarnContext(ctx, "webhook event for a payment shop did not make; ignored", "provider_payment_id", e.ProviderPaymentID)
		return nil
	}
	if err != nil {
		return err
	}
	log = log.With("order_id", p.OrderID, "payment_id", p.ID)
	out, err := s.write.ApplyPaymentEvent(ctx, p.OrderID, e)
	if err != nil {
		return err
	}
	if out.Duplicate {
		log.InfoContext(ctx, "webhook event delivered again; it was applied once already")
		return s.resumeLateRefund(ctx, p.ID, out.Order)
	}
	d := out.Decision
	switch {
	case d.Mismatch:
		log.ErrorContext(ctx, "PAYMENT NOT ACCEPTED: the provider took an amount or currency that is not the order's; the order is unchanged. Look at this payment at the provider and refund it there.",
			"paid_amount", e.Amount, "paid_currency", e.Currency, "order_total", int64(out.Order.TotalAmount), "currency", p.Currency)
	case d.MoveTo != "":
		log.InfoContext(ctx, "order paid", "status", d.MoveTo)
	case d.Note != "":
		log.InfoContext(ctx, "payment event recorded on the order", "payment_status", d.Payment.Status)
	}
	if d.Refund {
		return s.refundLate(ctx, d.Payment, out.Order)
	}
	return nil
}

// resumeLateRefund finishes, on a later delivery of the event, the refund
// of a payment that arrived for an order no longer waiting for it, if an
// earlier delivery could not (it was interrupted, or the provider failed).
// A payment being refunded for a cancellation (its order still paid) is
// left to that cancellation (models.LateRefundOwed).
func (s *Service) resumeLateRefund(ctx context.Context, paymentID string, o models.Order) error {
	ps, err := s.read.Payments(ctx, o.ID)
	if err != nil {
		return err
	}
	latest := models.NextAttempt(ps) - 1
	for _, p := range ps {
		if p.ID == paymentID && models.LateRefundOwed(o, p, latest) {
			return s.refundLate(ctx, p, o)
		}
	}
	return nil
}

// refundLate gives back a payment that arrived for an order that no longer
// waits for it, and records the outcome. The event is applied already, so
// this runs to the end even if the provider hangs up on the webhook. A
// refund that failed is an error: the webhook answers 5xx, the provider
// delivers the event again, and that delivery retries the refund
// (resumeLateRefund), under the same idempotency key.
func (s *Service) refundLate(ctx context.Context, p models.Payment, o models.Order) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout+recordTimeout)
	defer cancel()
	st := models.RefundSettlement{PaymentID: p.ID, OrderID: o.ID, Actor: models.ActorSystem, At: time.Now().UTC()}
	ref, err := s.refund(ctx, p)
	var failed error
	if err != nil {
		failed = s.providerError(ctx, "refund the payment", "the order stays "+o.Status, err, "order_id", o.ID, "payment_id", p.ID)
		st.Failure = failureReason(failed)
		s.logger.ErrorContext(ctx, "a payment arrived for an order that is "+o.Status+" and could not be refunded; the next delivery of its event retries",
			"order_id", o.ID, "payment_id", p.ID, "provider", p.Provider)
	} else {
		st.RefundID = ref.ID
		s.logger.InfoContext(ctx, "payment for an order that is "+o.Status+" refunded", "order_id", o.ID, "payment_id", p.ID, "refund_id", ref.ID)
	}
	if err := s.write.SettleRefund(ctx, st); err != nil {
		return fmt.Errorf("record the refund of payment %s: %w", p.ID, err)
	}
	if failed != nil {
		return fmt.Errorf("refund payment %s, which arrived for an order that is %s: %w", p.ID, o.Status, failed)
	}
	return nil
}

// LocalSigner is the local provider's ability to sign events as its
// webhook expects them (payments/local).
type LocalSigner interface {
	SignedEvent(p models.Payment, eventType string) (payload []byte, signature string)
}

// ConfirmLocalPayment is the developer's stand-in for a customer paying
// through the local provider: it builds the event the outcome asks for,
// signs it with the local webhook secret, and hands it to HandleWebhook,
// the very path POST /webhooks/local takes (admins).
func (s *Service) ConfirmLocalPayment(ctx context.Context, c models.Caller, paymentID, outcome string) (*models.Order, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	eventType, err := models.ParseLocalOutcome(paymentID, outcome)
	if err != nil {
		return nil, err
	}
	signer, ok := s.provider.(LocalSigner)
	if !ok {
		return nil, models.Errorf(errcode.BadUserInput, "Payments go through %s here, not the local provider: pay with the client secret instead.", s.provider.Name())
	}
	p, err := s.read.PaymentByID(ctx, paymentID)
	if models.IsNotFound(err) {
		return nil, models.Errorf(errcode.NotFound, "Payment %s does not exist.", paymentID)
	}
	if err != nil {
		return nil, err
	}
	if p.Provider != models.ProviderLocal {
		return nil, models.Errorf(errcode.BadUserInput, "Payment %s went through %s, not the local provider.", p.ID, p.Provider)
	}
	payload, sig := signer.SignedEvent(*p, eventType)
	if err := s.HandleWebhook(ctx, models.ProviderLocal, payload, sig); err != nil {
		return nil, err
	}
	return s.read.OrderByID(ctx, p.OrderID)
}

// providerError logs what the provider said and returns the error the
// client sees: PAYMENT_PROVIDER_ERROR, which names the provider and what
// became of the order, and never the provider's own words (they may carry
// ids and details meant for the shop's owner). A request that ran out of
// time or was cancelled is reported as such instead.
func (s *Service) providerError(ctx context.Context, doing, outcome string, err error, attrs ...any) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", doing, ctx.Err())
	}
	s.logger.WarnContext(ctx, "payment provider call failed", append(attrs, "provider", s.provider.Name(), "doing", doing, "err", err.Error())...)
	return &models.Error{
		Code:    errcode.PaymentProviderError,
		Message: "The payment provider (" + s.provider.Name() + ") could not " + doing + "; " + outcome + ". Retry in a moment.",
		Details: map[string]any{"provider": s.provider.Name()},
	}
}

func (s *Service) otherProvider(p models.Payment) error {
	return &models.Error{
		Code:    errcode.PaymentProviderError,
		Message: "Payment " + p.ID + " went through " + p.Provider + ", which this server is not configured for.",
		Details: map[string]any{"provider": p.Provider},
	}
}

// failureReason is what an order's event says of a failed refund.
func failureReason(err error) string {
	var me *models.Error
	if errors.As(err, &me) {
		return "the provider (" + fmt.Sprint(me.Details["provider"]) + ") did not answer or refused"
	}
	return "the request ran out of time"
}
