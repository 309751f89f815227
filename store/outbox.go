package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"shop/internal/faulthook"
	"shop/models"
)

// Sink hears of each write's events on the instance that writes them:
// Writing just before the COMMIT (so the instance can stop trusting what
// they change before anyone can read the write), and the func it returns
// once the COMMIT has answered, with its error. After Writing, the write
// may have committed whatever the error says (a connection lost at the
// COMMIT). The cache is the sink; the outbox is how every other instance,
// and this one after a crash, hears of the same events.
type Sink interface {
	Writing(events []models.Event) (done func(ctx context.Context, err error))
}

// noSink is the sink of a store opened without one (tools, store tests).
type noSink struct{}

func (noSink) Writing([]models.Event) func(context.Context, error) {
	return func(context.Context, error) {}
}

type collectorKey struct{}

// collector gathers the events of one write's transaction (record).
type collector struct {
	write  int64
	events []models.Event
}

// write runs fn in a transaction, with the events fn records (record)
// written to the outbox in the same transaction, just before its COMMIT;
// the sink hears of them around the COMMIT. Every write of the shop's data
// goes through write (or, for orders on PostgreSQL, through commitOrder,
// which does the same in its batch).
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	col := &collector{write: newWriteID()}
	var done func(context.Context, error)
	err := s.db.WithContext(context.WithValue(ctx, collectorKey{}, col)).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		if len(col.events) == 0 {
			return nil
		}
		w := rows{}
		w.events(s.dialect, col.write, col.events)
		if err := s.insert(tx, w); err != nil {
			return fmt.Errorf("record events: %w", err)
		}
		done = s.sink.Writing(col.events)
		return nil
	})
	if done != nil {
		faulthook.AfterCommit(col.events)
		done(ctx, err)
	}
	return err
}

// record adds events to the write whose transaction tx is. A write
// outside (*Store).write is a mistake the tests catch.
func record(tx *gorm.DB, events ...models.Event) {
	col, ok := tx.Statement.Context.Value(collectorKey{}).(*collector)
	if !ok {
		panic("store: events recorded outside a write")
	}
	col.events = append(col.events, events...)
}

// newWriteID names a write's events together (models.Event.Write): random,
// so instances need not agree on anything to make them unique.
func newWriteID() int64 { return rand.Int64() }

// events adds the outbox rows of one write; each gets the transaction's
// id from the database (dialect.txID).
func (w *rows) events(d dialect, write int64, evs []models.Event) {
	for i := range evs {
		evs[i].Write = write
		w.addLead("events", "tx, write_id, type, subject, data, at", d.txID(),
			write, evs[i].Type, evs[i].Subject, evs[i].Data, evs[i].At)
	}
}

// DeliverEvents hands each of consumers its next events, in order, to
// handle, and moves the positions of those whose handle succeeded past
// them, in one transaction that holds the consumers' rows: one instance at
// a time delivers to a consumer (another finds it busy,
// models.ErrConsumerBusy), and a position moves only with a handle that
// succeeded, so an event is handed over again only after a failure or a
// crash before the positions were saved. The events are read once for all
// consumers, at most limit from the position furthest behind (again for
// those ahead of them all, if any): one transaction of four statements a
// poll, whatever the number of consumers (a transaction each cost
// PostgreSQL more than the events' own writes: make bench, scenario 6).
// Each is given at most limit events. A consumer seen for the first time
// starts after the events committed before it. The result says, per
// consumer (in name order), what it was given (saved) or why not; the
// error is the transaction's, when none was delivered.
func (s *Store) DeliverEvents(ctx context.Context, consumers []string, limit int,
	handle func(ctx context.Context, consumer string, events []models.Event) error) ([]models.Delivery, error) {
	out := make([]models.Delivery, len(consumers))
	for i, name := range consumers {
		out[i] = models.Delivery{Consumer: name}
	}
	// By name: two instances registering the same new consumers listed in
	// different orders (two builds side by side during a deploy) each
	// waited for the other's first row.
	sort.Slice(out, func(i, j int) bool { return out[i].Consumer < out[j].Consumer })
	err := s.db.WithContext(context.WithValue(ctx, backgroundKey{}, true)).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		var held []models.EventConsumer
		if err := tx.Raw("SELECT name, tx, event_id, updated_at FROM event_consumers WHERE name IN ?"+s.dialect.lockRows(true), consumers).
			Scan(&held).Error; err != nil {
			return fmt.Errorf("lock consumers: %w", err)
		}
		at := make(map[string]models.EventConsumer, len(held))
		for _, c := range held {
			at[c.Name] = c
		}
		var left []int // of out, those held, to be given their events
		for i := range out {
			if _, ok := at[out[i].Consumer]; !ok {
				// Held by another instance, or new. A new consumer
				// starts after every event committed before it first
				// came (events of transactions still running then may
				// come before that point, and are not its); what comes
				// after is its first delivery, next time. A name the
				// column cannot hold fails alone: on PostgreSQL its
				// INSERT failed every consumer's delivery with it.
				if utf8.RuneCountInString(out[i].Consumer) > maxConsumerName {
					out[i].Err = fmt.Errorf("consumer %s: a name longer than %d characters", out[i].Consumer, maxConsumerName)
					continue
				}
				ins := tx.Exec(`INSERT INTO event_consumers (name, tx, event_id, updated_at)
					SELECT ?, coalesce(max(tx), 0), coalesce(max(id), 0), ? FROM events WHERE 1 = 1
					ON CONFLICT (name) DO NOTHING`, out[i].Consumer, now) // (SQLite needs the WHERE to parse ON CONFLICT)
				if ins.Error != nil {
					return fmt.Errorf("register consumer %s: %w", out[i].Consumer, ins.Error)
				}
				if ins.RowsAffected == 0 {
					out[i].Err = models.ErrConsumerBusy
				}
				continue
			}
			left = append(left, i)
		}
		// The events are read from the position furthest behind, and each
		// consumer takes what is after its own. Those ahead of all a full
		// read reached are read for again, from the furthest behind of
		// them: one consumer far behind (replayed, or the cache after Redis
		// was down) must not leave the others waiting until it has caught
		// up. With the consumers close together, that is one read.
		var set []any
		var names []string
		for len(left) > 0 {
			from := at[out[left[0]].Consumer]
			for _, i := range left[1:] {
				if pos := at[out[i].Consumer]; before(pos.Tx, pos.EventID, from.Tx, from.EventID) {
					from = pos
				}
			}
			var evs []models.Event
			if err := tx.Raw("SELECT id, tx, write_id, type, subject, data, at FROM events WHERE (tx, id) > (?, ?) AND "+s.dialect.horizon()+
				" ORDER BY tx, id LIMIT ?", from.Tx, from.EventID, limit).Scan(&evs).Error; err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			var ahead []int
			for _, i := range left {
				pos := at[out[i].Consumer]
				// A copy: what one consumer does to its events is not
				// another's business, as when each read its own.
				its := slices.Clone(evs[sort.Search(len(evs), func(j int) bool { return before(pos.Tx, pos.EventID, evs[j].Tx, evs[j].ID) }):])
				if len(its) == 0 {
					if len(evs) > 0 && len(evs) == limit {
						ahead = append(ahead, i)
					}
					continue
				}
				// The consumer's own writes (webhooks' deliveries, the emails)
				// join this transaction (inDelivery), so they commit with its
				// position, or not at all.
				if err := handle(context.WithValue(ctx, deliveryTxKey{}, tx), out[i].Consumer, its); err != nil {
					out[i].Err = fmt.Errorf("consumer %s: %w", out[i].Consumer, err)
					continue
				}
				last := its[len(its)-1]
				set = append(set, out[i].Consumer, last.Tx, out[i].Consumer, last.ID)
				names = append(names, out[i].Consumer)
				out[i].Events = its
			}
			left = ahead
		}
		// The positions that move are saved in one statement.
		if len(names) == 0 {
			return nil
		}
		cases := strings.Repeat(" WHEN ? THEN CAST(? AS BIGINT)", len(names))
		args := make([]any, 0, 2*len(set)+2)
		for i := 0; i < len(set); i += 4 {
			args = append(args, set[i], set[i+1])
		}
		for i := 0; i < len(set); i += 4 {
			args = append(args, set[i+2], set[i+3])
		}
		args = append(args, now, names)
		if err := tx.Exec("UPDATE event_consumers SET tx = CASE name"+cases+" END, event_id = CASE name"+cases+
			" END, updated_at = ? WHERE name IN ?", args...).Error; err != nil {
			return fmt.Errorf("save the consumers' positions: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxConsumerName is the length of event_consumers.name
// (models.EventConsumer).
const maxConsumerName = 64

// before orders places in the outbox: by transaction id, then event id.
func before(tx1, id1, tx2, id2 int64) bool {
	return tx1 < tx2 || tx1 == tx2 && id1 < id2
}

// RegisterConsumers gives each of consumers not yet known its position:
// after every event committed so far (see DeliverEvents). An instance
// registers its consumers before it serves, so that none of the writes it
// serves can come before its consumers' start.
func (s *Store) RegisterConsumers(ctx context.Context, consumers []string) error {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	for _, name := range consumers {
		if err := s.db.WithContext(ctx).Exec(`INSERT INTO event_consumers (name, tx, event_id, updated_at)
			SELECT ?, coalesce(max(tx), 0), coalesce(max(id), 0), ? FROM events WHERE 1 = 1
			ON CONFLICT (name) DO NOTHING`, name, s.db.NowFunc()).Error; err != nil {
			return fmt.Errorf("register outbox consumer %s: %w", name, err)
		}
	}
	return nil
}

// ConsumersBehind names, of consumers, those with final events after their
// position (or no position yet): one read, no locks, for the dispatcher to
// poll cheaply.
func (s *Store) ConsumersBehind(ctx context.Context, consumers []string) ([]string, error) {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	var known []struct {
		Name   string
		Behind bool
	}
	// The first event after the position, in the index's order: as an
	// EXISTS, PostgreSQL scanned the whole table to find it (20 ms on 200,000
	// events, four times a second on every instance: make bench saw it).
	err := s.db.WithContext(ctx).Raw(`SELECT c.name, (SELECT id FROM events WHERE (tx, id) > (c.tx, c.event_id) AND `+s.dialect.horizon()+`
		ORDER BY tx, id LIMIT 1) IS NOT NULL AS behind FROM event_consumers c WHERE c.name IN ?`, consumers).Scan(&known).Error
	if err != nil {
		return nil, fmt.Errorf("read consumers' positions: %w", err)
	}
	at := make(map[string]bool, len(known))
	for _, c := range known {
		at[c.Name] = c.Behind
	}
	var behind []string
	for _, name := range consumers {
		if b, ok := at[name]; !ok || b {
			behind = append(behind, name)
		}
	}
	return behind, nil
}

// EventPositions returns each consumer's position, by name.
func (s *Store) EventPositions(ctx context.Context) ([]models.EventConsumer, error) {
	var out []models.EventConsumer
	if err := s.db.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, mapError(err, "read event positions")
	}
	return out, nil
}

// Events returns up to limit events after id, by id: for tests and tools
// (consumers read through DeliverEvents).
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]models.Event, error) {
	var out []models.Event
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, mapError(err, "read events")
	}
	return out, nil
}

// purgeBatch bounds one DELETE of old events, so the purge never holds
// long locks or writes one huge transaction.
const purgeBatch = 10_000

// PurgeEvents deletes events written before cutoff (EVENTS_RETENTION): a
// consumer that has not taken them by then never will. It walks from the
// oldest id, whose times grow with it (give or take a transaction's
// length), so it needs no index of its own on at: every event is one more
// row to write, and an index more per row showed in make bench.
func (s *Store) PurgeEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	cutoff = asStored(cutoff)
	var total int64
	for {
		res := s.db.WithContext(ctx).Exec("DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id, at FROM events ORDER BY id LIMIT ?) oldest WHERE at < ?)", purgeBatch, cutoff)
		if res.Error != nil {
			return total, mapError(res.Error, "purge events")
		}
		total += res.RowsAffected
		if res.RowsAffected < purgeBatch {
			return total, nil
		}
	}
}

// EventsHead is the place in the outbox after every event committed so
// far: where a reader that owes nothing to what came before starts (the
// subscriptions' hub, package live). Events of transactions still running
// may commit before it; they are not that reader's.
func (s *Store) EventsHead(ctx context.Context) (tx, id int64, err error) {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	var head struct{ Tx, ID int64 }
	if err := s.db.WithContext(ctx).Raw("SELECT coalesce(max(tx), 0) AS tx, coalesce(max(id), 0) AS id FROM events").Scan(&head).Error; err != nil {
		return 0, 0, fmt.Errorf("read the outbox's head: %w", err)
	}
	return head.Tx, head.ID, nil
}

// EventsAfter returns up to limit final events after (tx, id), in the
// outbox's order: the same horizon as DeliverEvents, so a reader that
// keeps its place in memory never passes over an event that commits
// later. No locks and no position saved: for readers that owe nothing
// after a restart (subscriptions).
func (s *Store) EventsAfter(ctx context.Context, tx, id int64, limit int) ([]models.Event, error) {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	var evs []models.Event
	if err := s.db.WithContext(ctx).Raw("SELECT id, tx, write_id, type, subject, data, at FROM events WHERE (tx, id) > (?, ?) AND "+s.dialect.horizon()+
		" ORDER BY tx, id LIMIT ?", tx, id, limit).Scan(&evs).Error; err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

// deliveryTxKey holds, in a consumer's context, the transaction of the
// delivery that handed it its events.
type deliveryTxKey struct{}

// conn is the delivery transaction a consumer's Handle runs in, or the
// pool outside one, so that what a consumer reads sees what it wrote.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(deliveryTxKey{}).(*gorm.DB); ok {
		return tx
	}
	return s.db.WithContext(ctx)
}

// inDelivery runs fn in the delivery's transaction when called from a
// consumer's Handle, so that what it writes commits with the consumer's
// position, or not at all; there as a savepoint, since the delivery
// commits the other consumers' positions too and a failure must fail this
// consumer alone. Outside a delivery, fn gets a transaction of its own.
func (s *Store) inDelivery(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if tx, ok := ctx.Value(deliveryTxKey{}).(*gorm.DB); ok {
		return tx.Transaction(fn)
	}
	return s.db.WithContext(ctx).Transaction(fn)
}
