package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"shop/internal/testenv"
)

// Payments end to end on real servers: the local provider through the
// whole lifecycle, webhooks as providers deliver them (good, forged,
// stale, twice at once), and Stripe through stripe-mock.

const localWebhookSecret = "whsec_local_for_tests_0123456789"

// localEnv is an environment on PostgreSQL and Redis whose local provider
// signs with a secret the test knows, so it can send webhooks itself.
func localEnv(t *testing.T) map[string]string {
	env := PostgresRedisEnv(t)
	env["PAYMENTS_LOCAL_WEBHOOK_SECRET"] = localWebhookSecret
	withoutRequestLimits(env)
	return env
}

type sessionView struct {
	PaymentID, ClientSecret, Currency, Status, Provider string
	Amount                                              float64
}

type paymentView struct {
	PaymentID, Provider, ProviderPaymentID, Status, Currency string
	Amount                                                   float64
	FailureMessage                                           *string
	PaidAt, RefundedAt                                       *time.Time
}

type paidOrderView struct {
	OrderID, Status string
	TotalAmount     float64
	Payment         *paymentView
	Events          []eventView
}

const (
	createPaymentDoc  = `mutation($o: String!) { createPayment(orderId: $o) { paymentId clientSecret amount currency status provider } }`
	paymentFields     = `payment { paymentId provider providerPaymentId status amount currency failureMessage paidAt refundedAt }`
	paidOrderFields   = `orderId status totalAmount ` + paymentFields + ` events { status actor message note at }`
	confirmLocalDoc   = `mutation($p: String!, $out: String) { confirmLocalPayment(paymentId: $p, outcome: $out) { ` + paidOrderFields + ` } }`
	paidOrderQuery    = `query($o: String!) { getOrderById(orderId: $o) { ` + paidOrderFields + ` } }`
	cancelWithPayment = `mutation($o: String!, $r: String) { cancelOrder(orderId: $o, reason: $r) { ` + paidOrderFields + ` } }`
)

// MustCreatePayment starts paying for an order as c.
func (c *client) MustCreatePayment(tb testing.TB, orderID string) sessionView {
	tb.Helper()
	var out struct{ CreatePayment sessionView }
	c.MustData(tb, createPaymentDoc, map[string]any{"o": orderID}, &out)
	return out.CreatePayment
}

// MustPaidOrder reads an order with its payment and events as c.
func (c *client) MustPaidOrder(tb testing.TB, orderID string) paidOrderView {
	tb.Helper()
	var out struct{ GetOrderByID *paidOrderView }
	c.MustData(tb, paidOrderQuery, map[string]any{"o": orderID}, &out)
	if out.GetOrderByID == nil {
		tb.Fatalf("order %s is not visible", orderID)
	}
	return *out.GetOrderByID
}

// MustConfirmLocal says, as the admin c, how a local payment went.
func (c *client) MustConfirmLocal(tb testing.TB, paymentID, outcome string) paidOrderView {
	tb.Helper()
	var out struct{ ConfirmLocalPayment paidOrderView }
	c.MustData(tb, confirmLocalDoc, map[string]any{"p": paymentID, "out": outcome}, &out)
	return out.ConfirmLocalPayment
}

func lastNote(tb testing.TB, o paidOrderView) eventView {
	tb.Helper()
	if len(o.Events) == 0 {
		tb.Fatalf("order %s has no events", o.OrderID)
	}
	e := o.Events[len(o.Events)-1]
	if e.Note == nil {
		e.Note = new(string)
	}
	if e.Message == nil {
		e.Message = new(string)
	}
	return e
}

// paymentEvent is a webhook body in Stripe's form, written out here rather
// than taken from the code under test.
func paymentEvent(id, typ, pi string, amount int64, currency string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2026-03-25.dahlia","created":%d,"type":%q,"livemode":false,`+
		`"data":{"object":{"id":%q,"object":"payment_intent","amount":%d,"currency":%q,"status":"succeeded",`+
		`"last_payment_error":{"message":"Your card has insufficient funds.","code":"card_declined"}}}}`,
		id, time.Now().Unix(), typ, pi, amount, currency))
}

// signedAt is the Stripe-Signature header of body under secret, made at t.
func signedAt(body []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t}).Header
}

// PostWebhook delivers a webhook to in and returns the status and body.
// It never stops the test, so goroutines may call it.
func (in *instance) PostWebhook(provider string, body []byte, signature string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, in.URL+"/webhooks/"+provider, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), err
}

// MustWebhook delivers a webhook that must get want.
func (in *instance) MustWebhook(tb testing.TB, provider string, body []byte, signature string, want int) string {
	tb.Helper()
	status, resp, err := in.PostWebhook(provider, body, signature)
	if err != nil || status != want {
		tb.Fatalf("POST /webhooks/%s: %d %s %v; want %d", provider, status, resp, err, want)
	}
	return resp
}

// MustNotLog fails if any instance's log holds any of the secrets.
func MustNotLog(tb testing.TB, ins []*instance, secrets ...string) {
	tb.Helper()
	for _, in := range ins {
		logs := in.logs.String()
		if len(logs) == 0 {
			tb.Fatal("empty log")
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(logs, s) {
				tb.Errorf("%s logged a secret (%.12s…)", in.URL, s)
			}
		}
	}
}

// logLines are an instance's log lines at level, with msg containing part.
func logLines(in *instance, level, part string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(in.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Level == level && strings.Contains(line.Msg, part) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// TestPaymentsWithTheLocalProvider takes orders through the lifecycle with
// the local provider, on two instances of PostgreSQL and Redis: pay,
// webhook, paid, ship, deliver; cancel with a refund; a payment that
// arrives after its order was cancelled.
func TestPaymentsWithTheLocalProvider(t *testing.T) {
	t.Parallel()
	env := localEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	admin := a.MustAdmin(t)
	alice, _ := a.MustCustomer(t)
	bob, _ := a.MustCustomer(t)
	product := a.MustCreateProduct(t, 12.5, 10)
	var secrets []string

	order := alice.MustOrder(t, orderLine{product, 2})
	if o := alice.MustPaidOrder(t, order); o.Payment != nil || o.TotalAmount != 25 {
		t.Fatalf("a new order: %+v", o)
	}
	alice.MustPaidOrder(t, order) // now from the cache
	MustRefuse(t, a.Anonymous().MustPost(t, createPaymentDoc, map[string]any{"o": order}), unauthenticated)
	MustRefuse(t, bob.MustPost(t, createPaymentDoc, map[string]any{"o": order}), notFound)
	MustRefuse(t, alice.MustPost(t, createPaymentDoc, map[string]any{"o": "nope"}), badUserInput)

	s := alice.MustCreatePayment(t, order)
	secrets = append(secrets, s.ClientSecret)
	if s.Amount != 25 || s.Currency != "USD" || s.Status != "requires_payment_method" || s.Provider != "local" || !strings.Contains(s.ClientSecret, "_secret_") {
		t.Fatalf("session %+v", s)
	}
	// Asked again, on another instance or by an admin: the same payment.
	for _, c := range []*client{alice.on(b), admin} {
		if again := c.MustCreatePayment(t, order); again != s {
			t.Fatalf("asked again: %+v\nfirst: %+v", again, s)
		}
	}
	// The cached order shows the payment at once on the instance that made it.
	o := alice.MustPaidOrder(t, order)
	if o.Payment == nil || o.Payment.PaymentID != s.PaymentID || o.Payment.Status != "requires_payment_method" || o.Status != "pending" ||
		!strings.HasPrefix(o.Payment.ProviderPaymentID, "lpi_") {
		t.Fatalf("order after createPayment: %+v", o)
	}

	// The card is declined: the webhook, signed as the local provider
	// signs, records it and the order stays pending.
	declined := paymentEvent("evt_declined_"+order, "payment_intent.payment_failed", o.Payment.ProviderPaymentID, 2500, "usd")
	b.MustWebhook(t, "local", declined, signedAt(declined, localWebhookSecret, time.Now()), http.StatusOK)
	o = alice.on(b).MustPaidOrder(t, order)
	if e := lastNote(t, o); o.Status != "pending" || o.Payment.Status != "requires_payment_method" || o.Payment.FailureMessage == nil ||
		*o.Payment.FailureMessage != "Your card has insufficient funds." || e.Status != "pending" || e.Actor != "system" || *e.Message != "Payment failed: Your card has insufficient funds." || *e.Note != "" {
		t.Fatalf("after a declined card: %+v", o)
	}

	// Paid (the admin's stand-in for the customer's card, through the
	// same webhook code): the order is paid, with an event naming the
	// payment, and the customer's cached order shows it.
	paid := admin.MustConfirmLocal(t, s.PaymentID, "succeeded")
	if e := lastNote(t, paid); paid.Status != "paid" || paid.Payment.Status != "succeeded" || paid.Payment.PaidAt == nil ||
		e.Status != "paid" || e.Actor != "system" || !strings.Contains(*e.Note, s.PaymentID) || !strings.Contains(*e.Note, "Paid 25.00 USD through local") || *e.Message != "Paid 25.00 USD." {
		t.Fatalf("after payment: %+v", paid)
	}
	if o := alice.MustPaidOrder(t, order); o.Status != "paid" || o.Payment.Status != "succeeded" {
		t.Fatalf("the customer's read after payment: %+v", o)
	}
	// Lists show each order's payment too, loaded for the page at once.
	var list struct {
		Orders struct {
			Edges []struct{ Node paidOrderView }
		}
		GetOrders []paidOrderView
	}
	alice.on(b).MustData(t, `{ orders(first: 10) { edges { node { orderId `+paymentFields+` } } } getOrders { orderId `+paymentFields+` } }`, nil, &list)
	if len(list.Orders.Edges) != 1 || list.Orders.Edges[0].Node.Payment == nil || list.Orders.Edges[0].Node.Payment.Status != "succeeded" ||
		len(list.GetOrders) != 1 || list.GetOrders[0].Payment == nil || list.GetOrders[0].Payment.PaymentID != s.PaymentID {
		t.Fatalf("lists of orders: %+v", list)
	}
	MustRefuseMove(t, alice.MustPost(t, createPaymentDoc, map[string]any{"o": order}), "paid", "paid")
	MustRefuse(t, alice.MustPost(t, cancelWithPayment, map[string]any{"o": order}), forbidden)
	admin.MustTransition(t, order, "shipped", "", "1Z999", "UPS")
	if v := admin.MustTransition(t, order, "delivered", "", "", ""); v.Status != "delivered" {
		t.Fatalf("delivered: %+v", v)
	}

	// Paid, then cancelled by an admin: refunded first, stock back.
	second := alice.MustOrder(t, orderLine{product, 3})
	s2 := alice.on(b).MustCreatePayment(t, second)
	secrets = append(secrets, s2.ClientSecret)
	admin.on(b).MustConfirmLocal(t, s2.PaymentID, "succeeded")
	if stock := a.MustStock(t, product); stock != 5 {
		t.Fatalf("stock %d before the cancellation", stock)
	}
	var out struct{ CancelOrder paidOrderView }
	admin.MustData(t, cancelWithPayment, map[string]any{"o": second, "r": "damaged in the warehouse"}, &out)
	c := out.CancelOrder
	if e := lastNote(t, c); c.Status != "cancelled" || c.Payment.Status != "refunded" || c.Payment.RefundedAt == nil || c.Payment.PaidAt == nil ||
		e.Status != "cancelled" || e.Actor != admin.ID || *e.Message != "damaged in the warehouse — Refunded 37.50 USD." || !strings.HasPrefix(*e.Note, "Refunded 37.50 USD through local (lre_") {
		t.Fatalf("a paid order cancelled: %+v", c)
	}
	if stock := a.MustStock(t, product); stock != 8 {
		t.Fatalf("stock %d after the cancellation, want 8", stock)
	}
	if o := alice.MustPaidOrder(t, second); o.Status != "cancelled" || o.Payment.Status != "refunded" {
		t.Fatalf("the customer's read after the refund: %+v", o)
	}

	// Cancelled while the customer was paying: the payment that arrives
	// later is refunded, and the order stays cancelled.
	third := alice.MustOrder(t, orderLine{product, 1})
	s3 := alice.MustCreatePayment(t, third)
	secrets = append(secrets, s3.ClientSecret)
	alice.MustCancel(t, third, "changed my mind")
	late := admin.MustConfirmLocal(t, s3.PaymentID, "succeeded")
	if e := lastNote(t, late); late.Status != "cancelled" || late.Payment.Status != "refunded" || !strings.HasPrefix(*e.Note, "Refunded 12.50 USD through local") {
		t.Fatalf("a late payment: %+v", late)
	}
	// confirmLocalPayment is the admins'.
	MustRefuse(t, alice.MustPost(t, confirmLocalDoc, map[string]any{"p": s3.PaymentID}), forbidden)
	// Stripe is not configured here.
	a.MustWebhook(t, "stripe", declined, signedAt(declined, localWebhookSecret, time.Now()), http.StatusNotFound)
	MustNotLog(t, []*instance{a, b}, append(secrets, localWebhookSecret)...)
}

// TestWebhookDeliveries sends webhooks as a provider (or a forger) would:
// only a good, fresh signature over the very body is accepted; each event
// applies once, even delivered to two instances at the same moment; an
// event for a payment shop did not make, or for the wrong amount, changes
// nothing.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	env := localEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	alice, _ := a.MustCustomer(t)
	product := a.MustCreateProduct(t, 4.99, 100)
	order := alice.MustOrder(t, orderLine{product, 2})
	s := alice.MustCreatePayment(t, order)
	pi := alice.MustPaidOrder(t, order).Payment.ProviderPaymentID
	events := func() int { return len(alice.MustPaidOrder(t, order).Events) }

	body := paymentEvent("evt_paid_"+order, "payment_intent.succeeded", pi, 998, "usd")
	now := time.Now()
	for _, tt := range []struct {
		name      string
		body      []byte
		signature string
	}{
		{"unsigned", body, ""},
		{"signed with another secret", body, signedAt(body, "whsec_an_attacker", now)},
		{"stale: signed 6 minutes ago", body, signedAt(body, localWebhookSecret, now.Add(-6*time.Minute))},
		{"tampered body", bytes.Replace(body, []byte(`"amount":998`), []byte(`"amount":1`), 1), signedAt(body, localWebhookSecret, now)},
		{"malformed signature", body, "t=1,v1=zz"},
	} {
		resp := a.MustWebhook(t, "local", tt.body, tt.signature, http.StatusBadRequest)
		if !strings.Contains(resp, `"BAD_REQUEST"`) {
			t.Errorf("%s: %s", tt.name, resp)
		}
	}
	if o := alice.MustPaidOrder(t, order); o.Status != "pending" || len(o.Events) != 1 {
		t.Fatalf("refused webhooks changed the order: %+v", o)
	}
	if n := len(logLines(a, "WARN", "webhook refused")); n != 5 {
		t.Errorf("%d refusals logged, want 5", n)
	}

	// An event for a payment shop did not make: acknowledged, ignored.
	unknown := paymentEvent("evt_unknown", "payment_intent.succeeded", "lpi_not_ours", 998, "usd")
	a.MustWebhook(t, "local", unknown, signedAt(unknown, localWebhookSecret, time.Now()), http.StatusOK)
	if len(logLines(a, "WARN", "payment shop did not make")) != 1 || events() != 1 {
		t.Fatal("an event for an unknown payment was not ignored as it should be")
	}

	// The wrong amount, or currency, is not payment, and is logged loudly.
	short := paymentEvent("evt_short", "payment_intent.succeeded", pi, 997, "usd")
	a.MustWebhook(t, "local", short, signedAt(short, localWebhookSecret, time.Now()), http.StatusOK)
	euros := paymentEvent("evt_euros", "payment_intent.succeeded", pi, 998, "eur")
	a.MustWebhook(t, "local", euros, signedAt(euros, localWebhookSecret, time.Now()), http.StatusOK)
	o := a.MustAdmin(t).MustPaidOrder(t, order)
	if e := lastNote(t, o); o.Status != "pending" || o.Payment.Status != "requires_payment_method" || o.Payment.PaidAt != nil ||
		!strings.Contains(*e.Note, "the provider took 9.98 EUR, but order "+order+" costs 9.98 USD") {
		t.Fatalf("after a mismatched payment: %+v", o)
	}
	if e := lastNote(t, alice.MustPaidOrder(t, order)); *e.Note != "" || *e.Message != "" {
		t.Fatalf("the customer reads the shop's note on a mismatched payment: %+v", e)
	}
	if n := len(logLines(a, "ERROR", "PAYMENT NOT ACCEPTED")); n != 2 {
		t.Fatalf("%d mismatches logged at ERROR, want 2", n)
	}

	// The good event, delivered to both instances at once, four times:
	// every delivery is acknowledged, and it applies once.
	before := events()
	sig := signedAt(body, localWebhookSecret, time.Now())
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func(in *instance) {
			defer wg.Done()
			<-start
			statuses[i], _, _ = in.PostWebhook("local", body, sig)
		}([]*instance{a, b}[i%2])
	}
	close(start)
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, st)
		}
	}
	o = alice.MustPaidOrder(t, order)
	if o.Status != "paid" || len(o.Events) != before+1 || o.Payment.Status != "succeeded" {
		t.Fatalf("after 8 deliveries of one event: %+v (events before: %d)", o, before)
	}
	applied := 0
	for _, in := range []*instance{a, b} {
		applied += len(logLines(in, "INFO", "order paid"))
	}
	if applied != 1 {
		t.Fatalf("the event was applied %d times", applied)
	}
	// Delivered again later: nothing more.
	a.MustWebhook(t, "local", body, signedAt(body, localWebhookSecret, time.Now()), http.StatusOK)
	if len(alice.MustPaidOrder(t, order).Events) != before+1 {
		t.Fatal("a later delivery was applied again")
	}
	MustNotLog(t, []*instance{a, b}, s.ClientSecret, localWebhookSecret)
}

// TestExpiryLeavesPaymentsInProgress: an unpaid order expires; one whose
// payment is processing does not, and is paid when the payment succeeds.
func TestExpiryLeavesPaymentsInProgress(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["ORDER_PENDING_TTL"], env["ORDER_EXPIRY_INTERVAL"] = "1s", "50ms"
	withoutRequestLimits(env)
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	alice, _ := in.MustCustomer(t)
	product := in.MustCreateProduct(t, 3, 10)
	unpaid, paying := alice.MustOrder(t, orderLine{product, 1}), alice.MustOrder(t, orderLine{product, 1})
	alice.MustCreatePayment(t, unpaid) // a payment that only waits for a card
	s := alice.MustCreatePayment(t, paying)
	if o := admin.MustConfirmLocal(t, s.PaymentID, "processing"); o.Payment.Status != "processing" {
		t.Fatalf("processing: %+v", o)
	}
	testenv.WaitFor(t, func() bool { return alice.MustPaidOrder(t, unpaid).Status == "cancelled" })
	if o := alice.MustPaidOrder(t, paying); o.Status != "pending" || o.Payment.Status != "processing" {
		t.Fatalf("an order whose payment is processing: %+v", o)
	}
	if o := admin.MustConfirmLocal(t, s.PaymentID, "succeeded"); o.Status != "paid" {
		t.Fatalf("the payment succeeded: %+v", o)
	}
	if stock := in.MustStock(t, product); stock != 9 {
		t.Fatalf("stock %d, want 9", stock)
	}
}

// TestPaymentsThroughStripe runs the Stripe adapter inside the real server
// against stripe-mock (which keeps no state, so the test delivers the
// webhooks Stripe would send): a payment, its webhook, a refund that fails
// on an instance that can't reach Stripe and succeeds on one that can.
func TestPaymentsThroughStripe(t *testing.T) {
	t.Parallel()
	const (
		key    = "sk_test_4eC39HqLyjWDarjtT1zdp7dcShopE2e"
		secret = "whsec_shop_e2e_secret"
	)
	env := PostgresRedisEnv(t)
	withoutRequestLimits(env)
	env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"], env["STRIPE_API_URL"] = key, secret, testenv.MustStripeMock(t)
	env["SHOP_CURRENCY"] = "EUR"
	a := MustStart(t, env)
	cut := map[string]string{}
	for k, v := range env {
		cut[k] = v
	}
	cut["STRIPE_API_URL"], cut["PAYMENT_TIMEOUT"] = "http://"+testenv.ClosedAddr(t), "2s"
	offline := MustStart(t, cut)

	admin := a.MustAdmin(t)
	alice, _ := a.MustCustomer(t)
	product := a.MustCreateProduct(t, 19.99, 10)
	order := alice.MustOrder(t, orderLine{product, 1})
	MustRefuse(t, alice.on(offline).MustPost(t, createPaymentDoc, map[string]any{"o": order}), "PAYMENT_PROVIDER_ERROR")
	s := alice.MustCreatePayment(t, order)
	if s.Provider != "stripe" || s.Amount != 19.99 || s.Currency != "EUR" || !strings.Contains(s.ClientSecret, "_secret_") {
		t.Fatalf("session %+v", s)
	}
	pi := alice.MustPaidOrder(t, order).Payment.ProviderPaymentID
	if !strings.HasPrefix(pi, "pi_") {
		t.Fatalf("PaymentIntent id %q", pi)
	}
	body := paymentEvent("evt_stripe_"+order, "payment_intent.succeeded", pi, 1999, "eur")
	offline.MustWebhook(t, "stripe", body, signedAt(body, secret, time.Now().Add(-time.Minute)), http.StatusOK)
	// Read where the webhook was applied: that instance shows it at once;
	// the other within the cross-instance bound (tested elsewhere).
	if o := alice.on(offline).MustPaidOrder(t, order); o.Status != "paid" || o.Payment.Status != "succeeded" {
		t.Fatalf("after Stripe's webhook: %+v", o)
	}
	// The local provider's path and confirmLocalPayment are not open here.
	a.MustWebhook(t, "local", body, signedAt(body, secret, time.Now()), http.StatusNotFound)
	MustRefuse(t, admin.MustPost(t, confirmLocalDoc, map[string]any{"p": s.PaymentID}), badUserInput)

	// Stripe out of reach: the refund fails, the order stays paid and
	// says why.
	MustRefuse(t, admin.on(offline).MustPost(t, cancelWithPayment, map[string]any{"o": order}), "PAYMENT_PROVIDER_ERROR")
	o := admin.on(offline).MustPaidOrder(t, order)
	if e := lastNote(t, o); o.Status != "paid" || o.Payment.Status != "succeeded" || e.Status != "paid" || !strings.Contains(*e.Note, "Refund of payment "+s.PaymentID+" failed") {
		t.Fatalf("after a failed refund: %+v", o)
	}
	var out struct{ CancelOrder paidOrderView }
	admin.MustData(t, cancelWithPayment, map[string]any{"o": order, "r": "customer called"}, &out)
	if c := out.CancelOrder; c.Status != "cancelled" || c.Payment.Status != "refunded" || !strings.Contains(*lastNote(t, c).Note, "Refunded 19.99 EUR through stripe (re_") {
		t.Fatalf("after the refund: %+v", c)
	}
	if stock := a.MustStock(t, product); stock != 10 {
		t.Fatalf("stock %d", stock)
	}
	MustNotLog(t, []*instance{a, offline}, key, secret, s.ClientSecret)
}
