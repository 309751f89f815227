// Package stripe takes payments through Stripe PaymentIntents, with
// stripe-go: it creates a PaymentIntent for an order's total, hands its
// client secret to the customer's app (which pays with Stripe's own SDK,
// so no card ever reaches shop), refunds it, and verifies Stripe's signed
// webhooks.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"

	"shop/models"
	"shop/payments"
)

// Options configure the provider.
type Options struct {
	// SecretKey is STRIPE_SECRET_KEY (sk_test_… or sk_live_…, or a
	// restricted rk_… key that may write PaymentIntents and Refunds).
	SecretKey string
	// WebhookSecret is STRIPE_WEBHOOK_SECRET (whsec_…), the signing secret
	// of the webhook endpoint.
	WebhookSecret string
	// APIURL is STRIPE_API_URL; empty means Stripe itself. Tests point it
	// at stripe-mock.
	APIURL string
	// Timeout bounds one HTTP request to Stripe.
	Timeout time.Duration
}

// Provider is the Stripe payment provider.
type Provider struct {
	client        *stripeapi.Client
	webhookSecret string
	// secretKey is kept only to blank it out of errors (redact).
	secretKey string
}

var _ models.PaymentProvider = (*Provider)(nil)

// New makes the provider. stripe-go retries a request that failed on the
// network twice, with the same idempotency key, so a retry never charges
// twice. Its own logging is off: its error lines carry the failed request's
// objects (a card's brand, last four digits and expiry among them), and
// shop logs what it needs of an error itself (safeError).
func New(o Options) *Provider {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	cfg := &stripeapi.BackendConfig{
		HTTPClient:        &http.Client{Timeout: o.Timeout},
		LeveledLogger:     &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
		MaxNetworkRetries: stripeapi.Int64(2),
	}
	if o.APIURL != "" {
		cfg.URL = stripeapi.String(o.APIURL)
	}
	return &Provider{
		client:        stripeapi.NewClient(o.SecretKey, stripeapi.WithBackends(stripeapi.NewBackendsWithConfig(cfg))),
		webhookSecret: o.WebhookSecret,
		secretKey:     o.SecretKey,
	}
}

func (p *Provider) Name() string { return models.ProviderStripe }

// CreatePayment creates a PaymentIntent for the order's total, in minor
// units, with automatic payment methods (whatever the Dashboard enables),
// under the attempt's idempotency key. The metadata is for people reading
// the Dashboard; webhooks find the payment by the PaymentIntent's id.
func (p *Provider) CreatePayment(ctx context.Context, req models.PaymentRequest) (models.ProviderPayment, error) {
	params := &stripeapi.PaymentIntentCreateParams{
		Amount:                  stripeapi.Int64(int64(req.Amount)),
		Currency:                stripeapi.String(req.Currency),
		AutomaticPaymentMethods: &stripeapi.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripeapi.Bool(true)},
		Description:             stripeapi.String("shop order " + req.OrderID),
		Metadata: map[string]string{
			"order_id": req.OrderID, "payment_id": req.PaymentID, "customer_id": req.CustomerID, "attempt": strconv.Itoa(req.Attempt),
		},
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return models.ProviderPayment{}, p.safeError("create a PaymentIntent", err)
	}
	return models.ProviderPayment{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status)}, nil
}

// RetrievePayment reads a PaymentIntent (a GET, which takes no
// idempotency key).
func (p *Provider) RetrievePayment(ctx context.Context, id string) (models.ProviderPayment, error) {
	pi, err := p.client.V1PaymentIntents.Retrieve(ctx, id, nil)
	if err != nil {
		return models.ProviderPayment{}, p.safeError("retrieve a PaymentIntent", err)
	}
	return models.ProviderPayment{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status)}, nil
}

// Refund refunds a PaymentIntent in full, under the payment's refund key.
func (p *Provider) Refund(ctx context.Context, req models.RefundRequest) (models.ProviderRefund, error) {
	params := &stripeapi.RefundCreateParams{
		PaymentIntent: stripeapi.String(req.ProviderPaymentID),
		Amount:        stripeapi.Int64(int64(req.Amount)),
		Reason:        stripeapi.String(string(stripeapi.RefundReasonRequestedByCustomer)),
		Metadata:      map[string]string{"order_id": req.OrderID, "payment_id": req.PaymentID},
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	r, err := p.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return models.ProviderRefund{}, p.safeError("create a Refund", err)
	}
	if r.Status == stripeapi.RefundStatusFailed || r.Status == stripeapi.RefundStatusCanceled {
		return models.ProviderRefund{}, fmt.Errorf("stripe: refund %s is %s", r.ID, r.Status)
	}
	return models.ProviderRefund{ID: r.ID, Status: string(r.Status)}, nil
}

// ParseWebhook verifies the Stripe-Signature header with the endpoint's
// signing secret (payments.ParseEvent).
func (p *Provider) ParseWebhook(payload []byte, signature string) (models.PaymentEvent, error) {
	return payments.ParseEvent(models.ProviderStripe, payload, signature, p.webhookSecret)
}

// safeError keeps of a Stripe error what helps its reader and nothing that
// must not be logged: stripe-go's own text of an error is the whole error
// as JSON, which can hold the PaymentIntent (and so its client secret) and
// the payment method (a card's details). The message itself may quote the
// key that was refused (stripe-mock quotes it whole), so keys and secrets
// are blanked out of it: anything shaped like one, and the configured key
// itself, whatever its shape (config only checks that it starts with sk_
// or rk_).
func (p *Provider) safeError(doing string, err error) error {
	var se *stripeapi.Error
	if errors.As(err, &se) {
		return fmt.Errorf("stripe: %s: %s (type %s, code %s, decline code %s, HTTP %d, request %s)",
			doing, p.redact(se.Msg), se.Type, se.Code, se.DeclineCode, se.HTTPStatusCode, se.RequestID)
	}
	return fmt.Errorf("stripe: %s: %s", doing, p.redact(err.Error()))
}

// secretish matches Stripe's secret and restricted keys (sk_test_…,
// rk_live_…, and any other sk_/rk_ form), webhook secrets and client
// secrets.
var secretish = regexp.MustCompile(`\b(sk|rk)_[0-9A-Za-z_]+|\bwhsec_[0-9A-Za-z_]+|_secret_[0-9A-Za-z]+`)

func (p *Provider) redact(s string) string {
	if p.secretKey != "" {
		s = strings.ReplaceAll(s, p.secretKey, "[redacted]")
	}
	return secretish.ReplaceAllString(s, "[redacted]")
}
