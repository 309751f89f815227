package payments_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/payments"
	"shop/payments/local"
	"shop/payments/stripe"
	"shop/store"
)

// The payments service on a real store (PostgreSQL and SQLite) with the
// real adapters: the local provider, and Stripe where it can't be reached
// or doesn't answer, which is what the service must survive.

var (
	admin    = models.Caller{UserID: "admin-1", Role: models.RoleAdmin}
	customer = models.Caller{UserID: "customer-1", Role: models.RoleCustomer}
	stranger = models.Caller{UserID: "customer-2", Role: models.RoleCustomer}
)

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newService(s payments.Store, p models.PaymentProvider, timeout time.Duration) (*payments.Service, *logBuffer) {
	logs := &logBuffer{}
	return payments.New(payments.Options{Reader: s, Writer: s, Provider: p, Currency: "usd", Timeout: timeout,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))}), logs
}

// MustOrder places customer-1's order of qty units of a product priced at
// price cents.
func MustOrder(tb testing.TB, s *store.Store, price models.Money, qty int) (*models.Order, *models.Product) {
	tb.Helper()
	ctx := context.Background()
	p, err := s.CreateProduct(ctx, models.NewProduct{Price: price, StockCount: 100, Actor: "admin-1"})
	if err != nil {
		tb.Fatal(err)
	}
	req, err := models.ParseOrder(customer.UserID, []models.OrderLine{{ProductID: p.ID, Quantity: qty}})
	if err != nil {
		tb.Fatal(err)
	}
	o, err := s.CreateOrder(ctx, req)
	if err != nil {
		tb.Fatal(err)
	}
	return o, p
}

func lastEvent(t *testing.T, s *store.Store, orderID string) models.OrderEvent {
	t.Helper()
	evs, err := s.OrderEvents(context.Background(), []string{orderID})
	if err != nil || len(evs[orderID]) == 0 {
		t.Fatalf("events: %v", err)
	}
	return evs[orderID][len(evs[orderID])-1]
}

func TestLocalPaymentLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, logs := newService(s, local.New("whsec_local_test"), time.Second)
		o, prod := MustOrder(t, s, 1999, 3)

		for _, tt := range []struct {
			c    models.Caller
			id   string
			want models.Code
		}{
			{models.Caller{}, o.ID, errcode.Unauthenticated},
			{stranger, o.ID, errcode.NotFound},
			{customer, "not-an-id", errcode.BadUserInput},
			{customer, "00000000-0000-4000-8000-000000000000", errcode.NotFound},
		} {
			if _, err := svc.CreatePayment(ctx, tt.c, tt.id); models.ErrorCode(err) != tt.want {
				t.Errorf("%+v pays %s: %v, want %s", tt.c, tt.id, err, tt.want)
			}
		}
		first, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if first.Payment.Amount != 5997 || first.Payment.Currency != "usd" || first.Payment.Provider != "local" ||
			first.Payment.Status != models.PaymentRequiresPaymentMethod || !strings.Contains(first.ClientSecret, "_secret_") {
			t.Fatalf("session %+v", first)
		}
		// Asked again (by the customer or an admin): the same payment and
		// client secret, no second payment.
		again, err := svc.CreatePayment(ctx, admin, o.ID)
		if err != nil || again.Payment.ID != first.Payment.ID || again.ClientSecret != first.ClientSecret {
			t.Fatalf("again: %+v, %v", again, err)
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 1 {
			t.Fatalf("%d payments", len(ps))
		}

		// Declined, then paid.
		got, err := svc.ConfirmLocalPayment(ctx, admin, first.Payment.ID, "failed")
		if err != nil || got.Status != "pending" {
			t.Fatalf("failed: %+v, %v", got, err)
		}
		if e := lastEvent(t, s, o.ID); e.Status != "pending" || !strings.Contains(e.Note, "declined") {
			t.Fatalf("event %+v", e)
		}
		got, err = svc.ConfirmLocalPayment(ctx, admin, first.Payment.ID, "succeeded")
		if err != nil || got.Status != "paid" {
			t.Fatalf("succeeded: %+v, %v", got, err)
		}
		if _, err := svc.CreatePayment(ctx, customer, o.ID); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("paying a paid order: %v", err)
		}
		// The customer may not cancel it any more; an admin may, and it is
		// refunded first.
		byCustomer, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := svc.ChangeOrderStatus(ctx, byCustomer); models.ErrorCode(err) != errcode.Forbidden {
			t.Fatalf("customer cancels a paid order: %v", err)
		}
		if p, _ := s.PaymentByID(ctx, first.Payment.ID); p.Status != models.PaymentSucceeded {
			t.Fatalf("a refused cancellation left the payment %s", p.Status)
		}
		byAdmin, _ := models.ParseCancel(o.ID, "damaged in the warehouse", "", admin)
		got, err = svc.ChangeOrderStatus(ctx, byAdmin)
		if err != nil || got.Status != "cancelled" {
			t.Fatalf("admin cancels: %+v, %v", got, err)
		}
		p, _ := s.PaymentByID(ctx, first.Payment.ID)
		if p.Status != models.PaymentRefunded || !strings.HasPrefix(p.RefundID, "lre_") || p.RefundedAt == nil {
			t.Fatalf("payment after the cancellation %+v", p)
		}
		e := lastEvent(t, s, o.ID)
		if e.Status != "cancelled" || e.Actor != admin.UserID || e.Message != "damaged in the warehouse — Refunded 59.97 USD." ||
			!strings.HasPrefix(e.Note, "Refunded 59.97 USD through local (lre_") {
			t.Fatalf("cancellation event %+v", e)
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 100 {
			t.Fatalf("stock %d", now.StockCount)
		}
		if strings.Contains(logs.String(), first.ClientSecret) {
			t.Fatal("the client secret was logged")
		}
	})
}

// Admins cancelling one paid order at the same moment: one cancellation
// wins, the payment is refunded once (the same refund, under one
// idempotency key, whoever asked), and the stock comes back once.
func TestConcurrentCancellationsRefundOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, _ := newService(s, local.New(""), time.Second)
		o, prod := MustOrder(t, s, 250, 4)
		ps, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ConfirmLocalPayment(ctx, admin, ps.Payment.ID, "succeeded"); err != nil {
			t.Fatal(err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		release := make(chan struct{})
		errs := make([]error, 6)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				_, errs[i] = svc.ChangeOrderStatus(ctx, cancel)
			}()
		}
		close(release)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch models.ErrorCode(err) {
			case "":
				wins++
			case errcode.InvalidTransition, errcode.Conflict:
			default:
				t.Errorf("unexpected %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d cancellations won: %v", wins, errs)
		}
		p, _ := s.PaymentByID(ctx, ps.Payment.ID)
		if now, _ := s.ProductByID(ctx, prod.ID); p.Status != models.PaymentRefunded || now.StockCount != 100 {
			t.Fatalf("payment %s, stock %d", p.Status, now.StockCount)
		}
		evs, _ := s.OrderEvents(ctx, []string{o.ID})
		cancellations := 0
		for _, e := range evs[o.ID] {
			if e.Status == "cancelled" {
				cancellations++
			}
		}
		if cancellations != 1 {
			t.Fatalf("%d cancellation events: %+v", cancellations, evs[o.ID])
		}
	})
}

// A payment that arrives after its order was cancelled is refunded.
func TestLatePaymentRefunded(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, _ := newService(s, local.New(""), time.Second)
		o, _ := MustOrder(t, s, 500, 1)
		ps, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := svc.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		got, err := svc.ConfirmLocalPayment(ctx, admin, ps.Payment.ID, "succeeded")
		if err != nil || got.Status != "cancelled" {
			t.Fatalf("late payment: %+v, %v", got, err)
		}
		p, _ := s.PaymentByID(ctx, ps.Payment.ID)
		if p.Status != models.PaymentRefunded || p.RefundID == "" {
			t.Fatalf("payment %+v", p)
		}
		if e := lastEvent(t, s, o.ID); e.Status != "cancelled" || !strings.HasPrefix(e.Note, "Refunded 5.00 USD through local") {
			t.Fatalf("event %+v", e)
		}
	})
}

// A payment that succeeds for an attempt the order has moved past (it was
// canceled, and the customer started another) is refunded rather than
// taken as the order's payment: the order's latest attempt is the one a
// cancellation refunds, so an earlier one that paid the order would be
// kept when the order is cancelled.
func TestSupersededAttemptRefunded(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, _ := newService(s, local.New(""), time.Second)
		o, prod := MustOrder(t, s, 1000, 1)
		first, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ConfirmLocalPayment(ctx, admin, first.Payment.ID, "canceled"); err != nil {
			t.Fatal(err)
		}
		second, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil || second.Payment.Attempt != 2 {
			t.Fatalf("second attempt: %+v, %v", second, err)
		}
		got, err := svc.ConfirmLocalPayment(ctx, admin, first.Payment.ID, "succeeded")
		if err != nil || got.Status != "pending" {
			t.Fatalf("the first attempt succeeds: %+v, %v; want the order still pending", got, err)
		}
		p, _ := s.PaymentByID(ctx, first.Payment.ID)
		if p.Status != models.PaymentRefunded || p.RefundID == "" {
			t.Fatalf("first attempt %+v, want refunded", p)
		}
		// The order is paid by its latest attempt, and a cancellation
		// refunds that one.
		if got, err := svc.ConfirmLocalPayment(ctx, admin, second.Payment.ID, "succeeded"); err != nil || got.Status != "paid" {
			t.Fatalf("the second attempt succeeds: %+v, %v", got, err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		if got, err := svc.ChangeOrderStatus(ctx, cancel); err != nil || got.Status != "cancelled" {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
		ps, _ := s.Payments(ctx, o.ID)
		for _, p := range ps {
			if p.Status != models.PaymentRefunded {
				t.Errorf("attempt %d is %s after the cancellation, want refunded", p.Attempt, p.Status)
			}
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 100 {
			t.Fatalf("stock %d", now.StockCount)
		}
	})
}

func TestWebhooksRefused(t *testing.T) {
	t.Parallel()
	s := storetest.MustSQLite(t)
	ctx := context.Background()
	svc, logs := newService(s, local.New("whsec_local_test"), time.Second)
	o, _ := MustOrder(t, s, 500, 1)
	ps, err := svc.CreatePayment(ctx, customer, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	body := stripeEvent("evt_1", models.EventPaymentSucceeded, ps.Payment.ProviderID, 500, "usd")
	if err := svc.HandleWebhook(ctx, "stripe", body, sign(body, "whsec_local_test", time.Now())); models.ErrorCode(err) != errcode.NotFound {
		t.Fatalf("a webhook for a provider not in use: %v, want NOT_FOUND", err)
	}
	if err := svc.HandleWebhook(ctx, "local", body, sign(body, "whsec_wrong", time.Now())); models.ErrorCode(err) != errcode.BadRequest {
		t.Fatalf("badly signed: %v, want BAD_REQUEST", err)
	}
	// A good event for a payment shop did not make: acknowledged, logged.
	unknown := stripeEvent("evt_2", models.EventPaymentSucceeded, "lpi_nobody", 500, "usd")
	if err := svc.HandleWebhook(ctx, "local", unknown, sign(unknown, "whsec_local_test", time.Now())); err != nil {
		t.Fatalf("unknown payment: %v", err)
	}
	if !strings.Contains(logs.String(), "webhook event for a payment shop did not make") {
		t.Fatalf("logs: %s", logs)
	}
	if got, _ := s.OrderByID(ctx, o.ID); got.Status != "pending" {
		t.Fatalf("order %s", got.Status)
	}
	// confirmLocalPayment is for local payments only.
	if _, err := svc.ConfirmLocalPayment(ctx, admin, "00000000-0000-4000-8000-000000000000", "succeeded"); models.ErrorCode(err) != errcode.NotFound {
		t.Fatalf("unknown payment: %v", err)
	}
	if _, err := svc.ConfirmLocalPayment(ctx, admin, ps.Payment.ID, "paid"); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("unknown outcome: %v", err)
	}
	// Only an admin says how a payment went.
	if _, err := svc.ConfirmLocalPayment(ctx, customer, ps.Payment.ID, "succeeded"); models.ErrorCode(err) != errcode.Forbidden {
		t.Fatalf("a customer confirming a payment: %v, want FORBIDDEN", err)
	}
	if _, err := svc.ConfirmLocalPayment(ctx, models.Caller{}, ps.Payment.ID, "succeeded"); models.ErrorCode(err) != errcode.Unauthenticated {
		t.Fatalf("an anonymous caller confirming a payment: %v, want UNAUTHENTICATED", err)
	}
}

// MustStripePaid records a Stripe payment of o and applies its success
// through the webhook, as if Stripe had made it and sent the event.
func MustStripePaid(t *testing.T, s *store.Store, svc *payments.Service, o *models.Order) *models.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := s.AddPayment(ctx, models.Payment{ID: models.PaymentIDFor(o.ID, 1), OrderID: o.ID, Attempt: 1, Provider: "stripe",
		ProviderID: "pi_" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: o.TotalAmount, Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	body := stripeEvent("evt_"+o.ID, models.EventPaymentSucceeded, p.ProviderID, int64(o.TotalAmount), "usd")
	if err := svc.HandleWebhook(ctx, "stripe", body, sign(body, testSecret, time.Now())); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OrderByID(ctx, o.ID); got.Status != "paid" {
		t.Fatalf("order %s after the payment", got.Status)
	}
	return p
}

// Stripe out of reach: creating a payment fails with
// PAYMENT_PROVIDER_ERROR and records nothing; a refund fails the same way
// and leaves the order paid, with an event saying why.
func TestStripeUnreachable(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prov := stripe.New(stripe.Options{SecretKey: "sk_test_x", WebhookSecret: testSecret, APIURL: "http://" + testenv.ClosedAddr(t)})
		svc, logs := newService(s, prov, 5*time.Second)
		o, prod := MustOrder(t, s, 700, 2)
		_, err := svc.CreatePayment(ctx, customer, o.ID)
		if models.ErrorCode(err) != errcode.PaymentProviderError || !strings.Contains(err.Error(), "the order is unchanged") {
			t.Fatalf("create: %v", err)
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 0 {
			t.Fatalf("%d payments recorded", len(ps))
		}
		p := MustStripePaid(t, s, svc, o)
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		if _, err := svc.ChangeOrderStatus(ctx, cancel); models.ErrorCode(err) != errcode.PaymentProviderError || !strings.Contains(err.Error(), "the order stays paid") {
			t.Fatalf("cancel: %v", err)
		}
		got, _ := s.OrderByID(ctx, o.ID)
		pay, _ := s.PaymentByID(ctx, p.ID)
		if got.Status != "paid" || pay.Status != models.PaymentSucceeded || pay.RefundedAt != nil {
			t.Fatalf("after a failed refund: order %s, payment %+v", got.Status, pay)
		}
		if e := lastEvent(t, s, o.ID); e.Status != "paid" || !strings.Contains(e.Note, "Refund of payment "+p.ID+" failed") {
			t.Fatalf("event %+v", e)
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 98 {
			t.Fatalf("stock %d: a failed refund restocked", now.StockCount)
		}
		if !strings.Contains(logs.String(), `"doing":"refund the payment"`) {
			t.Fatalf("logs %s", logs)
		}
	})
}

// A payment that arrives for a cancelled order while Stripe is out of
// reach is not refunded then: the webhook fails, so Stripe delivers the
// event again, and a delivery once Stripe answers makes the refund.
func TestLateRefundRetriedOnRedelivery(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		down, _ := newService(s, stripe.New(stripe.Options{SecretKey: "sk_test_x", WebhookSecret: testSecret, APIURL: "http://" + testenv.ClosedAddr(t)}), 5*time.Second)
		up, _ := newService(s, stripe.New(stripe.Options{SecretKey: "sk_test_x", WebhookSecret: testSecret, APIURL: testenv.MustStripeMock(t)}), 5*time.Second)
		o, prod := MustOrder(t, s, 700, 2)
		p, err := s.AddPayment(ctx, models.Payment{ID: models.PaymentIDFor(o.ID, 1), OrderID: o.ID, Attempt: 1, Provider: "stripe",
			ProviderID: "pi_" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: o.TotalAmount, Currency: "usd"})
		if err != nil {
			t.Fatal(err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := s.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		body := stripeEvent("evt_late", models.EventPaymentSucceeded, p.ProviderID, int64(o.TotalAmount), "usd")
		deliver := func(svc *payments.Service) error {
			return svc.HandleWebhook(ctx, "stripe", body, sign(body, testSecret, time.Now()))
		}
		for i := range 2 {
			if err := deliver(down); models.ErrorCode(err) != errcode.PaymentProviderError {
				t.Fatalf("delivery %d while Stripe is away: %v, want PAYMENT_PROVIDER_ERROR (a 5xx, so Stripe delivers it again)", i, err)
			}
		}
		if got, _ := s.PaymentByID(ctx, p.ID); got.Status != models.PaymentSucceeded || got.RefundedAt != nil {
			t.Fatalf("payment after the failed refunds %+v", got)
		}
		failures := 0
		for _, e := range mustEvents(t, s, o.ID) {
			if strings.Contains(e.Note, "Refund of payment "+p.ID+" failed") {
				failures++
			}
		}
		if failures != 1 {
			t.Fatalf("%d events of the failed refund, want 1", failures)
		}
		if err := deliver(up); err != nil {
			t.Fatalf("delivery once Stripe answers: %v", err)
		}
		got, _ := s.PaymentByID(ctx, p.ID)
		if got.Status != models.PaymentRefunded || !strings.HasPrefix(got.RefundID, "re_") || got.RefundedAt == nil {
			t.Fatalf("payment after the retried refund %+v", got)
		}
		if e := lastEvent(t, s, o.ID); e.Status != "cancelled" || !strings.HasPrefix(e.Note, "Refunded 14.00 USD through stripe (re_") {
			t.Fatalf("event %+v", e)
		}
		// Once refunded, a further delivery does nothing.
		n := len(mustEvents(t, s, o.ID))
		if err := deliver(up); err != nil || len(mustEvents(t, s, o.ID)) != n {
			t.Fatalf("a delivery after the refund: %v, %d events, want %d", err, len(mustEvents(t, s, o.ID)), n)
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 100 {
			t.Fatalf("stock %d", now.StockCount)
		}
	})
}

func mustEvents(t *testing.T, s *store.Store, orderID string) []models.OrderEvent {
	t.Helper()
	evs, err := s.OrderEvents(context.Background(), []string{orderID})
	if err != nil {
		t.Fatal(err)
	}
	return evs[orderID]
}

// A provider that hangs holds no lock: while createPayment waits on it,
// the order can be cancelled; the call then fails within its timeout.
func TestSlowProviderHoldsNoLock(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		hang := mustSilentServer(t)
		prov := stripe.New(stripe.Options{SecretKey: "sk_test_x", WebhookSecret: testSecret, APIURL: "http://" + hang.addr})
		svc, _ := newService(s, prov, 2*time.Second)
		o, _ := MustOrder(t, s, 700, 1)
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := svc.CreatePayment(ctx, customer, o.ID)
			done <- err
		}()
		<-hang.accepted // the provider has the request
		cancel, _ := models.ParseCancel(o.ID, "", "", customer)
		if _, err := svc.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatalf("cancel while the provider hangs: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the cancellation waited %s", d)
		}
		err := <-done
		if models.ErrorCode(err) != errcode.PaymentProviderError {
			t.Fatalf("create: %v", err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Fatalf("the provider's timeout of 2s took %s", d)
		}
		if ps, _ := s.Payments(ctx, o.ID); len(ps) != 0 {
			t.Fatal("a payment was recorded")
		}
	})
}

// silentServer accepts connections and never answers.
type silentServer struct {
	addr     string
	accepted chan struct{}
}

func mustSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{addr: ln.Addr().String(), accepted: make(chan struct{})}
	var conns []net.Conn
	var mu sync.Mutex
	var once sync.Once
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			once.Do(func() { close(s.accepted) })
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return s
}

// An order whose total is 0 is paid at once, without the provider (here
// Stripe, out of reach: a call would fail), and cancelled with nothing to
// refund.
func TestNothingToPaySettledWithoutTheProvider(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		prov := stripe.New(stripe.Options{SecretKey: "sk_test_x", WebhookSecret: testSecret, APIURL: "http://" + testenv.ClosedAddr(t)})
		svc, _ := newService(s, prov, 5*time.Second)
		o, prod := MustOrder(t, s, 0, 2)
		ps, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := ps.Payment; p.Provider != models.ProviderNone || p.Status != models.PaymentSucceeded || p.Amount != 0 || p.Currency != "usd" || ps.ClientSecret != "" {
			t.Fatalf("session %+v", ps)
		}
		if got, _ := s.OrderByID(ctx, o.ID); got.Status != models.OrderStatusPaid {
			t.Fatalf("order %s", got.Status)
		}
		// Called again, the same answer; another customer still finds no
		// such order.
		again, err := svc.CreatePayment(ctx, customer, o.ID)
		if err != nil || again.Payment.ID != ps.Payment.ID || again.Payment.Status != models.PaymentSucceeded {
			t.Fatalf("again: %+v, %v", again, err)
		}
		if _, err := svc.CreatePayment(ctx, stranger, o.ID); models.ErrorCode(err) != errcode.NotFound {
			t.Fatalf("a stranger: %v, want NOT_FOUND", err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		got, err := svc.ChangeOrderStatus(ctx, cancel)
		if err != nil || got.Status != models.OrderStatusCancelled {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
		if now, _ := s.ProductByID(ctx, prod.ID); now.StockCount != 100 {
			t.Fatalf("stock %d after the cancellation", now.StockCount)
		}
		if _, err := svc.CreatePayment(ctx, customer, o.ID); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("paying a cancelled order: %v, want INVALID_TRANSITION", err)
		}
	})
}
