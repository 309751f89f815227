// Package live tells GraphQL subscriptions of the outbox's events (issue
// 21): a Hub per instance keeps a place in the events table in memory,
// reads what came after it when woken (a signal after a write's COMMIT,
// on this instance or through Redis from another) or, as a backstop, on a
// slow poll, and hands each event to the subscriptions whose topic it
// touches. A subscription owes nothing across a reconnect (its client reads
// the state again), so the place is not saved anywhere; and the hub reads
// only while it has subscribers.
package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"shop/models"
)

// Store is what the hub reads of the outbox.
type Store interface {
	// EventsHead is the place after every event committed so far.
	EventsHead(ctx context.Context) (tx, id int64, err error)
	// EventsAfter returns up to limit final events after (tx, id), in
	// the outbox's order.
	EventsAfter(ctx context.Context, tx, id int64, limit int) ([]models.Event, error)
}

// Topic is what a subscription listens to: one order, one customer's
// orders, every order, or one product.
type Topic struct {
	Kind string
	ID   string
}

// The kinds of topics.
const (
	KindOrder     = "order"
	KindCustomer  = "customer"
	KindAllOrders = "orders"
	KindProduct   = "product"
)

// OrderTopic, CustomerTopic, AllOrders and ProductTopic name the topics.
func OrderTopic(orderID string) Topic       { return Topic{Kind: KindOrder, ID: orderID} }
func CustomerTopic(customerID string) Topic { return Topic{Kind: KindCustomer, ID: customerID} }
func AllOrders() Topic                      { return Topic{Kind: KindAllOrders} }
func ProductTopic(productID string) Topic   { return Topic{Kind: KindProduct, ID: productID} }

// match is a topic an event touches, with what makes two of its events
// the same news to a subscriber: a subscription that re-reads its subject
// needs one wake-up per subject per read, however many events the subject
// had meanwhile.
type match struct {
	topic Topic
	key   string
}

// matches are the topics e touches. Orders: every order and payment event
// touches its order and its customer's orders (a payment's status shows
// in the order); the timeline's events (placed, status changed, noted:
// each one row of Order.events) are also news to those who follow every
// order, one by one. Products: a product's own events and its stock
// movements, its variants' included.
func matches(e models.Event) []match {
	switch e.Type {
	case models.EventOrderPlaced, models.EventOrderStatusChanged, models.EventOrderNoted,
		models.EventPaymentStarted, models.EventPaymentSuccess, models.EventPaymentFailure,
		models.EventPaymentRefunded, models.EventPaymentUpdated:
		var o struct {
			OrderID    string `json:"orderId"`
			CustomerID string `json:"customerId"`
		}
		if e.Decode(&o) != nil || o.OrderID == "" {
			return nil
		}
		out := []match{{OrderTopic(o.OrderID), o.OrderID}}
		if o.CustomerID != "" {
			out = append(out, match{CustomerTopic(o.CustomerID), o.OrderID})
		}
		switch e.Type {
		case models.EventOrderPlaced, models.EventOrderStatusChanged, models.EventOrderNoted:
			out = append(out, match{AllOrders(), fmt.Sprint(e.ID)})
		}
		return out
	case models.EventProductCreated, models.EventProductUpdated, models.EventProductDeleted, models.EventStockChanged:
		return []match{{ProductTopic(e.Subject), e.Subject}}
	}
	return nil
}

// OrderIDOf is the order an order or payment event is about ("" for
// another event).
func OrderIDOf(e models.Event) string {
	var o struct {
		OrderID string `json:"orderId"`
	}
	if e.Decode(&o) != nil {
		return ""
	}
	return o.OrderID
}

// Subscription is one listener of a topic.
type Subscription struct {
	hub     *Hub
	topic   Topic
	deliver func(models.Event)
	once    sync.Once
}

// Cancel stops the deliveries (one already handed over may still arrive).
func (s *Subscription) Cancel() { s.once.Do(func() { s.hub.remove(s) }) }

// Hub reads the events for this instance's subscriptions.
type Hub struct {
	store  Store
	poll   time.Duration
	logger *slog.Logger
	wake   chan struct{}

	mu    sync.Mutex
	subs  map[Topic]map[*Subscription]struct{}
	count int
	// The place read up to, valid while started; gen changes whenever it
	// is set afresh, so a read begun before does not move it.
	started bool
	gen     uint64
	tx, id  int64

	reads, events, delivered, failures atomic.Uint64
}

// batch bounds one read of events.
const batch = 500

// followUps are the reads after a wake-up: a write committed before the
// signal may still be held back by an older transaction running (the
// outbox's horizon), so the hub looks again shortly instead of waiting for
// the poll.
var followUps = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond}

// New makes a hub over store that polls every poll as a backstop to the
// wake-ups (Wake).
func New(store Store, poll time.Duration, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{store: store, poll: poll, logger: logger, wake: make(chan struct{}, 1), subs: map[Topic]map[*Subscription]struct{}{}}
}

// Wake says events may have been committed; it never blocks.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Subscribe hands deliver each event that touches topic from now on, one
// per subject and read (a subscription reads its subject again, so two
// events of one order read together are one wake-up), except for
// AllOrders, which is given each. deliver runs on the hub's goroutine and
// must not block: it queues.
func (h *Hub) Subscribe(ctx context.Context, topic Topic, deliver func(models.Event)) (*Subscription, error) {
	h.mu.Lock()
	started := h.started
	h.mu.Unlock()
	if !started {
		// The first subscriber: the hub starts from the head, read outside
		// the lock (a read of the database).
		tx, id, err := h.store.EventsHead(ctx)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		if !h.started {
			h.started, h.tx, h.id = true, tx, id
			h.gen++
		}
		h.mu.Unlock()
	}
	s := &Subscription{hub: h, topic: topic, deliver: deliver}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[topic]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[topic] = set
	}
	set[s] = struct{}{}
	h.count++
	if !h.started {
		// The last subscriber left while this one read the head: read it
		// afresh next time (rare; the place of a moment ago will do).
		h.started = true
		h.gen++
	}
	return s, nil
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[s.topic]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(h.subs, s.topic)
	}
	h.count--
	if h.count == 0 {
		// Nobody listens: stop reading, and start from the head again
		// with the next subscriber.
		h.started = false
		h.gen++
	}
}

// Subscribers is how many subscriptions the hub holds.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Stats are the hub's counters: reads of the outbox, events read, events
// handed to subscriptions, failed reads.
func (h *Hub) Stats() (reads, events, delivered, failures uint64) {
	return h.reads.Load(), h.events.Load(), h.delivered.Load(), h.failures.Load()
}

// Run reads events when woken, shortly after, and every poll, until ctx
// ends.
func (h *Hub) Run(ctx context.Context) {
	poll := time.NewTicker(h.poll)
	defer poll.Stop()
	follow := time.NewTimer(time.Hour)
	follow.Stop()
	step := len(followUps)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
			step = 0
			follow.Reset(followUps[0])
		case <-follow.C:
			if step++; step < len(followUps) {
				follow.Reset(followUps[step] - followUps[step-1])
			}
		case <-poll.C:
		}
		h.Pass(ctx)
	}
}

// Pass reads what came after the hub's place and hands it over.
func (h *Hub) Pass(ctx context.Context) {
	for ctx.Err() == nil {
		h.mu.Lock()
		if !h.started {
			h.mu.Unlock()
			return
		}
		gen, tx, id := h.gen, h.tx, h.id
		h.mu.Unlock()
		h.reads.Add(1)
		evs, err := h.store.EventsAfter(ctx, tx, id, batch)
		if err != nil {
			if ctx.Err() == nil {
				h.failures.Add(1)
				h.logger.Warn("subscriptions: cannot read the outbox; retrying at the next wake-up or poll", "err", err)
			}
			return
		}
		if len(evs) == 0 {
			return
		}
		h.events.Add(uint64(len(evs)))
		type wakeUp struct {
			s  *Subscription
			ev models.Event
		}
		var out []wakeUp
		h.mu.Lock()
		if h.gen != gen {
			h.mu.Unlock()
			return
		}
		last := evs[len(evs)-1]
		h.tx, h.id = last.Tx, last.ID
		seen := map[*Subscription]map[string]bool{}
		for _, e := range evs {
			for _, m := range matches(e) {
				for s := range h.subs[m.topic] {
					keys := seen[s]
					if keys == nil {
						keys = map[string]bool{}
						seen[s] = keys
					}
					if keys[m.key] {
						continue
					}
					keys[m.key] = true
					out = append(out, wakeUp{s, e})
				}
			}
		}
		h.mu.Unlock()
		for _, w := range out {
			w.s.deliver(w.ev)
		}
		h.delivered.Add(uint64(len(out)))
		if len(evs) < batch {
			return
		}
	}
}
