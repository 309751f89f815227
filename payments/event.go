package payments

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/stripe/stripe-go/v85/webhook"

	"shop/errcode"
	"shop/models"
)

// Tolerance is how old a webhook's signature may be: an event replayed
// later than this is refused, even with a good signature.
const Tolerance = webhook.DefaultTolerance // 5 minutes

// FutureTolerance is how far ahead of shop's clock a signature may be
// dated. stripe-go checks only the past, so a delivery signed for
// t=now+10 years would be good for ten years to whoever captured it; a
// few minutes cover the drift between Stripe's clock and ours.
const FutureTolerance = 5 * time.Minute

// ParseEvent verifies a webhook in Stripe's format, which the local
// provider sends too: the Stripe-Signature header (t=…,v1=…) must be an
// HMAC-SHA256 of the raw body with secret, made within Tolerance. It reads
// what shop needs of a payment_intent.* event; other types come back with
// their id and type only.
//
// The event's API version is not checked against stripe-go's: shop reads
// only the event's id and type and the PaymentIntent's id, amount,
// currency and last error's message, which every API version has in the
// same place, so a webhook endpoint pinned to an older version keeps
// working after an upgrade of stripe-go.
func ParseEvent(provider string, payload []byte, signature, secret string) (models.PaymentEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, signature, secret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return models.PaymentEvent{}, badWebhook(err)
	}
	if signedAt(signature).After(time.Now().Add(FutureTolerance)) {
		return models.PaymentEvent{}, badRequest("The webhook's signature is dated more than the 5 minutes allowed ahead of shop's clock.")
	}
	out := models.PaymentEvent{Provider: provider, ID: ev.ID, Type: string(ev.Type)}
	if out.ID == "" || out.Type == "" {
		return models.PaymentEvent{}, badRequest("The event has no id or type.")
	}
	if !storableID(out.ID) {
		return models.PaymentEvent{}, badRequest("The event's id is not one a provider gives.")
	}
	if !strings.HasPrefix(out.Type, "payment_intent.") || ev.Data == nil {
		return out, nil
	}
	var pi struct {
		ID               string `json:"id"`
		Amount           int64  `json:"amount"`
		Currency         string `json:"currency"`
		LastPaymentError *struct {
			Message string `json:"message"`
		} `json:"last_payment_error"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil || pi.ID == "" || !storableID(pi.ID) {
		return models.PaymentEvent{}, badRequest("The event's data.object is not a PaymentIntent.")
	}
	out.ProviderPaymentID, out.Amount, out.Currency = pi.ID, pi.Amount, strings.ToLower(noNUL(pi.Currency))
	if pi.LastPaymentError != nil {
		out.FailureMessage = noNUL(pi.LastPaymentError.Message)
	}
	return out, nil
}

// signedAt is the time a Stripe-Signature header was signed at, read as
// stripe-go reads it (the last t= wins, and it is that one the signature
// covers). The header has been verified by then, so it parses.
func signedAt(header string) time.Time {
	var at time.Time
	for _, pair := range strings.Split(header, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok && k == "t" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				at = time.Unix(n, 0)
			}
		}
	}
	return at
}

// storableID reports whether a provider's id (an event's, a
// PaymentIntent's) can be looked up and stored as it is: at most 255 bytes
// (the columns' size) and no control characters (PostgreSQL refuses a NUL
// in text). Stripe's ids are short and alphanumeric; a signed event with
// another is answered 400 rather than a 500 the provider retries for days.
func storableID(id string) bool {
	return len(id) <= 255 && strings.IndexFunc(id, unicode.IsControl) < 0
}

// noNUL drops NUL characters, which PostgreSQL refuses in text, from what
// an event says that shop writes down (in a note, or a payment's error).
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// badWebhook says what is wrong with a delivery, without echoing any of it.
func badWebhook(err error) error {
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return badRequest("The webhook has no Stripe-Signature header.")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return badRequest("The webhook's Stripe-Signature header is malformed.")
	case errors.Is(err, webhook.ErrTooOld):
		return badRequest("The webhook's signature is older than the 5 minutes allowed.")
	case errors.Is(err, webhook.ErrNoValidSignature):
		return badRequest("The webhook's signature does not match its body.")
	}
	return badRequest("The webhook's body is not an event.")
}

func badRequest(msg string) error { return &models.Error{Code: errcode.BadRequest, Message: msg} }
