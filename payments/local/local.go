// Package local is the payment provider of the embedded default: no money
// moves and no outside service is called, yet a payment goes the way a
// Stripe payment does. createPayment makes a payment here; a developer or a
// test then says how it went by sending a signed webhook event to POST
// /webhooks/local (or through the admins' confirmLocalPayment mutation,
// which signs one and hands it to the same code). The events are Stripe's,
// byte for byte in form, signed with Stripe's scheme under the local
// webhook secret, and verified by the same code as Stripe's.
package local

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"shop/models"
	"shop/payments"
)

// Provider is the local payment provider. It keeps no state: a payment's
// id comes from its idempotency key (so a repeated call returns the same
// payment, as at Stripe), and its client secret from the id and the secret.
type Provider struct {
	secret string
}

var (
	_ models.PaymentProvider = (*Provider)(nil)
	_ payments.LocalSigner   = (*Provider)(nil)
)

// New makes the provider with the webhook secret its events are signed
// with. An empty secret gets a random one: confirmLocalPayment still works
// (it signs in process), and nobody outside can sign an event.
func New(webhookSecret string) *Provider {
	if webhookSecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		webhookSecret = "whsec_local_" + hex.EncodeToString(b)
	}
	return &Provider{secret: webhookSecret}
}

func (p *Provider) Name() string { return models.ProviderLocal }

func (p *Provider) CreatePayment(ctx context.Context, req models.PaymentRequest) (models.ProviderPayment, error) {
	if err := ctx.Err(); err != nil {
		return models.ProviderPayment{}, err
	}
	id := "lpi_" + digest(req.IdempotencyKey)
	return models.ProviderPayment{ID: id, ClientSecret: p.clientSecret(id), Status: models.PaymentRequiresPaymentMethod}, nil
}

// RetrievePayment returns the client secret; the status, which only the
// events say, is left empty.
func (p *Provider) RetrievePayment(ctx context.Context, id string) (models.ProviderPayment, error) {
	if err := ctx.Err(); err != nil {
		return models.ProviderPayment{}, err
	}
	return models.ProviderPayment{ID: id, ClientSecret: p.clientSecret(id)}, nil
}

func (p *Provider) Refund(ctx context.Context, req models.RefundRequest) (models.ProviderRefund, error) {
	if err := ctx.Err(); err != nil {
		return models.ProviderRefund{}, err
	}
	return models.ProviderRefund{ID: "lre_" + digest(req.IdempotencyKey), Status: "succeeded"}, nil
}

func (p *Provider) ParseWebhook(payload []byte, signature string) (models.PaymentEvent, error) {
	return payments.ParseEvent(models.ProviderLocal, payload, signature, p.secret)
}

// SignedEvent is the event a provider would send when payment pay went the
// way eventType says, signed now: its amount and currency are the
// payment's. A failure says the card was declined, as a test card would.
func (p *Provider) SignedEvent(pay models.Payment, eventType string) ([]byte, string) {
	object := map[string]any{
		"id": pay.ProviderID, "object": "payment_intent", "amount": int64(pay.Amount), "currency": pay.Currency,
		"status":   statusAfter(eventType),
		"metadata": map[string]string{"order_id": pay.OrderID, "payment_id": pay.ID},
	}
	if eventType == models.EventPaymentFailed {
		object["last_payment_error"] = map[string]any{"message": "Your card was declined (local provider).", "code": "card_declined"}
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	payload, _ := json.Marshal(map[string]any{
		"id": "evt_local_" + hex.EncodeToString(id), "object": "event", "api_version": stripeapi.APIVersion,
		"created": time.Now().Unix(), "type": eventType, "livemode": false,
		"data": map[string]any{"object": object},
	})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: p.secret, Timestamp: time.Now()})
	return payload, signed.Header
}

func statusAfter(eventType string) string {
	switch eventType {
	case models.EventPaymentSucceeded:
		return models.PaymentSucceeded
	case models.EventPaymentProcessing:
		return models.PaymentProcessing
	case models.EventPaymentRequiresAction:
		return models.PaymentRequiresAction
	case models.EventPaymentCanceled:
		return models.PaymentCanceled
	}
	return models.PaymentRequiresPaymentMethod
}

func (p *Provider) clientSecret(id string) string {
	mac := hmac.New(sha256.New, []byte(p.secret))
	mac.Write([]byte(id))
	return id + "_secret_" + hex.EncodeToString(mac.Sum(nil))[:24]
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
