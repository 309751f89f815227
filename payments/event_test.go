package payments_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"shop/errcode"
	"shop/models"
	"shop/payments"
)

const testSecret = "whsec_test_secret"

// stripeEvent is a webhook body as Stripe sends it, written out here rather
// than built by the code under test.
func stripeEvent(id, typ, pi string, amount int64, currency string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2024-06-20","created":1764072000,"type":%q,"livemode":false,`+
		`"data":{"object":{"id":%q,"object":"payment_intent","amount":%d,"currency":%q,"status":"succeeded",`+
		`"last_payment_error":{"message":"Your card was declined.","code":"card_declined"},"metadata":{"order_id":"whatever"}}}}`,
		id, typ, pi, amount, currency))
}

// sign is Stripe-Signature for payload, signed with secret at t.
func sign(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: t}).Header
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	body := stripeEvent("evt_1", models.EventPaymentSucceeded, "pi_1", 1250, "USD")
	now := time.Now()
	tampered := bytes.Replace(body, []byte(`"amount":1250`), []byte(`"amount":1`), 1)
	for _, tt := range []struct {
		name, header string
		body         []byte
		wantErr      string // part of the message of a BAD_REQUEST; "" for success
	}{
		{"good", sign(body, testSecret, now), body, ""},
		{"signed 4 minutes ago", sign(body, testSecret, now.Add(-4*time.Minute)), body, ""},
		{"no signature", "", body, "no Stripe-Signature header"},
		{"malformed header", "t=abc,v1=00", body, "malformed"},
		{"wrong secret", sign(body, "whsec_someone_else", now), body, "does not match"},
		{"signed 4 minutes ahead (clock drift)", sign(body, testSecret, now.Add(4*time.Minute)), body, ""},
		{"signed 6 minutes ahead", sign(body, testSecret, now.Add(6*time.Minute)), body, "ahead"},
		{"signed 10 years ahead", sign(body, testSecret, now.AddDate(10, 0, 0)), body, "ahead"},
		{"a second t= ahead, the one signed", "t=" + strconv.FormatInt(now.Unix(), 10) + "," + sign(body, testSecret, now.AddDate(10, 0, 0)), body, "ahead"},
		{"stale: signed 6 minutes ago", sign(body, testSecret, now.Add(-6*time.Minute)), body, "older than the 5 minutes"},
		{"tampered body", sign(body, testSecret, now), tampered, "does not match"},
		{"signature of another body", sign(tampered, testSecret, now), body, "does not match"},
		{"not an event", sign([]byte(`{"object":"payment_intent","id":"pi_1"}`), testSecret, now), []byte(`{"object":"payment_intent","id":"pi_1"}`), "not an event"},
		{"not JSON", sign([]byte(`nope`), testSecret, now), []byte(`nope`), "not an event"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := payments.ParseEvent("stripe", tt.body, tt.header, testSecret)
			if tt.wantErr != "" {
				if models.ErrorCode(err) != errcode.BadRequest || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %+v, %v; want BAD_REQUEST saying %q", e, err, tt.wantErr)
				}
				return
			}
			want := models.PaymentEvent{Provider: "stripe", ID: "evt_1", Type: models.EventPaymentSucceeded, ProviderPaymentID: "pi_1",
				Amount: 1250, Currency: "usd", FailureMessage: "Your card was declined."}
			if err != nil || e != want {
				t.Fatalf("got %+v, %v\nwant %+v", e, err, want)
			}
		})
	}
}

// What a signed event says is stored or looked up as it is, so what the
// database cannot hold is refused (400), or dropped from text, rather than
// failing the delivery with a 500 the provider retries for days.
func TestParseEventKeepsToWhatCanBeStored(t *testing.T) {
	t.Parallel()
	parse := func(body []byte) (models.PaymentEvent, error) {
		return payments.ParseEvent("stripe", body, sign(body, testSecret, time.Now()), testSecret)
	}
	// nul puts a JSON-escaped NUL where "NUL" is in an event's body.
	nul := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("NUL"), []byte(`\u0000`)) }
	for name, body := range map[string][]byte{
		"an event id of 256 bytes":        stripeEvent("evt_"+strings.Repeat("x", 252), models.EventPaymentSucceeded, "pi_1", 1250, "usd"),
		"a NUL in the event id":           nul(stripeEvent("evt_NUL", models.EventPaymentSucceeded, "pi_1", 1250, "usd")),
		"a PaymentIntent id of 256 bytes": stripeEvent("evt_1", models.EventPaymentSucceeded, "pi_"+strings.Repeat("x", 253), 1250, "usd"),
		"a NUL in the PaymentIntent id":   nul(stripeEvent("evt_1", models.EventPaymentSucceeded, "pi_NUL", 1250, "usd")),
	} {
		e, err := parse(body)
		if models.ErrorCode(err) != errcode.BadRequest || strings.Contains(err.Error(), "not an event") {
			t.Errorf("%s: %+v, %v; want BAD_REQUEST about the id", name, e, err)
		}
	}
	if e, err := parse(stripeEvent("evt_"+strings.Repeat("x", 251), models.EventPaymentSucceeded, "pi_1", 1250, "usd")); err != nil || len(e.ID) != 255 {
		t.Fatalf("an event id of 255 bytes: %+v, %v", e, err)
	}
	body := nul(bytes.Replace(stripeEvent("evt_1", models.EventPaymentFailed, "pi_1", 1250, "uNULsd"), []byte("Your card"), []byte("YourNUL card"), 1))
	e, err := parse(body)
	if err != nil || e.Currency != "usd" || e.FailureMessage != "Your card was declined." {
		t.Fatalf("NULs in the currency and failure message: %+v, %v", e, err)
	}
}

// Events of types shop does not act on are read no further than their id
// and type.
func TestParseOtherEvents(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_2","object":"event","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge"}}}`)
	e, err := payments.ParseEvent("stripe", body, sign(body, testSecret, time.Now()), testSecret)
	if err != nil || e.ID != "evt_2" || e.Type != "charge.refunded" || e.Handled() || e.ProviderPaymentID != "" {
		t.Fatalf("got %+v, %v", e, err)
	}
	body = []byte(`{"id":"evt_3","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent"}}}`)
	if _, err := payments.ParseEvent("stripe", body, sign(body, testSecret, time.Now()), testSecret); models.ErrorCode(err) != errcode.BadRequest {
		t.Fatalf("a PaymentIntent event without the PaymentIntent's id: %v", err)
	}
}
