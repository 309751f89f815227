package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// MustPendingOrder places an order of qty units of p and returns it.
func MustPendingOrder(tb testing.TB, s *store.Store, p *models.Product, qty int) *models.Order {
	tb.Helper()
	o, err := s.CreateOrder(context.Background(), order(models.OrderLine{ProductID: p.ID, Quantity: qty}))
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// MustPayment records attempt 1 of a stripe payment of o, as the payments
// service would once Stripe made it.
func MustPayment(tb testing.TB, s *store.Store, o *models.Order) *models.Payment {
	tb.Helper()
	p, err := s.AddPayment(context.Background(), models.Payment{
		ID: models.PaymentIDFor(o.ID, 1), OrderID: o.ID, Attempt: 1, Provider: models.ProviderStripe,
		ProviderID: "pi_" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: o.TotalAmount, Currency: "usd",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func event(id, typ string, p *models.Payment) models.PaymentEvent {
	return models.PaymentEvent{Provider: p.Provider, ID: id, Type: typ, ProviderPaymentID: p.ProviderID,
		Amount: int64(p.Amount), Currency: p.Currency, FailureMessage: "Your card was declined."}
}

func mustEvents(t *testing.T, s *store.Store, orderID string) []models.OrderEvent {
	t.Helper()
	evs, err := s.OrderEvents(context.Background(), []string{orderID})
	if err != nil {
		t.Fatal(err)
	}
	return evs[orderID]
}

func TestAddPayment(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 625, 10)
		o := MustPendingOrder(t, s, prod, 2)
		p := MustPayment(t, s, o)
		if p.Amount != 1250 || p.Status != models.PaymentRequiresPaymentMethod || p.CreatedAt.IsZero() {
			t.Fatalf("recorded %+v", p)
		}
		// A racing request that made the same attempt gets the row
		// recorded first; so does one that made a later attempt while this
		// one is open.
		for _, attempt := range []int{1, 2} {
			again, err := s.AddPayment(ctx, models.Payment{ID: models.PaymentIDFor(o.ID, attempt), OrderID: o.ID, Attempt: attempt,
				Provider: models.ProviderStripe, ProviderID: "pi_other" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: 1250, Currency: "usd"})
			if err != nil || again.ID != p.ID || again.ProviderID != p.ProviderID {
				t.Fatalf("attempt %d again: %+v, %v; want the first payment", attempt, again, err)
			}
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 1 {
			t.Fatalf("%d payments recorded, want 1", len(ps))
		}
		// Once the payment is canceled, the next attempt is recorded.
		if _, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_c", models.EventPaymentCanceled, p)); err != nil {
			t.Fatal(err)
		}
		second, err := s.AddPayment(ctx, models.Payment{ID: models.PaymentIDFor(o.ID, 2), OrderID: o.ID, Attempt: 2,
			Provider: models.ProviderStripe, ProviderID: "pi_second" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: 1250, Currency: "usd"})
		if err != nil || second.Attempt != 2 {
			t.Fatalf("second attempt: %+v, %v", second, err)
		}
		cur, err := s.OrderPayments(ctx, []string{o.ID, prod.ID})
		if err != nil || len(cur) != 1 || cur[o.ID].ID != second.ID {
			t.Fatalf("current payments %+v, %v; want the second attempt only", cur, err)
		}
		if got, err := s.PaymentByProviderID(ctx, models.ProviderStripe, second.ProviderID); err != nil || got.ID != second.ID {
			t.Fatalf("by provider id: %+v, %v", got, err)
		}
		if _, err := s.PaymentByProviderID(ctx, models.ProviderLocal, second.ProviderID); !models.IsNotFound(err) {
			t.Fatalf("another provider's id: %v, want NOT_FOUND", err)
		}
		// A cancelled order takes no payment.
		cancel, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := s.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddPayment(ctx, models.Payment{ID: models.PaymentIDFor(o.ID, 3), OrderID: o.ID, Attempt: 3,
			Provider: models.ProviderStripe, ProviderID: "pi_third", Status: models.PaymentRequiresPaymentMethod, Amount: 1250, Currency: "usd"})
		if models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("payment of a cancelled order: %v, want INVALID_TRANSITION", err)
		}
	})
}

func TestPaymentEvents(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 625, 10)
		o := MustPendingOrder(t, s, prod, 2)
		p := MustPayment(t, s, o)

		out, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_1", models.EventPaymentFailed, p))
		if err != nil || out.Duplicate || out.Order.Status != "pending" || out.Decision.Payment.LastError != "Your card was declined." {
			t.Fatalf("failure: %+v, %v", out, err)
		}
		evs := mustEvents(t, s, o.ID)
		if last := evs[len(evs)-1]; len(evs) != 2 || last.Status != "pending" || !strings.Contains(last.Note, "failed: Your card was declined.") || last.Actor != models.ActorSystem {
			t.Fatalf("events after a failure: %+v", evs)
		}
		// A mismatch is not payment.
		short := event("evt_2", models.EventPaymentSucceeded, p)
		short.Amount--
		out, err = s.ApplyPaymentEvent(ctx, o.ID, short)
		if err != nil || !out.Decision.Mismatch || out.Order.Status != "pending" {
			t.Fatalf("mismatch: %+v, %v", out, err)
		}
		if got, _ := s.OrderByID(ctx, o.ID); got.Status != "pending" {
			t.Fatalf("a short payment made the order %s", got.Status)
		}
		out, err = s.ApplyPaymentEvent(ctx, o.ID, event("evt_3", models.EventPaymentSucceeded, p))
		if err != nil || out.Duplicate || out.Order.Status != "paid" || out.Decision.MoveTo != "paid" {
			t.Fatalf("success: %+v, %v", out, err)
		}
		got, _ := s.PaymentByID(ctx, p.ID)
		if got.Status != models.PaymentSucceeded || got.PaidAt == nil || got.LastError != "" {
			t.Fatalf("paid payment %+v", got)
		}
		if o2, _ := s.OrderByID(ctx, o.ID); o2.Status != "paid" {
			t.Fatalf("order %s after success", o2.Status)
		}
		evs = mustEvents(t, s, o.ID)
		if last := evs[len(evs)-1]; len(evs) != 4 || last.Status != "paid" || !strings.Contains(last.Note, p.ID) || !strings.Contains(last.Note, p.ProviderID) {
			t.Fatalf("events after payment: %+v", evs)
		}
		// The same event again, or any event of another order's id: nothing.
		out, err = s.ApplyPaymentEvent(ctx, o.ID, event("evt_1", models.EventPaymentFailed, p))
		if err != nil || !out.Duplicate {
			t.Fatalf("redelivery: %+v, %v", out, err)
		}
		other := MustPendingOrder(t, s, prod, 1)
		if _, err := s.ApplyPaymentEvent(ctx, other.ID, event("evt_9", models.EventPaymentSucceeded, p)); !models.IsNotFound(err) {
			t.Fatalf("an event applied to another order: %v, want NOT_FOUND", err)
		}
		if len(mustEvents(t, s, o.ID)) != 4 || len(mustEvents(t, s, other.ID)) != 1 {
			t.Fatal("a duplicate or misdirected event was recorded")
		}
		// A late failure does not undo the payment.
		if _, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_4", models.EventPaymentFailed, p)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PaymentByID(ctx, p.ID); got.Status != models.PaymentSucceeded {
			t.Fatalf("a failure after success made the payment %s", got.Status)
		}
	})
}

// TestEventAppliedOnceAtOnce delivers one event 12 times at the same
// moment: exactly one delivery applies it.
func TestEventAppliedOnceAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 100, 100)
		for round := 0; round < 3; round++ {
			o := MustPendingOrder(t, s, prod, 1)
			p := MustPayment(t, s, o)
			e := event("evt_once_"+o.ID, models.EventPaymentSucceeded, p)
			release := make(chan struct{})
			outs := make([]models.PaymentOutcome, 12)
			errs := make([]error, len(outs))
			var wg sync.WaitGroup
			for i := range outs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-release
					outs[i], errs[i] = s.ApplyPaymentEvent(ctx, o.ID, e)
				}()
			}
			close(release)
			wg.Wait()
			applied := 0
			for i, out := range outs {
				if errs[i] != nil {
					t.Fatalf("delivery %d: %v", i, errs[i])
				}
				if !out.Duplicate {
					applied++
				}
			}
			if evs := mustEvents(t, s, o.ID); applied != 1 || len(evs) != 2 {
				t.Fatalf("round %d: applied %d times, %d events; want once", round, applied, len(evs))
			}
		}
	})
}

func TestRefundBeforeCancelling(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 625, 10)
		o := MustPendingOrder(t, s, prod, 2)
		p := MustPayment(t, s, o)
		if _, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_paid", models.EventPaymentSucceeded, p)); err != nil {
			t.Fatal(err)
		}
		cancel, _ := models.ParseCancel(o.ID, "out of stock", "", admin)
		if _, err := s.ChangeOrderStatus(ctx, cancel); err != models.ErrRefundFirst {
			t.Fatalf("cancelling a paid order without its refund: %v, want ErrRefundFirst", err)
		}
		byCustomer, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := s.ClaimRefund(ctx, byCustomer); models.ErrorCode(err) != errcode.Forbidden {
			t.Fatalf("a customer claims the refund of a paid order: %v, want FORBIDDEN", err)
		}
		claimed, err := s.ClaimRefund(ctx, cancel)
		if err != nil || claimed == nil || claimed.Status != models.PaymentRefunding {
			t.Fatalf("claim: %+v, %v", claimed, err)
		}
		// While the refund runs, nothing else may happen to the order; a
		// second claim gets the same payment, to retry the same refund.
		ship, _ := models.ParseStatusChange(o.ID, "shipped", "", "T1", "DHL", admin)
		if _, err := s.ChangeOrderStatus(ctx, ship); models.ErrorCode(err) != errcode.Conflict {
			t.Fatalf("shipping during a refund: %v, want CONFLICT", err)
		}
		if again, err := s.ClaimRefund(ctx, cancel); err != nil || again == nil || again.ID != p.ID {
			t.Fatalf("second claim: %+v, %v", again, err)
		}
		// A failed refund: the payment succeeded after all, the order
		// stays paid, and says why.
		err = s.SettleRefund(ctx, models.RefundSettlement{PaymentID: p.ID, OrderID: o.ID, Failure: "the provider did not answer", Actor: admin.UserID, At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PaymentByID(ctx, p.ID); got.Status != models.PaymentSucceeded {
			t.Fatalf("payment %s after a failed refund", got.Status)
		}
		evs := mustEvents(t, s, o.ID)
		if last := evs[len(evs)-1]; last.Status != "paid" || !strings.Contains(last.Note, "failed: the provider did not answer; the order stays paid") || last.Actor != admin.UserID {
			t.Fatalf("events after a failed refund: %+v", evs)
		}
		// A concurrent attempt at the same refund (same idempotency key)
		// succeeded meanwhile: the cancellation records it, over the
		// failure recorded first.
		cancel.Refund = &models.RefundRecord{PaymentID: p.ID, RefundID: "re_1", At: time.Now().UTC()}
		got, err := s.ChangeOrderStatus(ctx, cancel)
		if err != nil || got.Status != "cancelled" {
			t.Fatalf("cancel with the refund: %+v, %v", got, err)
		}
		pay, _ := s.PaymentByID(ctx, p.ID)
		if pay.Status != models.PaymentRefunded || pay.RefundID != "re_1" || pay.RefundedAt == nil {
			t.Fatalf("refunded payment %+v", pay)
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 10 {
			t.Fatalf("stock %d after the cancellation, want 10", now.StockCount)
		}
		mustLedgerHolds(t, s, prod.ID)
	})
}

// A payment that arrives for an order cancelled meanwhile is claimed for a
// refund in the event's transaction, and settled afterwards.
func TestLatePaymentIsRefunded(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 100, 10)
		o := MustPendingOrder(t, s, prod, 1)
		p := MustPayment(t, s, o)
		cancel, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := s.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		out, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_late", models.EventPaymentSucceeded, p))
		if err != nil || !out.Decision.Refund || out.Order.Status != "cancelled" || out.Decision.Payment.Status != models.PaymentRefunding {
			t.Fatalf("late payment: %+v, %v", out, err)
		}
		if err := s.SettleRefund(ctx, models.RefundSettlement{PaymentID: p.ID, OrderID: o.ID, RefundID: "re_late", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.PaymentByID(ctx, p.ID)
		if got.Status != models.PaymentRefunded || got.RefundID != "re_late" {
			t.Fatalf("payment %+v", got)
		}
		evs := mustEvents(t, s, o.ID)
		if last := evs[len(evs)-1]; last.Status != "cancelled" || !strings.Contains(last.Note, "Refunded 1.00 USD through stripe (re_late)") || last.Actor != models.ActorSystem {
			t.Fatalf("events %+v", evs)
		}
		// Settling twice changes nothing.
		if err := s.SettleRefund(ctx, models.RefundSettlement{PaymentID: p.ID, OrderID: o.ID, Failure: "late", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if again := mustEvents(t, s, o.ID); len(again) != len(evs) {
			t.Fatal("a second settlement was recorded")
		}
	})
}

// TestExpirySkipsPaymentsInProgress: an order whose payment is processing
// or awaiting the customer's authentication is not expired; one whose
// payment only waits for a card is.
func TestExpirySkipsPaymentsInProgress(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prod := MustProduct(t, s, 100, 10)
		waiting, processing, action := MustPendingOrder(t, s, prod, 1), MustPendingOrder(t, s, prod, 1), MustPendingOrder(t, s, prod, 1)
		MustPayment(t, s, waiting)
		for o, typ := range map[*models.Order]string{processing: models.EventPaymentProcessing, action: models.EventPaymentRequiresAction} {
			p := MustPayment(t, s, o)
			if _, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_"+o.ID, typ, p)); err != nil {
				t.Fatal(err)
			}
		}
		expired, err := s.ExpireOrders(ctx, time.Now().Add(time.Second), "unpaid", 10)
		if err != nil || len(expired) != 1 || expired[0].ID != waiting.ID {
			t.Fatalf("expired %+v, %v; want only the order whose payment waits for a card", expired, err)
		}
		for _, o := range []*models.Order{processing, action} {
			if got, _ := s.OrderByID(ctx, o.ID); got.Status != "pending" {
				t.Errorf("order with a payment in progress is %s", got.Status)
			}
		}
		if again, err := s.ExpireOrders(ctx, time.Now().Add(time.Second), "unpaid", 10); err != nil || len(again) != 0 {
			t.Fatalf("second pass expired %+v, %v", again, err)
		}
		// A payment in progress protects its order for a while, not for
		// ever: an abandoned 3-D Secure check would hold the stock.
		late := time.Now().Add(models.PaymentInProgressGrace + time.Second)
		if expired, err := s.ExpireOrders(ctx, late, "unpaid", 10); err != nil || len(expired) != 2 {
			t.Fatalf("past the grace, expired %+v, %v; want both orders with payments in progress", expired, err)
		}
	})
}

// Applied events' ids are kept for ProcessedEventRetention, then purged by
// the expiry worker's pass.
func TestPurgeProcessedEvents(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := MustPendingOrder(t, s, MustProduct(t, s, 100, 10), 1)
		p := MustPayment(t, s, o)
		if _, err := s.ApplyPaymentEvent(ctx, o.ID, event("evt_purge_"+o.ID, models.EventPaymentProcessing, p)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeProcessedEvents(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("purged %d recent events, %v", n, err)
		}
		if n, err := s.PurgeProcessedEvents(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want the one event", n, err)
		}
	})
}
