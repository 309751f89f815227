// Package expiry cancels the orders nobody paid for, deletes carts left
// alone for CART_TTL, and forgets old idempotency keys, webhook event ids
// and outbox events, in the background, safely with several instances
// running: each batch is one transaction that takes only orders no other
// instance holds (the store's ExpireOrders).
package expiry

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"shop/models"
)

// Store is what the worker needs. Its writes record their events like any
// other, so restocked products are invalidated like any other write.
type Store interface {
	PurgeEvents(ctx context.Context, cutoff time.Time) (int64, error)
	PurgeWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error)
	ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error)
	PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
	PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error)
	DeleteStaleCarts(ctx context.Context, cutoff time.Time, limit int) (int64, error)
	// PurgeEmails deletes the emails sent or failed before cutoff, and
	// the account tokens expired before it (issue 21).
	PurgeEmails(ctx context.Context, cutoff time.Time) (int64, error)
}

// batch is how many orders one transaction cancels.
const batch = 100

// Worker expires pending orders older than TTL.
type Worker struct {
	Store Store
	TTL   time.Duration // 0: orders never expire (keys are still purged)
	Every time.Duration // how often to look
	// EventsRetention is how long the outbox keeps events (0: for ever).
	EventsRetention time.Duration
	// CartTTL is how long an open cart lives without a change (0: for
	// ever).
	CartTTL time.Duration
	Logger  *slog.Logger
	Now     func() time.Time

	expired atomic.Uint64
}

// Expired counts the orders this worker cancelled, for metrics.
func (w *Worker) Expired() uint64 { return w.expired.Load() }

// Run works every Every until ctx ends, and returns when the pass under way
// has finished.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Every)
	defer t.Stop()
	for {
		w.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass expires every order due now, in batches, and purges expired keys.
func (w *Worker) Pass(ctx context.Context) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	if w.TTL > 0 {
		note := models.ExpiryNote(w.TTL)
		for ctx.Err() == nil {
			orders, err := w.Store.ExpireOrders(ctx, now().Add(-w.TTL), note, batch)
			if err != nil {
				w.Logger.Warn("expiring unpaid orders failed; retrying at the next pass", "err", err)
				break
			}
			if len(orders) > 0 {
				w.expired.Add(uint64(len(orders)))
				w.Logger.Info("cancelled unpaid orders", "count", len(orders), "ttl", w.TTL.String())
			}
			if len(orders) < batch {
				break
			}
		}
	}
	if n, err := w.Store.PurgeIdempotencyKeys(ctx, now().Add(-models.IdempotencyKeyTTL)); err != nil {
		w.Logger.Warn("purging idempotency keys failed", "err", err)
	} else if n > 0 {
		w.Logger.Info("purged expired idempotency keys", "count", n)
	}
	if n, err := w.Store.PurgeProcessedEvents(ctx, now().Add(-models.ProcessedEventRetention)); err != nil {
		w.Logger.Warn("purging processed webhook events failed", "err", err)
	} else if n > 0 {
		w.Logger.Info("purged old processed webhook events", "count", n)
	}
	if w.CartTTL > 0 {
		for ctx.Err() == nil {
			n, err := w.Store.DeleteStaleCarts(ctx, now().Add(-w.CartTTL), batch)
			if err != nil {
				w.Logger.Warn("deleting stale carts failed", "err", err)
				break
			}
			if n > 0 {
				w.Logger.Info("deleted stale carts", "count", n, "ttl", w.CartTTL.String())
			}
			if n < batch {
				break
			}
		}
	}
	if w.EventsRetention > 0 {
		if n, err := w.Store.PurgeEvents(ctx, now().Add(-w.EventsRetention)); err != nil {
			w.Logger.Warn("purging old outbox events failed", "err", err)
		} else if n > 0 {
			w.Logger.Info("purged old outbox events", "count", n)
		}
		// Deliveries done (delivered or failed) go with their events.
		if n, err := w.Store.PurgeWebhookDeliveries(ctx, now().Add(-w.EventsRetention)); err != nil {
			w.Logger.Warn("purging old webhook deliveries failed", "err", err)
		} else if n > 0 {
			w.Logger.Info("purged old webhook deliveries", "count", n)
		}
		// The emails go with the events they came from: a purged event
		// can't be handed over again, so its email's dedupe key has done
		// its work.
		if n, err := w.Store.PurgeEmails(ctx, now().Add(-w.EventsRetention)); err != nil {
			w.Logger.Warn("purging old emails failed", "err", err)
		} else if n > 0 {
			w.Logger.Info("purged old emails", "count", n)
		}
	}
}
