// Package outbox delivers the domain events every write records (the
// events table, models.Event) to the shop's consumers: in order, each from
// its own position, which survives restarts, with one instance at a time
// delivering to a consumer. Instances find new events by polling (cheap:
// one read, each consumer's next event through an index), each poll
// taking what has come since for all the consumers behind in one
// transaction (one read of the events). A write does not wake its own instance's
// dispatcher: the writer invalidates its cache itself, and at hundreds of
// writes a second a pass per write cost PostgreSQL more than the writes'
// own events (make bench, scenario 6).
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"shop/internal/faulthook"
	"shop/models"
)

// Store is what the dispatcher needs of the database.
type Store interface {
	// DeliverEvents hands each of consumers its next events (read once,
	// at most limit each) to handle inside one transaction that saves the
	// positions of those it took; models.ErrConsumerBusy for one another
	// instance holds.
	DeliverEvents(ctx context.Context, consumers []string, limit int,
		handle func(ctx context.Context, consumer string, events []models.Event) error) ([]models.Delivery, error)
	// RegisterConsumers starts the consumers not yet known after the
	// events committed so far.
	RegisterConsumers(ctx context.Context, consumers []string) error
	// ConsumersBehind names those of consumers with events to take.
	ConsumersBehind(ctx context.Context, consumers []string) ([]string, error)
}

// Consumer is one reader of the outbox, known by its Name, under which its
// position is kept: renaming a consumer starts it afresh.
type Consumer struct {
	Name string
	// Handle runs inside the delivery, which it shares with the other
	// consumers, so it must be quick: slow work (an HTTP call) is queued
	// and done elsewhere. A failure (or a crash before the
	// position is saved) hands the same events over again, so it must be
	// safe to repeat (at least once).
	Handle func(context.Context, []models.Event) error
	// After runs once the position is saved: effects there happen at most
	// once, for what must never repeat and is lost with the process anyway
	// (in-memory counters).
	After func([]models.Event)
}

// Dispatcher runs the consumers.
type Dispatcher struct {
	consumers []Consumer
	names     []string
	every     time.Duration
	logger    *slog.Logger

	delivered atomic.Uint64
	failures  atomic.Uint64

	// A consumer that failed waits before it is tried again (retry), so
	// one that keeps failing (Redis down, for the cache) costs a few
	// reads and log lines a minute, not five a second.
	mu      sync.Mutex
	resting map[string]retry
}

type retry struct {
	until time.Time
	wait  time.Duration
}

// Backoff after a failed delivery, per consumer.
const (
	firstRetry = 500 * time.Millisecond
	lastRetry  = 30 * time.Second
)

// batch bounds the events one delivery hands over.
const batch = 500

// New makes a dispatcher that looks for events every poll; the store is
// given in Run.
func New(poll time.Duration, logger *slog.Logger, consumers ...Consumer) *Dispatcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{resting: map[string]retry{}, consumers: consumers, every: poll, logger: logger}
	for _, c := range consumers {
		d.names = append(d.names, c.Name)
	}
	return d
}

// Delivered and Failures count events handed over and failed deliveries.
func (d *Dispatcher) Delivered() uint64 { return d.delivered.Load() }
func (d *Dispatcher) Failures() uint64  { return d.failures.Load() }

// Register starts the consumers seen for the first time after the events
// committed so far: called before the instance serves, so that its own
// first writes are delivered too.
func (d *Dispatcher) Register(ctx context.Context, store Store) error {
	return store.RegisterConsumers(ctx, d.names)
}

// Run delivers from store until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, store Store) {
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		d.Pass(ctx, store)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass delivers to every consumer that is behind until it has caught up,
// another instance holds it, or a delivery fails (retried next pass).
func (d *Dispatcher) Pass(ctx context.Context, store Store) {
	if faulthook.Frozen() {
		return
	}
	behind, err := store.ConsumersBehind(ctx, d.names)
	if err != nil {
		if ctx.Err() == nil {
			d.failures.Add(1)
			d.logger.Warn("outbox: cannot read the consumers' positions", "err", err)
		}
		return
	}
	for ctx.Err() == nil {
		var due []string
		for _, name := range behind {
			if d.due(name) {
				due = append(due, name)
			}
		}
		if len(due) == 0 {
			return
		}
		got, err := store.DeliverEvents(ctx, due, batch, d.handle)
		if err != nil {
			if ctx.Err() == nil {
				d.failures.Add(1)
				d.logger.Warn("outbox: delivery failed; retrying next pass", "consumers", due, "err", err)
			}
			return
		}
		// Those with a full batch may have more: they go round again,
		// and so do the others given events, the end of a batch read
		// from further behind, lest they wait for the next pass, after
		// the one far behind has caught up.
		behind = behind[:0]
		full := false
		for _, g := range got {
			switch {
			case errors.Is(g.Err, models.ErrConsumerBusy):
			case g.Err != nil:
				if ctx.Err() == nil {
					d.failures.Add(1)
					wait := d.failed(g.Consumer)
					d.logger.Warn("outbox: delivery failed; retrying", "consumer", g.Consumer, "in", wait.String(), "err", g.Err)
				}
			default:
				d.succeeded(g.Consumer)
				d.delivered.Add(uint64(len(g.Events)))
				if c := d.consumer(g.Consumer); c.After != nil && len(g.Events) > 0 {
					c.After(g.Events)
				}
				if len(g.Events) > 0 {
					behind = append(behind, g.Consumer)
				}
				full = full || len(g.Events) == batch
			}
		}
		if !full {
			return
		}
	}
}

// handle hands events to the named consumer's Handle.
func (d *Dispatcher) handle(ctx context.Context, name string, events []models.Event) error {
	if c := d.consumer(name); c.Handle != nil {
		return c.Handle(ctx, events)
	}
	return nil
}

// due reports whether a consumer is not resting after a failure.
func (d *Dispatcher) due(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !time.Now().Before(d.resting[name].until)
}

// failed rests a consumer, twice as long as last time, up to lastRetry.
func (d *Dispatcher) failed(name string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.resting[name]
	r.wait = min(max(2*r.wait, firstRetry), lastRetry)
	r.until = time.Now().Add(r.wait)
	d.resting[name] = r
	return r.wait
}

func (d *Dispatcher) succeeded(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.resting, name)
}

func (d *Dispatcher) consumer(name string) Consumer {
	for _, c := range d.consumers {
		if c.Name == name {
			return c
		}
	}
	return Consumer{Name: name}
}
