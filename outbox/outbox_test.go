package outbox_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/outbox"
	"shop/store"
)

// tally counts what a consumer was given, by event id.
type tally struct {
	mu   sync.Mutex
	seen map[int64]int
}

func (t *tally) add(evs []models.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[int64]int{}
	}
	for _, e := range evs {
		t.seen[e.ID]++
	}
}

func (t *tally) count(id int64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[id]
}

func newProduct(t *testing.T, s *store.Store) *models.Product {
	t.Helper()
	np, err := models.ParseNewProduct(2, 10, models.ProductDetails{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProduct(context.Background(), np)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// passUntil runs passes until every event in s has been counted by cs, or
// fails after 10 s: on a PostgreSQL server shared with other tests, their
// transactions may hold events back (they are not final) for a moment.
func passUntil(t *testing.T, d *outbox.Dispatcher, s *store.Store, cs ...*tally) []models.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.Pass(context.Background(), s)
		evs, err := s.Events(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		all := true
		for _, e := range evs {
			for _, c := range cs {
				all = all && c.count(e.ID) > 0
			}
		}
		if all {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not delivered in 10 s")
		}
	}
}

// A dispatcher hands every event to each consumer; a consumer that fails
// rests, then is given the same events again, and After effects never
// repeat.
func TestDispatcherDeliversToEachConsumer(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		var atLeast, once, flaky tally
		var fail atomic.Bool
		var tries atomic.Int64
		d := outbox.New(time.Hour, nil,
			outbox.Consumer{Name: "a", Handle: func(_ context.Context, evs []models.Event) error { atLeast.add(evs); return nil }},
			outbox.Consumer{Name: "b", After: once.add},
			outbox.Consumer{Name: "c", Handle: func(_ context.Context, evs []models.Event) error {
				tries.Add(1)
				if fail.Load() {
					return errors.New("down")
				}
				flaky.add(evs)
				return nil
			}},
		)
		d.Pass(context.Background(), s) // registers the consumers at the (empty) end
		p := newProduct(t, s)
		fail.Store(true)
		evs := passUntil(t, d, s, &atLeast)
		if len(evs) != 2 {
			t.Fatalf("%d events, want product.created and stock.changed", len(evs))
		}
		if d.Failures() == 0 || flaky.count(evs[0].ID) != 0 {
			t.Fatalf("failing consumer: %d failures, given %d", d.Failures(), flaky.count(evs[0].ID))
		}
		// Once it failed, it rests (half a second, then longer) while the
		// others go on: passes right after do not try it again.
		before := tries.Load()
		for i := 0; i < 5; i++ {
			d.Pass(context.Background(), s)
		}
		if n := tries.Load() - before; n > 1 {
			t.Errorf("a failing consumer was tried %d more times in 5 passes right after its failure", n)
		}
		fail.Store(false)
		passUntil(t, d, s, &flaky)
		if _, err := s.AdjustStock(context.Background(), models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		evs = passUntil(t, d, s, &once)
		for _, e := range evs {
			if atLeast.count(e.ID) != 1 || once.count(e.ID) != 1 || flaky.count(e.ID) != 1 {
				t.Errorf("event %d given %d, %d, %d times; want once each", e.ID, atLeast.count(e.ID), once.count(e.ID), flaky.count(e.ID))
			}
		}
	})
}

// Three instances' dispatchers on one PostgreSQL database while orders are
// placed: across them, every event reaches each consumer, and the
// at-most-once consumer counts each exactly once.
func TestDispatchersShareTheOutbox(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	var stores []*store.Store
	for i := 0; i < 3; i++ {
		stores = append(stores, storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 10, MaxIdleConns: 10}))
	}
	var atLeast, once tally
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ds []*outbox.Dispatcher
	for _, s := range stores {
		d := outbox.New(5*time.Millisecond, nil,
			outbox.Consumer{Name: "cache", Handle: func(_ context.Context, evs []models.Event) error { atLeast.add(evs); return nil }},
			outbox.Consumer{Name: "metrics", After: once.add},
		)
		d.Pass(ctx, s)
		ds = append(ds, d)
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx, s) }()
	}
	p := newProduct(t, stores[0])
	var writers sync.WaitGroup
	for w := 0; w < 6; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < 20; i++ {
				req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 1}})
				if i%2 == 0 {
					if _, err := stores[w%3].AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				if _, err := stores[w%3].CreateOrder(ctx, req); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	writers.Wait()
	evs := passUntil(t, ds[0], stores[0], &once, &atLeast)
	cancel()
	wg.Wait()
	if len(evs) != 2+6*(10*1+10*2) {
		t.Fatalf("%d events", len(evs))
	}
	for _, e := range evs {
		if once.count(e.ID) != 1 {
			t.Fatalf("event %d counted %d times by the at-most-once consumer", e.ID, once.count(e.ID))
		}
		if atLeast.count(e.ID) < 1 {
			t.Fatalf("event %d never reached the cache consumer", e.ID)
		}
	}
	var delivered uint64
	for _, d := range ds {
		delivered += d.Delivered()
	}
	if delivered < uint64(2*len(evs)) {
		t.Errorf("dispatchers delivered %d events, want at least %d", delivered, 2*len(evs))
	}
}

// One pass brings every consumer up to date, one far behind (more than a
// batch) included: a consumer given part of a batch read from the far
// one's position, or none of it, is not left for the next pass, which
// comes only once the far one has caught up.
func TestPassServesConsumersAtDifferentPositions(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		deliver := func(name string) int {
			t.Helper()
			res, err := s.DeliverEvents(ctx, []string{name}, 1000, func(context.Context, string, []models.Event) error { return nil })
			if err != nil || res[0].Err != nil {
				t.Fatalf("%s: %v %+v", name, err, res)
			}
			return len(res[0].Events)
		}
		deliver("probe")
		deliver("far")
		for i := 0; i < 100; i++ {
			newProduct(t, s)
		}
		deliver("mid") // 200 events after far, 400 before the end
		for i := 0; i < 200; i++ {
			newProduct(t, s)
		}
		deliver("near")
		newProduct(t, s)
		// Until every event is final (another test's transaction on a
		// shared server may hold the last back for a while).
		all, err := s.Events(ctx, 0, 1000)
		if err != nil || len(all) != 602 {
			t.Fatalf("%d events, %v", len(all), err)
		}
		var probed int
		for deadline := time.Now().Add(10 * time.Second); probed < len(all) && time.Now().Before(deadline); {
			probed += deliver("probe")
		}
		if probed != len(all) {
			t.Fatalf("%d of %d events final", probed, len(all))
		}
		var far, mid, near tally
		d := outbox.New(time.Hour, nil,
			outbox.Consumer{Name: "far", After: far.add},
			outbox.Consumer{Name: "mid", After: mid.add},
			outbox.Consumer{Name: "near", After: near.add},
		)
		d.Pass(ctx, s)
		for i, e := range all {
			want := func(from int) int {
				if i >= from {
					return 1
				}
				return 0
			}
			if far.count(e.ID) != 1 || mid.count(e.ID) != want(200) || near.count(e.ID) != want(600) {
				t.Fatalf("after one pass, event %d of %d given to far %d, mid %d, near %d times", i, len(all), far.count(e.ID), mid.count(e.ID), near.count(e.ID))
			}
		}
	})
}
