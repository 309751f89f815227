package stripe_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"shop/errcode"
	"shop/internal/testenv"
	"shop/models"
	"shop/payments/stripe"
)

// The Stripe adapter against stripe-mock, which checks every request
// against Stripe's OpenAPI description (an unknown or malformed parameter
// is a 400) and answers with fixtures. Between the two, a recorder keeps
// each request as it went over the wire, for the tests to check what shop
// sends: the amount, the currency, the idempotency key.

type sent struct {
	method, path, key, auth string
	form                    url.Values
}

type recorder struct {
	mu   sync.Mutex
	reqs []sent
	// failFirst drops the connection of the first POST without an answer,
	// as a network fault does: the caller can't know whether Stripe made
	// the payment.
	failFirst bool
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.reqs...)
}

// MustRecordingStripe starts a recorder in front of stripe-mock and returns
// a provider that talks to it, and the recorder.
func MustRecordingStripe(t *testing.T, failFirst bool) (*stripe.Provider, *recorder) {
	t.Helper()
	target, err := url.Parse(testenv.MustStripeMock(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{failFirst: failFirst}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, sent{method: req.Method, path: req.URL.Path, key: req.Header.Get("Idempotency-Key"), auth: req.Header.Get("Authorization"), form: form})
		fail := rec.failFirst && req.Method == http.MethodPost
		rec.failFirst = rec.failFirst && !fail
		rec.mu.Unlock()
		if fail {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return stripe.New(stripe.Options{SecretKey: "sk_test_shop", WebhookSecret: "whsec_shop_test", APIURL: srv.URL, Timeout: 10 * time.Second}), rec
}

var request = models.PaymentRequest{
	PaymentID: "5b0f6bb2-5a8f-5f62-9d43-0d1b3b1c7a11", OrderID: "0c8f7e7a-41b2-4a8e-9a55-0b3b7c6c2d10", CustomerID: "customer-1",
	Attempt: 2, Amount: 9008, Currency: "eur", IdempotencyKey: "shop-payment-0c8f7e7a-41b2-4a8e-9a55-0b3b7c6c2d10-2",
}

func TestCreatePayment(t *testing.T) {
	t.Parallel()
	p, rec := MustRecordingStripe(t, false)
	got, err := p.CreatePayment(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.ID, "pi_") || !strings.Contains(got.ClientSecret, "_secret_") || got.Status != models.PaymentRequiresPaymentMethod {
		t.Fatalf("payment %+v", got)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	want := url.Values{
		"amount": {"9008"}, "currency": {"eur"}, "automatic_payment_methods[enabled]": {"true"},
		"description":          {"shop order " + request.OrderID},
		"metadata[order_id]":   {request.OrderID},
		"metadata[payment_id]": {request.PaymentID}, "metadata[customer_id]": {"customer-1"}, "metadata[attempt]": {"2"},
	}
	if r.method != http.MethodPost || r.path != "/v1/payment_intents" || r.key != request.IdempotencyKey || r.auth != "Bearer sk_test_shop" {
		t.Fatalf("request %s %s, key %q, auth %q", r.method, r.path, r.key, r.auth)
	}
	for k, v := range want {
		if r.form.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, r.form.Get(k), v[0])
		}
	}
	if len(r.form) != len(want) {
		t.Errorf("sent %d parameters, want %d: %v", len(r.form), len(want), r.form)
	}
}

// A call lost on the network is retried by stripe-go with the same
// idempotency key, so Stripe answers the retry with the first call's
// payment, if it made one, rather than making a second.
func TestRetriesKeepTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	p, rec := MustRecordingStripe(t, true)
	if _, err := p.CreatePayment(context.Background(), request); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 2 || reqs[0].key != request.IdempotencyKey || reqs[1].key != request.IdempotencyKey || reqs[1].form.Get("amount") != "9008" {
		t.Fatalf("requests %+v; want the call and its retry, under one key", reqs)
	}
}

func TestRetrievePayment(t *testing.T) {
	t.Parallel()
	p, rec := MustRecordingStripe(t, false)
	got, err := p.RetrievePayment(context.Background(), "pi_123")
	if err != nil || got.ID != "pi_123" || got.ClientSecret == "" {
		t.Fatalf("retrieve: %+v, %v", got, err)
	}
	if r := rec.all(); len(r) != 1 || r[0].method != http.MethodGet || r[0].path != "/v1/payment_intents/pi_123" || r[0].key != "" {
		t.Fatalf("requests %+v", r)
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	p, rec := MustRecordingStripe(t, false)
	got, err := p.Refund(context.Background(), models.RefundRequest{
		PaymentID: request.PaymentID, OrderID: request.OrderID, ProviderPaymentID: "pi_123",
		Amount: 9008, Currency: "eur", IdempotencyKey: "shop-refund-" + request.PaymentID,
	})
	if err != nil || !strings.HasPrefix(got.ID, "re_") {
		t.Fatalf("refund: %+v, %v", got, err)
	}
	r := rec.all()
	if len(r) != 1 || r[0].method != http.MethodPost || r[0].path != "/v1/refunds" || r[0].key != "shop-refund-"+request.PaymentID {
		t.Fatalf("requests %+v", r)
	}
	want := url.Values{"payment_intent": {"pi_123"}, "amount": {"9008"}, "reason": {"requested_by_customer"},
		"metadata[order_id]": {request.OrderID}, "metadata[payment_id]": {request.PaymentID}}
	for k, v := range want {
		if r[0].form.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, r[0].form.Get(k), v[0])
		}
	}
	if len(r[0].form) != len(want) {
		t.Errorf("sent %v", r[0].form)
	}
}

// An error from Stripe comes back in a few words: stripe-go's own text of
// it is the whole error object, which can carry a PaymentIntent's client
// secret and a card's details.
func TestErrorsSayLittle(t *testing.T) {
	t.Parallel()
	p, _ := MustRecordingStripe(t, false)
	_, err := p.RetrievePayment(context.Background(), "") // no such URL at stripe-mock
	if err == nil {
		t.Fatal("a malformed id was found")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "stripe: retrieve a PaymentIntent: Unrecognized request URL") || strings.Contains(msg, "{") || strings.Contains(msg, "secret") {
		t.Fatalf("error %q", msg)
	}
}

// A key Stripe refuses is not repeated in the error, though Stripe (here,
// stripe-mock) quotes it: neither a test key nor one of another shape that
// config lets through (it checks only the sk_ or rk_ prefix).
func TestRefusedKeyIsNotRepeated(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"sk_test_not_valid_looking_to_stripe_mock", "sk_fooSECRETbar", "rk_SECRET-with-dash", "sk_live_abc-SECRET.def"} {
		p := stripe.New(stripe.Options{SecretKey: key, WebhookSecret: "whsec_x", APIURL: testenv.MustStripeMock(t)})
		_, err := p.CreatePayment(context.Background(), request)
		if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), key) ||
			!strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("key %s: err = %v", key, err)
		}
	}
}

// A Stripe that does not answer fails the call within the timeout.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	p := stripe.New(stripe.Options{SecretKey: "sk_test_shop", WebhookSecret: "whsec_x", APIURL: "http://" + testenv.ClosedAddr(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.CreatePayment(ctx, request); err == nil || !strings.HasPrefix(err.Error(), "stripe: create a PaymentIntent") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	p, _ := MustRecordingStripe(t, false)
	body := []byte(`{"id":"evt_1","object":"event","api_version":"2025-01-27.acacia","type":"payment_intent.payment_failed",` +
		`"data":{"object":{"id":"pi_9","object":"payment_intent","amount":100,"currency":"eur","last_payment_error":{"message":"Your card has insufficient funds."}}}}`)
	header := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_shop_test"}).Header
	e, err := p.ParseWebhook(body, header)
	if err != nil || e.Provider != "stripe" || e.ProviderPaymentID != "pi_9" || e.FailureMessage != "Your card has insufficient funds." {
		t.Fatalf("event %+v, %v", e, err)
	}
	other := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_other"}).Header
	if _, err := p.ParseWebhook(body, other); models.ErrorCode(err) != errcode.BadRequest {
		t.Fatalf("another endpoint's signature: %v", err)
	}
}
