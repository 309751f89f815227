package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// eventsSince reads the outbox's events after the last of before.
func eventsSince(t *testing.T, s *store.Store, before []models.Event) []models.Event {
	t.Helper()
	return allEvents(t, s)[len(before):]
}

// An order whose total is 0 is paid without a provider, once, with the
// events of any payment that succeeds; it is cancelled with nothing to
// refund.
func TestSettleNothingToPay(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		free := MustProduct(t, s, 0, 10)
		o := MustPendingOrder(t, s, free, 2)
		if o.TotalAmount != 0 {
			t.Fatalf("the order costs %v", o.TotalAmount)
		}

		// An order that costs something is refused and left as it is.
		costly := MustPendingOrder(t, s, MustProduct(t, s, 625, 10), 1)
		if p, err := s.SettleNothingToPay(ctx, costly.ID, "usd"); err == nil {
			t.Fatalf("settled an order of %v without a provider: %+v", costly.TotalAmount, p)
		}
		if got, _ := s.OrderByID(ctx, costly.ID); got.Status != models.OrderStatusPending {
			t.Fatalf("the order that costs something is %s", got.Status)
		}
		if ps, _ := s.Payments(ctx, costly.ID); len(ps) != 0 {
			t.Fatalf("payments of the order that costs something: %+v", ps)
		}

		before := allEvents(t, s)
		p, err := s.SettleNothingToPay(ctx, o.ID, "usd")
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != models.PaymentIDFor(o.ID, 1) || p.Provider != models.ProviderNone || p.Status != models.PaymentSucceeded ||
			p.Amount != 0 || p.Currency != "usd" || p.PaidAt == nil {
			t.Fatalf("payment %+v", p)
		}
		if got, _ := s.PaymentByID(ctx, p.ID); got == nil || got.Provider != models.ProviderNone || got.Status != models.PaymentSucceeded || got.PaidAt == nil {
			t.Fatalf("stored payment %+v", got)
		}
		if got, _ := s.OrderByID(ctx, o.ID); got.Status != models.OrderStatusPaid {
			t.Fatalf("order %s after settling", got.Status)
		}
		evs := mustEvents(t, s, o.ID)
		if last := evs[len(evs)-1]; last.Status != models.OrderStatusPaid || last.Actor != models.ActorSystem ||
			last.Message != "Nothing to pay: the total is 0.00 USD." || !strings.Contains(last.Note, "paid without a payment provider, payment "+p.ID) {
			t.Fatalf("the order's event: %+v", last)
		}
		want := []string{models.EventPaymentStarted, models.EventPaymentSuccess, models.EventOrderStatusChanged}
		if got := typesOf(eventsSince(t, s, before)); !slices.Equal(got, want) {
			t.Fatalf("outbox events %v, want %v", got, want)
		}

		// Again: the same payment, nothing new recorded.
		before = allEvents(t, s)
		again, err := s.SettleNothingToPay(ctx, o.ID, "usd")
		if err != nil || again.ID != p.ID {
			t.Fatalf("again: %+v, %v", again, err)
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 1 {
			t.Fatalf("%d payments after settling twice", len(ps))
		}
		if got := eventsSince(t, s, before); len(got) != 0 {
			t.Fatalf("settling again recorded %v", typesOf(got))
		}

		// An admin cancels it: no refund to make, the stock goes back, the
		// payment stays as it was.
		cancel, _ := models.ParseCancel(o.ID, "changed my mind", "", admin)
		if claimed, err := s.ClaimRefund(ctx, cancel); err != nil || claimed != nil {
			t.Fatalf("claiming a refund of a payment without a provider: %+v, %v; want none", claimed, err)
		}
		got, err := s.ChangeOrderStatus(ctx, cancel)
		if err != nil || got.Status != models.OrderStatusCancelled {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
		if pay, _ := s.PaymentByID(ctx, p.ID); pay.Status != models.PaymentSucceeded || pay.RefundID != "" || pay.RefundedAt != nil {
			t.Fatalf("payment after the cancellation %+v", pay)
		}
		if now, _ := s.ProductByID(ctx, free.ID); now.StockCount != 10 {
			t.Fatalf("stock %d after the cancellation, want 10", now.StockCount)
		}
		mustLedgerHolds(t, s, free.ID)
		if _, err := s.SettleNothingToPay(ctx, o.ID, "usd"); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("settling a cancelled order: %v, want INVALID_TRANSITION", err)
		}

		// An order with an open payment (a provider made one before) is
		// left to it.
		open := MustPendingOrder(t, s, free, 1)
		MustPayment(t, s, open)
		if _, err := s.SettleNothingToPay(ctx, open.ID, "usd"); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("settling an order with an open payment: %v, want INVALID_TRANSITION", err)
		}
		if got, _ := s.OrderByID(ctx, open.ID); got.Status != models.OrderStatusPending {
			t.Fatalf("the order with an open payment is %s", got.Status)
		}
	})
}

// Calls released at once settle an order once: every one gets the same
// payment.
func TestSettleNothingToPayAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := MustPendingOrder(t, s, MustProduct(t, s, 0, 10), 1)
		const n = 8
		start := make(chan struct{})
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p, err := s.SettleNothingToPay(ctx, o.ID, "usd")
				errs[i] = err
				if p != nil {
					ids[i] = p.ID
				}
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != models.PaymentIDFor(o.ID, 1) {
				t.Fatalf("call %d: payment %q, %v", i, ids[i], errs[i])
			}
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 1 {
			t.Fatalf("%d payments", len(ps))
		}
		var paid int
		for _, e := range mustEvents(t, s, o.ID) {
			if e.Status == models.OrderStatusPaid {
				paid++
			}
		}
		if paid != 1 {
			t.Fatalf("%d paid events", paid)
		}
	})
}
