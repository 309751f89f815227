package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// TestWebhookClaims: on both databases, a delivery is due only after the
// earlier ones of its endpoint and ordering key; a claim holds it until
// its lease ends, after which another sender takes it over (and the first
// one's result is refused); an endpoint failing past the rule is
// disabled with an event, and its deliveries are no longer claimed; done
// deliveries are purged.
func TestWebhookClaims(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ep, err := s.CreateWebhookEndpoint(ctx, models.WebhookEndpoint{URL: "https://203.0.113.1/x", Events: []string{"order.placed", "order.cancelled"}, Secret: models.NewWebhookSecret()})
		if err != nil {
			t.Fatal(err)
		}
		msgs := []models.WebhookMessage{
			{ID: "evt_1", Type: "order.placed", OrderingKey: "o1", Body: "{}"},
			{ID: "evt_2", Type: "order.status_changed", OrderingKey: "o1", Body: "{}"}, // not wanted
			{ID: "evt_3_cancelled", Type: "order.cancelled", OrderingKey: "o1", Body: "{}"},
			{ID: "evt_4", Type: "order.placed", OrderingKey: "o2", Body: "{}"},
		}
		if n, err := s.EnqueueWebhooks(ctx, msgs); err != nil || n != 3 {
			t.Fatalf("queued %d: %v", n, err)
		}
		ids := func(cs []models.WebhookClaim) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.EventID)
			}
			return out
		}
		first, err := s.ClaimWebhookDeliveries(ctx, time.Hour, 10)
		if err != nil || len(first) != 2 || first[0].EventID != "evt_1" || first[1].EventID != "evt_4" || first[0].URL != ep.URL || first[0].Secret != ep.Secret {
			t.Fatalf("first claim: %v %v", ids(first), err)
		}
		if again, _ := s.ClaimWebhookDeliveries(ctx, time.Hour, 10); len(again) != 0 {
			t.Fatalf("claimed while leased, or out of order: %v", ids(again))
		}
		// evt_1 fails, to be retried at once: evt_3 still waits for it.
		now := time.Now()
		noChange := func(e models.WebhookEndpoint) (models.WebhookEndpoint, bool) {
			return models.EndpointAfterFailure(e, now, 72*time.Hour)
		}
		if err := s.RecordWebhookAttempt(ctx, models.WebhookAttempt{Claim: first[0], At: now, Error: "HTTP 503", NextAttemptAt: &now}, noChange); err != nil {
			t.Fatal(err)
		}
		retry, _ := s.ClaimWebhookDeliveries(ctx, time.Hour, 10)
		if len(retry) != 1 || retry[0].EventID != "evt_1" || retry[0].Attempts != 1 {
			t.Fatalf("after the failure: %v", ids(retry))
		}
		ok := 204
		if err := s.RecordWebhookAttempt(ctx, models.WebhookAttempt{Claim: retry[0], At: time.Now(), Delivered: true, ResponseStatus: &ok}, noChange); err != nil {
			t.Fatal(err)
		}
		next, _ := s.ClaimWebhookDeliveries(ctx, time.Microsecond, 10)
		if len(next) != 1 || next[0].EventID != "evt_3_cancelled" {
			t.Fatalf("after evt_1 delivered: %v", ids(next))
		}
		// Its lease runs out: another sender takes it over, and the first
		// sender's late result is refused.
		var taken []models.WebhookClaim
		deadline := time.Now().Add(5 * time.Second)
		for len(taken) == 0 && time.Now().Before(deadline) {
			taken, _ = s.ClaimWebhookDeliveries(ctx, time.Hour, 10)
		}
		if len(taken) != 1 || taken[0].ID != next[0].ID || taken[0].Token == next[0].Token {
			t.Fatalf("after the lease: %v", ids(taken))
		}
		if err := s.RecordWebhookAttempt(ctx, models.WebhookAttempt{Claim: next[0], At: time.Now(), Delivered: true}, noChange); !errors.Is(err, models.ErrLeaseLost) {
			t.Fatalf("a lost lease's result: %v", err)
		}
		// evt_4 fails with the endpoint failing for 3 days: disabled, with
		// an event; nothing more is claimed.
		longAgo := now.Add(-73 * time.Hour)
		disable := func(e models.WebhookEndpoint) (models.WebhookEndpoint, bool) {
			e.FailingSince = &longAgo
			return models.EndpointAfterFailure(e, now, 72*time.Hour)
		}
		if err := s.RecordWebhookAttempt(ctx, models.WebhookAttempt{Claim: first[1], At: now, Error: "timeout", NextAttemptAt: &now}, disable); err != nil {
			t.Fatal(err)
		}
		eps, _ := s.WebhookEndpoints(ctx)
		if len(eps) != 1 || eps[0].Enabled || eps[0].DisabledReason == nil || eps[0].FailingSince == nil {
			t.Fatalf("after 3 days failing: %+v", eps)
		}
		evs, _ := s.Events(ctx, 0, 100)
		if len(evs) == 0 || evs[len(evs)-1].Type != models.EventWebhookEndpointDisabled || evs[len(evs)-1].Subject != ep.ID {
			t.Fatalf("no %s event: %+v", models.EventWebhookEndpointDisabled, evs)
		}
		if cs, _ := s.ClaimWebhookDeliveries(ctx, time.Hour, 10); len(cs) != 0 {
			t.Fatalf("claimed for a disabled endpoint: %v", ids(cs))
		}
		if n, _ := s.EnqueueWebhooks(ctx, msgs); n != 0 {
			t.Fatalf("queued %d for a disabled endpoint", n)
		}
		// Done deliveries are purged; pending ones stay.
		if n, err := s.PurgeWebhookDeliveries(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
		ds, more, err := s.WebhookDeliveries(ctx, ep.ID, "", 10, 0)
		if err != nil || more || len(ds) != 2 {
			t.Fatalf("left: %+v %v", ds, err)
		}
	})
}
