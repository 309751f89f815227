package cache

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"shop/models"
)

// Invalidator retires what writes change. It hears of a write twice:
//
//   - on the instance that writes, as the store's Sink (Writing): the keys
//     the write's events change are marked untrusted just before its
//     COMMIT, and given new versions (published to the other instances) as
//     soon as the COMMIT has answered, with a marker saying this write is
//     done (markKey);
//   - on whichever instance the outbox's dispatcher hands the events to, as
//     a consumer (Handle): writes whose marker is missing (their instance
//     died between the COMMIT and its invalidation, or Redis failed then)
//     are invalidated from their events. This is the durable path: a write
//     committed is a write invalidated, whatever happens to its instance.
//
// Which keys an event changes is decided in one place, changesOf, from the
// event alone: a new write needs nothing here as long as it records the
// events it causes.
type Invalidator struct {
	backend Backend
	ttl     time.Duration
	logger  *slog.Logger
	stats   Stats
	l1      *local // nil unless EnableLocal was called
	pend    *pending
	bg      background
	// committed hears that writes may have committed (OnCommitted).
	committed atomic.Pointer[func()]
}

// NewInvalidator invalidates entries in backend that live for ttl.
func NewInvalidator(backend Backend, ttl time.Duration, logger *slog.Logger) *Invalidator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &Invalidator{backend: backend, ttl: ttl, logger: logger}
	v.pend = newPending(ttl, func() {
		if v.bg.enter() {
			defer v.bg.leave()
			v.retry()
		}
	})
	return v
}

// markKey says the write's own instance invalidated it.
func markKey(write int64) string { return "w:" + strconv.FormatInt(write, 10) }

// writesOf are the writes events belong to, each once: a write's events
// come together, in the sink and in the outbox's order alike.
func writesOf(events []models.Event) []int64 {
	var out []int64
	for i, e := range events {
		if i == 0 || e.Write != events[i-1].Write {
			out = append(out, e.Write)
		}
	}
	return out
}

// changesOf are the version keys events change, each once, in the order
// first met; a product deleted keeps its deletion whatever else the
// events did to it, and so do its variants.
//
// Per variant (variants.go): stock.changed retires its variant's key
// (variantId; an event without one is of a product's default variant,
// whose id is the product's) besides its product's; product.created,
// updated and deleted retire the keys of the variants they name
// (VariantIDs: every variant of a product created or deleted, or whose
// active flag changed).
func changesOf(events []models.Event) []Change {
	var out []Change
	at := map[string]int{}
	add := func(ch Change) {
		if i, ok := at[ch.Key]; ok {
			if ch.Gone {
				out[i] = ch
			}
			return
		}
		at[ch.Key] = len(out)
		out = append(out, ch)
	}
	keys := func(ks ...string) {
		for _, k := range ks {
			add(Change{Key: k})
		}
	}
	variants := func(ids []string, gone bool) {
		for _, id := range ids {
			if !keyable(id) {
				continue // never cached: no key holds it
			}
			if gone {
				add(Change{Key: variantVersionKey(id), Gone: true, Drop: []string{variantDataKey(id)}})
			} else {
				add(Change{Key: variantVersionKey(id)})
			}
		}
	}
	for _, e := range events {
		switch e.Type {
		case models.EventProductCreated:
			var pc models.ProductChanged
			_ = e.Decode(&pc)
			keys(productVersionKey(e.Subject))
			keys(allListKeys...)
			variants(pc.VariantIDs, false)
		case models.EventProductUpdated:
			var pc models.ProductChanged
			_ = e.Decode(&pc) // a payload that can't be read changes the product alone
			keys(productVersionKey(e.Subject))
			variants(pc.VariantIDs, false)
			for _, c := range pc.Changes {
				switch c {
				case models.ChangedMembership:
					keys(allListKeys...)
				case models.ChangedFields:
					keys(fieldsKey, bothKey)
				case models.ChangedStock:
					keys(stockKey, bothKey)
				}
			}
		case models.EventProductDeleted:
			var pc models.ProductChanged
			_ = e.Decode(&pc)
			add(Change{Key: productVersionKey(e.Subject), Gone: true, Drop: []string{productDataKey(e.Subject), variantsDataKey(e.Subject)}})
			variants(pc.VariantIDs, true)
			keys(allListKeys...)
		case models.EventStockChanged:
			var sc struct {
				VariantID string `json:"variantId"`
			}
			if e.Decode(&sc) != nil || sc.VariantID == "" {
				sc.VariantID = e.Subject
			}
			keys(productVersionKey(e.Subject), variantVersionKey(sc.VariantID), stockKey, bothKey)
		case models.EventCategoryChanged:
			keys(membershipKey)
		case models.EventOrderPlaced, models.EventOrderStatusChanged, models.EventOrderNoted,
			models.EventPaymentStarted, models.EventPaymentSuccess, models.EventPaymentFailure,
			models.EventPaymentRefunded, models.EventPaymentUpdated:
			// An order's customer sees it, its events and its payment
			// only in its own responses.
			var who struct {
				CustomerID string `json:"customerId"`
			}
			if err := e.Decode(&who); err == nil && who.CustomerID != "" {
				keys(customerVersionKey(who.CustomerID))
			}
		}
	}
	return out
}

// Writing is the store's Sink: the keys the write's events change are
// untrusted on this instance from before its COMMIT until their new
// versions are set, which happens once the COMMIT has answered, whatever
// it answered (a write whose COMMIT failed may have committed).
func (c *Invalidator) Writing(events []models.Event) func(context.Context, error) {
	changes := changesOf(events)
	keys := make([]string, len(changes))
	for i, ch := range changes {
		keys[i] = ch.Key
	}
	c.pend.begin(keys, time.Now())
	var marks []string
	for _, w := range writesOf(events) {
		marks = append(marks, markKey(w))
	}
	return func(ctx context.Context, _ error) {
		c.invalidate(ctx, keys, changes, marks)
	}
}

// Handle is the outbox consumer: it invalidates what the writes among
// events changed whose own instance did not (no marker), in one round
// trip to read the markers and one to set the versions. Repeating it is
// harmless (fresh versions again), so the dispatcher may hand the same
// events over twice.
func (c *Invalidator) Handle(ctx context.Context, events []models.Event) error {
	if len(events) == 0 {
		return nil
	}
	writes := writesOf(events)
	marks := make([]string, len(writes))
	for i, w := range writes {
		marks[i] = markKey(w)
	}
	done, err := c.backend.MGet(ctx, marks...)
	if err != nil {
		return fmt.Errorf("read invalidation markers: %w", err)
	}
	skip := map[int64]bool{}
	for i, v := range done {
		if v != nil {
			skip[writes[i]] = true
		}
	}
	var todo []models.Event
	for _, e := range events {
		if !skip[e.Write] {
			todo = append(todo, e)
		}
	}
	changes := changesOf(todo)
	if len(changes) == 0 {
		return nil
	}
	versions, err := c.backend.Bump(ctx, changes, nil, c.ttl)
	if err != nil {
		return fmt.Errorf("invalidate from the outbox: %w", err)
	}
	c.applied(changes, versions)
	c.stats.FromOutbox.Add(uint64(len(changes)))
	c.notify()
	return nil
}

// Subscriber is a backend that delivers other instances' invalidations
// (Redis pub/sub).
type Subscriber interface {
	// Subscribe delivers each invalidation's "<version> <key>" lines to
	// onMessage until ctx ends, and calls onReset whenever messages may
	// have been missed.
	// The channel it returns is closed when the subscription has ended.
	// onReset(listening) says messages may have been missed: listening is
	// false while the subscription is down, true once it is back.
	Subscribe(ctx context.Context, onMessage func([]byte), onReset func(listening bool)) <-chan struct{}
}

// EnableLocal puts an in-process tier holding entries for ttl in front of a
// shared backend, kept coherent by invalidation messages until ctx ends.
// It must be called before the catalog is used.
func (c *Invalidator) EnableLocal(ctx context.Context, ttl time.Duration, maxItems, maxBytes int) error {
	b, ok := c.backend.(Subscriber)
	if !ok {
		return fmt.Errorf("cache: a local tier needs a backend that broadcasts invalidations")
	}
	c.l1 = newLocal(ttl, maxItems, maxBytes)
	c.l1.flush(true) // deaf until the subscription is confirmed
	if !c.bg.enter() {
		return fmt.Errorf("cache: the catalog is closed")
	}
	// The subscription ends with ctx or with Close, whichever is first.
	sctx, stop := context.WithCancel(ctx)
	c.bg.onClose(stop)
	done := b.Subscribe(sctx, func(payload []byte) {
		deps, ok := parseMessage(payload)
		if !ok {
			c.logger.Warn("bad invalidation message", "payload", string(payload))
			c.l1.flush(false)
			return
		}
		c.l1.set(deps, time.Now())
		c.stats.Messages.Add(1)
		c.notify()
	}, func(listening bool) {
		c.l1.flush(!listening)
		c.stats.Resets.Add(1)
		if listening {
			c.notify()
		}
	})
	go func() {
		<-done
		c.bg.leave()
	}()
	if c.bg.enter() {
		go func() {
			defer c.bg.leave()
			c.sweepLocal(sctx, ttl)
		}()
	}
	return nil
}

// sweepLocal drops the local tier's expired items every ttl until ctx ends.
func (c *Invalidator) sweepLocal(ctx context.Context, ttl time.Duration) {
	t := time.NewTicker(max(ttl, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.l1.sweep(now)
		}
	}
}

// OnCommitted calls f whenever writes may have committed, so that a
// reader of the outbox (the subscriptions' hub) looks at once instead of
// at its next poll: after each of this instance's writes, once its
// invalidation is done (or has failed: the keys are then read from the
// database), and after each invalidation message from another instance,
// once the local tier has applied it (so that what f's reader reads
// through the cache is no older than the write). Every write publishes a
// message, one that changes no key included (an empty one, bumpScript).
// With a shared backend and no local tier (EnableLocal), it subscribes to
// the messages itself, until ctx ends or Close. f must not block. Call it
// once, after EnableLocal.
func (c *Invalidator) OnCommitted(ctx context.Context, f func()) error {
	c.committed.Store(&f)
	b, ok := c.backend.(Subscriber)
	if !ok || c.l1 != nil {
		return nil
	}
	if !c.bg.enter() {
		return fmt.Errorf("cache: the catalog is closed")
	}
	sctx, stop := context.WithCancel(ctx)
	c.bg.onClose(stop)
	done := b.Subscribe(sctx, func([]byte) { f() }, func(listening bool) {
		if listening {
			f()
		}
	})
	go func() {
		<-done
		c.bg.leave()
	}()
	return nil
}

func (c *Invalidator) notify() {
	if f := c.committed.Load(); f != nil {
		(*f)()
	}
}

// parseMessage reads an invalidation message: "<version> <key>" lines, or
// none (a write that changed no cached key, published as a wake-up).
func parseMessage(b []byte) ([]dep, bool) {
	if len(b) == 0 {
		return nil, true
	}
	var deps []dep
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		ver, key, ok := bytes.Cut(line, []byte{' '})
		v, err := strconv.ParseUint(string(ver), 10, 64)
		if !ok || err != nil {
			return nil, false
		}
		deps = append(deps, dep{key: string(key), version: v})
	}
	return deps, true
}

// Close stops the catalog's background work (invalidation retries, the
// subscription, loads shared by waiting requests) and waits for it, at most
// closeWait, so that none of it outlives the process's shutdown or finds
// the backend closed. Call it before closing the backend.
func (c *Invalidator) Close() error {
	c.pend.close()
	if !c.bg.close(closeWait) {
		return fmt.Errorf("cache: background work still running %s after close", closeWait)
	}
	return nil
}

const closeWait = loadTimeout + time.Second

// Stats counts the catalog's cache traffic.
func (c *Invalidator) Stats() *Stats { return &c.stats }

// invalidate runs after the commit, under a context the client can't
// cancel, so a client hanging up can't leave the cache stale. Versions and
// the message to the other instances go in one round trip. If it fails,
// this instance keeps reading the keys from the database until a retry
// succeeds (pending). marks are the writes' markers (markKey), set in the
// same round trip.
func (c *Invalidator) invalidate(ctx context.Context, begun []string, changes []Change, marks []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	c.stats.Invalidations.Add(1)
	versions, err := c.backend.Bump(ctx, changes, marks, c.ttl)
	// Whatever Bump answered: this instance reads what the write changed
	// from the database until it is confirmed, so a reader woken now sees
	// it.
	defer c.notify()
	if err != nil {
		keys := make([]string, len(changes))
		for i, ch := range changes {
			keys[i] = ch.Key
		}
		c.stats.FailedInvalidations.Add(1)
		c.logger.Warn("cache invalidation failed; this instance reads what those keys cover from the database, and retries",
			"err", err, "keys", keys)
		c.pend.fail(keys, begun, time.Now())
		return
	}
	c.applied(changes, versions)
	c.pend.end(begun)
}

// applied gives this instance's local tier the versions of its own write at
// once; the others get them by message.
func (c *Invalidator) applied(changes []Change, versions []uint64) {
	if c.l1 == nil {
		return
	}
	deps := make([]dep, len(changes))
	for i, ch := range changes {
		deps[i] = dep{key: ch.Key, version: versions[i]}
	}
	c.l1.set(deps, time.Now())
}

// retry invalidates again the keys whose invalidation failed.
func (c *Invalidator) retry() {
	keys := c.pend.failed()
	if len(keys) == 0 {
		c.pend.retried(keys, true)
		return
	}
	changes := make([]Change, 0, len(keys))
	for k := range keys {
		changes = append(changes, Change{Key: k})
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	versions, err := c.backend.Bump(ctx, changes, nil, c.ttl)
	if err == nil {
		c.applied(changes, versions)
		c.logger.Info("cache invalidation retried successfully", "keys", len(changes))
	}
	c.pend.retried(keys, err == nil)
}

func (c *Invalidator) cacheFault(doing string, err error) {
	c.stats.Faults.Add(1)
	c.logger.Debug("cache unavailable, using the database", "doing", doing, "err", err)
}
