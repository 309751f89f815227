package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// allEvents reads every event in the outbox, by id.
func allEvents(t *testing.T, s *store.Store) []models.Event {
	t.Helper()
	var out []models.Event
	var after int64
	for {
		evs, err := s.Events(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].ID
	}
}

func typesOf(evs []models.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// sinkRecorder is a Sink that keeps what it hears, in order.
type sinkRecorder struct {
	mu     sync.Mutex
	before [][]models.Event
	after  []error
}

func (r *sinkRecorder) Writing(evs []models.Event) func(context.Context, error) {
	r.mu.Lock()
	r.before = append(r.before, append([]models.Event(nil), evs...))
	r.mu.Unlock()
	return func(_ context.Context, err error) {
		r.mu.Lock()
		r.after = append(r.after, err)
		r.mu.Unlock()
	}
}

// Every write records its events in the outbox, in the same transaction,
// and the sink hears of exactly those; a write a rule refuses records none.
func TestWritesRecordEvents(t *testing.T) {
	t.Parallel()
	sinkBackends(t, func(t *testing.T, s *store.Store, sink *sinkRecorder) {
		ctx := context.Background()
		p := mustNew(t, s, models.ProductDetails{})
		if _, err := s.UpdateProduct(ctx, p.ID, mustPatch(t, p.ID, ptr(7.5), nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 3, Reason: "found", Actor: "adm"}); err != nil {
			t.Fatal(err)
		}
		o := MustOrderFor(t, s, "cust", p, 2, models.OrderStatusCancelled)
		if _, err := s.AddOrderNote(ctx, models.OrderNote{OrderID: o.ID, Note: "called", Actor: "adm"}); err != nil {
			t.Fatal(err)
		}
		// Refused by a rule: nothing recorded.
		req, _ := models.ParseOrder("cust", []models.OrderLine{{ProductID: p.ID, Quantity: 1000}})
		if _, err := s.CreateOrder(ctx, req); models.ErrorCode(err) != errcode.InsufficientStock {
			t.Fatalf("order of 1000: %v", err)
		}
		c, err := s.CreateCategory(ctx, models.NewCategory{Name: "Tea", Slug: "tea"})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteCategory(ctx, c.ID); err != nil || !ok {
			t.Fatalf("delete category: %v %v", ok, err)
		}
		u := models.User{ID: "u-1", Email: "a@example.com", Name: "A", Role: models.RoleCustomer, PasswordHash: "x"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete product: %v %v", ok, err)
		}
		if ok, err := s.DeleteProduct(ctx, p.ID); err != nil || ok {
			t.Fatalf("delete it again: %v %v", ok, err)
		}

		evs := allEvents(t, s)
		want := []string{
			models.EventProductCreated, models.EventStockChanged, // created with 5
			models.EventProductUpdated,                        // price
			models.EventStockChanged,                          // +3
			models.EventOrderPlaced, models.EventStockChanged, // -2
			models.EventOrderStatusChanged, models.EventStockChanged, // cancelled: +2
			models.EventOrderNoted,
			models.EventCategoryChanged, models.EventCategoryChanged,
			models.EventAccountRegistered,
			models.EventProductDeleted,
		}
		if got := typesOf(evs); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
		var stock []int
		for _, e := range evs {
			if e.Type == models.EventStockChanged {
				var sc models.StockChanged
				if err := e.Decode(&sc); err != nil {
					t.Fatal(err)
				}
				stock = append(stock, sc.Delta, sc.StockAfter)
			}
		}
		if fmt.Sprint(stock) != "[5 5 3 8 -2 6 2 8]" {
			t.Errorf("stock deltas and levels: %v", stock)
		}
		var placed models.OrderPlaced
		if err := evs[4].Decode(&placed); err != nil || placed.OrderID != o.ID || placed.CustomerID != "cust" || placed.Total != 1500 || placed.Units != 2 {
			t.Errorf("order.placed: %+v %v", placed, err)
		}
		var changed models.OrderStatusChanged
		if err := evs[6].Decode(&changed); err != nil || changed.From != models.OrderStatusPending || changed.To != models.OrderStatusCancelled {
			t.Errorf("order.status_changed: %+v %v", changed, err)
		}
		// Ids grow, one write's events share their write, and the sink
		// heard each write's events once, before and after its COMMIT.
		writes := map[int64]bool{}
		for i, e := range evs {
			if i > 0 && e.ID <= evs[i-1].ID {
				t.Errorf("event %d after %d", e.ID, evs[i-1].ID)
			}
			writes[e.Write] = true
		}
		if len(writes) != 10 {
			t.Errorf("%d writes, want 10 (one per write that changed something)", len(writes))
		}
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if len(sink.before) != 10 || len(sink.after) != 10 {
			t.Errorf("sink heard %d writes before and %d after the commit, want 10", len(sink.before), len(sink.after))
		}
		heard := 0
		for _, w := range sink.before {
			heard += len(w)
		}
		if heard != len(evs) {
			t.Errorf("sink heard %d events, outbox has %d", heard, len(evs))
		}
		for _, err := range sink.after {
			if err != nil {
				t.Errorf("commit: %v", err)
			}
		}
	})
}

// deliverOne delivers to one consumer: the events it took, or its error.
func deliverOne(ctx context.Context, s *store.Store, consumer string, limit int,
	handle func(context.Context, []models.Event) error, after func([]models.Event)) (int, error) {
	got, err := s.DeliverEvents(ctx, []string{consumer}, limit, func(ctx context.Context, name string, evs []models.Event) error {
		if name != consumer {
			return fmt.Errorf("handed events for %q, asked for %q", name, consumer)
		}
		return handle(ctx, evs)
	})
	if err != nil {
		return 0, err
	}
	if len(got) != 1 || got[0].Consumer != consumer {
		return 0, fmt.Errorf("delivered %+v, asked for %q", got, consumer)
	}
	if got[0].Err != nil {
		return 0, got[0].Err
	}
	if after != nil && len(got[0].Events) > 0 {
		after(got[0].Events)
	}
	return len(got[0].Events), nil
}

// deliverFinal is deliverOne once the events written are final. On a
// PostgreSQL server shared with other tests a transaction of theirs that
// began before a write and is still running keeps the write's events back
// (they could still be preceded), for as long as it runs.
func deliverFinal(ctx context.Context, s *store.Store, consumer string, limit int,
	handle func(context.Context, []models.Event) error, after func([]models.Event)) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := deliverOne(ctx, s, consumer, limit, handle, after)
		if n > 0 || err != nil || time.Now().After(deadline) {
			return n, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustPatch(t *testing.T, id string, price *float64, stock *int) models.ProductPatch {
	t.Helper()
	patch, err := models.ParseProductPatch(id, price, stock, models.ProductDetails{})
	if err != nil {
		t.Fatal(err)
	}
	return patch
}

// sinkBackends is storetest.Backends with a sink that records.
func sinkBackends(t *testing.T, test func(t *testing.T, s *store.Store, sink *sinkRecorder)) {
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		sink := &sinkRecorder{}
		test(t, storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 20, MaxIdleConns: 10, Sink: sink}), sink)
	})
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		sink := &sinkRecorder{}
		test(t, storetest.MustOpen(t, store.Options{SQLitePath: t.TempDir() + "/shop.db", MaxOpenConns: 20, MaxIdleConns: 10, Sink: sink}), sink)
	})
}

// A consumer starts after the events written before it first came, is
// given later ones in order, keeps its position across "restarts" (a new
// store on the same database), is given a batch again when it failed, and
// its after-commit effects never repeat.
func TestDeliverEventsPositions(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustNew(t, s, models.ProductDetails{}) // before the consumer: not delivered
		var got, once []int64
		handle := func(_ context.Context, evs []models.Event) error {
			for _, e := range evs {
				got = append(got, e.ID)
			}
			return nil
		}
		after := func(evs []models.Event) {
			for _, e := range evs {
				once = append(once, e.ID)
			}
		}
		if n, err := deliverOne(ctx, s, "test", 100, handle, after); err != nil || n != 0 {
			t.Fatalf("first delivery registers: %d %v", n, err)
		}
		p := mustNew(t, s, models.ProductDetails{}) // product.created, stock.changed
		if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		// One at a time, so the position moves three times.
		for i := 0; i < 3; i++ {
			if n, err := deliverFinal(ctx, s, "test", 1, handle, after); err != nil || n != 1 {
				t.Fatalf("delivery %d: %d %v", i, n, err)
			}
		}
		if n, err := deliverOne(ctx, s, "test", 100, handle, after); err != nil || n != 0 {
			t.Fatalf("nothing left: %d %v", n, err)
		}
		all := allEvents(t, s)
		if len(got) != 3 || got[0] != all[2].ID || got[2] != all[4].ID {
			t.Fatalf("delivered %v of %v", got, typesOf(all))
		}
		// A failing consumer keeps its position: the event comes again.
		if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if _, err := deliverFinal(ctx, s, "test", 100, func(context.Context, []models.Event) error { return boom }, after); !errors.Is(err, boom) {
			t.Fatalf("failing consumer: %v", err)
		}
		if n, err := deliverFinal(ctx, s, "test", 100, handle, after); err != nil || n != 1 {
			t.Fatalf("after the failure: %d %v", n, err)
		}
		if len(once) != 4 || fmt.Sprint(once) != fmt.Sprint(got) {
			t.Errorf("after-commit effects %v, deliveries %v", once, got)
		}
		behind, err := s.ConsumersBehind(ctx, []string{"test", "new"})
		if err != nil || fmt.Sprint(behind) != "[new]" {
			t.Errorf("behind: %v %v", behind, err)
		}
		pos, err := s.EventPositions(ctx)
		if err != nil || len(pos) != 1 || pos[0].EventID != got[len(got)-1] {
			t.Errorf("positions %+v %v", pos, err)
		}
	})
}

// A consumer registered before a write is given it: what an instance does
// before it serves, so its own first writes are delivered too.
func TestRegisterConsumers(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustNew(t, s, models.ProductDetails{}) // before: not given
		if err := s.RegisterConsumers(ctx, []string{"early"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterConsumers(ctx, []string{"early"}); err != nil { // again: no change
			t.Fatal(err)
		}
		p := mustNew(t, s, models.ProductDetails{})
		var got []models.Event
		handle := func(_ context.Context, evs []models.Event) error { got = append(got, evs...); return nil }
		if n, err := deliverFinal(ctx, s, "early", 100, handle, nil); err != nil || n != 2 {
			t.Fatalf("delivered %d, %v", n, err)
		}
		if got[0].Type != models.EventProductCreated || got[0].Subject != p.ID {
			t.Fatalf("first event %s %s, want the product created after registering", got[0].Type, got[0].Subject)
		}
	})
}

// Consumers at different positions share one delivery: the events are
// read once, each is given those after its own position, one's failure
// leaves its position where it was while the others move, and a consumer
// seen for the first time is registered in the same delivery.
func TestDeliverEventsToSeveral(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		noop := func(context.Context, []models.Event) error { return nil }
		if _, err := deliverOne(ctx, s, "a", 100, noop, nil); err != nil {
			t.Fatal(err)
		}
		p := mustNew(t, s, models.ProductDetails{}) // two events: a's, not b's
		if _, err := deliverOne(ctx, s, "b", 100, noop, nil); err != nil {
			t.Fatal(err)
		}
		adjust := func() {
			if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
				t.Fatal(err)
			}
		}
		adjust()
		// Until both have what is final (another test's transaction on a
		// shared server may hold the last events back for a while).
		got := map[string][]models.Event{}
		failA := false
		deliver := func(want map[string]int) map[string]error {
			t.Helper()
			errs := map[string]error{}
			deadline := time.Now().Add(10 * time.Second)
			for {
				res, err := s.DeliverEvents(ctx, []string{"a", "b", "c"}, 100, func(_ context.Context, name string, evs []models.Event) error {
					if name == "a" && failA {
						return errors.New("boom")
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 3 {
					t.Fatalf("one result per consumer: %+v", res)
				}
				done := true
				for _, r := range res {
					got[r.Consumer] = append(got[r.Consumer], r.Events...)
					if r.Err != nil {
						errs[r.Consumer] = r.Err
					}
				}
				for name, n := range want {
					if len(got[name]) < n {
						done = false
					}
				}
				if done || time.Now().After(deadline) {
					return errs
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if errs := deliver(map[string]int{"a": 3, "b": 1}); len(errs) != 0 {
			t.Fatalf("errors: %v", errs)
		}
		all := allEvents(t, s)
		if len(got["a"]) != 3 || len(got["b"]) != 1 || len(got["c"]) != 0 || got["b"][0].ID != all[len(all)-1].ID {
			t.Fatalf("a took %v, b %v, c %v, of %v", typesOf(got["a"]), typesOf(got["b"]), typesOf(got["c"]), typesOf(all))
		}
		// a fails: b moves on alone, and a is given the event again.
		adjust()
		failA = true
		got = map[string][]models.Event{}
		errs := deliver(map[string]int{"b": 1, "c": 1})
		if errs["a"] == nil || errs["b"] != nil || len(got["a"]) != 0 || len(got["b"]) != 1 || len(got["c"]) != 1 {
			t.Fatalf("with a failing: errors %v, took a %d, b %d, c %d", errs, len(got["a"]), len(got["b"]), len(got["c"]))
		}
		failA = false
		if errs := deliver(map[string]int{"a": 1}); len(errs) != 0 || len(got["a"]) != 1 || got["a"][0].ID != got["b"][0].ID || len(got["b"]) != 1 {
			t.Fatalf("after a's failure: errors %v, a took %v, b %v", errs, typesOf(got["a"]), typesOf(got["b"]))
		}
		pos, err := s.EventPositions(ctx)
		if err != nil || len(pos) != 3 || pos[0].EventID != pos[1].EventID || pos[1].EventID != pos[2].EventID {
			t.Errorf("positions %+v %v", pos, err)
		}
	})
}

// A consumer far behind does not hold back one ahead of everything it is
// given: the events read from the far one's position end before the near
// one's, which is given its own events in the same delivery, not after the
// far one has caught up (a replay, or the cache after Redis was down,
// would otherwise leave every other consumer waiting as long).
func TestDeliverEventsFarBehindDoesNotHoldBackTheOthers(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		noop := func(context.Context, []models.Event) error { return nil }
		for _, name := range []string{"probe", "far"} {
			if _, err := deliverOne(ctx, s, name, 100, noop, nil); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 3; i++ {
			mustNew(t, s, models.ProductDetails{}) // two events each: far's
		}
		if _, err := deliverOne(ctx, s, "near", 100, noop, nil); err != nil {
			t.Fatal(err)
		}
		p := mustNew(t, s, models.ProductDetails{}) // two more: far's and near's
		// Until every event is final (another test's transaction on a
		// shared server may hold the last back for a while).
		all := allEvents(t, s)
		var probed int
		deadline := time.Now().Add(10 * time.Second)
		for probed < len(all) && time.Now().Before(deadline) {
			n, err := deliverOne(ctx, s, "probe", 100, noop, nil)
			if err != nil {
				t.Fatal(err)
			}
			probed += n
		}
		if probed != len(all) || len(all) != 8 {
			t.Fatalf("%d of %d events final", probed, len(all))
		}
		got := map[string][]int64{}
		res, err := s.DeliverEvents(ctx, []string{"far", "near"}, 2, func(_ context.Context, name string, evs []models.Event) error {
			for _, e := range evs {
				got[name] = append(got[name], e.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Consumer, r.Err)
			}
		}
		if fmt.Sprint(got["far"]) != fmt.Sprint([]int64{all[0].ID, all[1].ID}) ||
			fmt.Sprint(got["near"]) != fmt.Sprint([]int64{all[6].ID, all[7].ID}) {
			t.Fatalf("far took %v, near %v, of %d events; want the first two and the last two", got["far"], got["near"], len(all))
		}
		// The positions saved are those: near has nothing more, far the rest.
		if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		got = map[string][]int64{}
		deadline = time.Now().Add(10 * time.Second)
		for len(got["far"]) < 7 && time.Now().Before(deadline) {
			if _, err := s.DeliverEvents(ctx, []string{"far", "near"}, 100, func(_ context.Context, name string, evs []models.Event) error {
				for _, e := range evs {
					got[name] = append(got[name], e.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		last := allEvents(t, s)[8].ID
		if len(got["far"]) != 7 || got["far"][0] != all[2].ID || got["far"][6] != last || fmt.Sprint(got["near"]) != fmt.Sprint([]int64{last}) {
			t.Fatalf("then far took %v, near %v; want the six after far's first two and the new one, and the new one", got["far"], got["near"])
		}
	})
}

// A consumer whose name the database cannot keep (event_consumers.name is
// 64 characters) fails alone: the others sharing its delivery are given
// their events, on both databases.
func TestDeliverEventsUnkeepableName(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		long := strings.Repeat("n", 65)
		if _, err := deliverOne(ctx, s, "a", 100, func(context.Context, []models.Event) error { return nil }, nil); err != nil {
			t.Fatal(err)
		}
		mustNew(t, s, models.ProductDetails{})
		var got []models.Delivery
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			res, err := s.DeliverEvents(ctx, []string{"a", long}, 100, func(context.Context, string, []models.Event) error { return nil })
			if err != nil {
				t.Fatalf("the delivery failed for all: %v", err)
			}
			if got = res; len(res[0].Events) > 0 {
				break
			}
		}
		if len(got) != 2 || got[0].Consumer != "a" || len(got[0].Events) != 2 || got[1].Err == nil || errors.Is(got[1].Err, models.ErrConsumerBusy) {
			t.Fatalf("delivered %+v", got)
		}
	})
}

// Consumers sharing a delivery are given events of their own: what one
// does to those it is handed (or appends to them) is not what another is
// handed, as when each read its own.
func TestDeliverEventsGivesEachItsOwn(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, name := range []string{"a", "b"} {
			if _, err := deliverOne(ctx, s, name, 100, func(context.Context, []models.Event) error { return nil }, nil); err != nil {
				t.Fatal(err)
			}
		}
		mustNew(t, s, models.ProductDetails{})
		got := map[string][]models.Event{}
		for deadline := time.Now().Add(10 * time.Second); len(got["b"]) == 0 && time.Now().Before(deadline); {
			res, err := s.DeliverEvents(ctx, []string{"a", "b"}, 100, func(_ context.Context, name string, evs []models.Event) error {
				if name == "a" {
					evs[0].Type = "redacted"
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				got[r.Consumer] = append(got[r.Consumer], r.Events...)
			}
		}
		if len(got["b"]) == 0 || got["b"][0].Type != models.EventProductCreated || got["a"][0].Type != "redacted" {
			t.Fatalf("a was given %v, b %v", typesOf(got["a"]), typesOf(got["b"]))
		}
	})
}

// Two instances registering the same new consumers, listed in different
// orders (two builds side by side during a deploy), do not deadlock: one
// registers them, the other finds them busy.
func TestRegisteringConsumersInAnyOrder(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	a := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 2, MaxIdleConns: 2})
	b := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 2, MaxIdleConns: 2})
	ctx := context.Background()
	noop := func(context.Context, string, []models.Event) error { return nil }
	for i := 0; i < 200; i++ {
		x, y := fmt.Sprintf("x%d", i), fmt.Sprintf("y%d", i)
		start := make(chan struct{})
		errs := make(chan error, 2)
		for _, run := range []struct {
			s     *store.Store
			names []string
		}{{a, []string{x, y}}, {b, []string{y, x}}} {
			go func() {
				<-start
				_, err := run.s.DeliverEvents(ctx, run.names, 10, noop)
				errs <- err
			}()
		}
		close(start)
		for j := 0; j < 2; j++ {
			if err := <-errs; err != nil {
				t.Fatalf("registering %s and %s: %v", x, y, err)
			}
		}
	}
}

// Many writers and several dispatchers at once on PostgreSQL, where ids
// are taken before transactions commit and in any order: every event is
// delivered, exactly once, and each write's events together in their
// order.
func TestDeliveryUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	s := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 30, MaxIdleConns: 30})
	other := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 10, MaxIdleConns: 10})
	ctx := context.Background()
	if _, err := deliverOne(ctx, s, "hammer", 100, func(context.Context, []models.Event) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	const writers, orders = 8, 25
	products := make([]*models.Product, 4)
	for i := range products {
		np, _ := models.ParseNewProduct(1, 100_000, models.ProductDetails{})
		p, err := s.CreateProduct(ctx, np)
		if err != nil {
			t.Fatal(err)
		}
		products[i] = p
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var order []models.Event
	handle := func(_ context.Context, evs []models.Event) error {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			seen[e.ID]++
			order = append(order, e)
		}
		return nil
	}
	done := make(chan struct{})
	var dispatchers sync.WaitGroup
	for _, st := range []*store.Store{s, s, other} {
		dispatchers.Add(1)
		go func() {
			defer dispatchers.Done()
			for {
				_, err := deliverOne(ctx, st, "hammer", 7, handle, nil)
				if err != nil && !errors.Is(err, models.ErrConsumerBusy) {
					t.Error(err)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < orders; i++ {
				a, b := products[(w+i)%4], products[(w+i+1)%4]
				req, _ := models.ParseOrder(fmt.Sprint("c", w), []models.OrderLine{{ProductID: a.ID, Quantity: 1}, {ProductID: b.ID, Quantity: 1}})
				if _, err := s.CreateOrder(ctx, req); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	dispatchers.Wait()
	// Drain what the dispatchers had not reached when they stopped (once
	// final: other tests' transactions on the server may hold it back).
	all := allEvents(t, s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		left := 0
		for _, e := range all {
			if seen[e.ID] == 0 {
				left++
			}
		}
		mu.Unlock()
		if left == 0 || time.Now().After(deadline) {
			break
		}
		if _, err := deliverOne(ctx, s, "hammer", 100, handle, nil); err != nil {
			t.Fatal(err)
		}
	}
	var want int
	for _, e := range all {
		// The consumer came before any write: it is given every event.
		if seen[e.ID] != 1 {
			t.Fatalf("event %d (%s) delivered %d times", e.ID, e.Type, seen[e.ID])
		}
		if e.Type == models.EventOrderPlaced {
			want++
		}
	}
	if want != writers*orders {
		t.Fatalf("%d orders placed, want %d", want, writers*orders)
	}
	// Each write's three events arrive together and in their order.
	for i := 0; i < len(order); {
		w := order[i].Write
		n := 0
		for ; i < len(order) && order[i].Write == w; i++ {
			if n > 0 && order[i].ID <= order[i-1].ID {
				t.Fatalf("events of one write out of order: %d after %d", order[i].ID, order[i-1].ID)
			}
			n++
		}
		if order[i-n].Type == models.EventOrderPlaced && n != 3 {
			t.Fatalf("an order's write delivered as %d events, not 3 together", n)
		}
	}
}

// A transaction that runs long in another database of the server holds
// nothing back (it can't write this database's events); one in this
// database holds delivery back until it ends, and nothing is skipped.
func TestHorizonIsThisDatabases(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	s := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 4, MaxIdleConns: 4})
	other := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	var got []models.Event
	handle := func(_ context.Context, evs []models.Event) error { got = append(got, evs...); return nil }
	if _, err := deliverOne(ctx, s, "c", 100, handle, nil); err != nil {
		t.Fatal(err)
	}
	hold := func(st *store.Store) (release func()) {
		db, err := st.DB()
		if err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	}
	release := hold(other)
	defer release()
	mustNew(t, s, models.ProductDetails{})
	if n, err := deliverFinal(ctx, s, "c", 100, handle, nil); err != nil || n != 2 {
		t.Fatalf("with a transaction open in another database: %d delivered, %v", n, err)
	}
	// One open in this database, begun before the next write: the write's
	// events wait for it.
	releaseHere := hold(s)
	p := mustNew(t, s, models.ProductDetails{})
	if n, err := deliverOne(ctx, s, "c", 100, handle, nil); err != nil || n != 0 {
		t.Fatalf("behind a transaction of this database: %d delivered, %v", n, err)
	}
	releaseHere()
	if n, err := deliverFinal(ctx, s, "c", 100, handle, nil); err != nil || n != 2 {
		t.Fatalf("once it ended: %d delivered, %v", n, err)
	}
	if got[len(got)-1].Subject != p.ID && got[len(got)-2].Subject != p.ID {
		t.Errorf("the last events are not the second product's: %+v", got[len(got)-2:])
	}
}

// Events older than the retention go, oldest first, in batches; newer ones
// stay.
func TestPurgeEvents(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustNew(t, s, models.ProductDetails{})
		old := allEvents(t, s)
		db, err := s.DB()
		if err != nil {
			t.Fatal(err)
		}
		stmt := "UPDATE events SET at = ? WHERE id <= ?"
		if s.Kind() == "PostgreSQL" {
			stmt = "UPDATE events SET at = $1 WHERE id <= $2"
		}
		if _, err := db.Exec(stmt, time.Now().Add(-8*24*time.Hour).UTC(), old[len(old)-1].ID); err != nil {
			t.Fatal(err)
		}
		mustNew(t, s, models.ProductDetails{})
		n, err := s.PurgeEvents(ctx, time.Now().Add(-7*24*time.Hour))
		if err != nil || n != int64(len(old)) {
			t.Fatalf("purged %d, %v; want the %d old events", n, err, len(old))
		}
		left := allEvents(t, s)
		if len(left) != 2 || left[0].ID <= old[len(old)-1].ID {
			t.Fatalf("left %v", typesOf(left))
		}
		if n, err := s.PurgeEvents(ctx, time.Now().Add(-7*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("purged again: %d %v", n, err)
		}
	})
}

// The order's write path on PostgreSQL stays two round trips: BEGIN, the
// products' lock and then their variants' read in one batch (variants
// added the read), the stock of variants and products in one statement,
// one INSERT of every row (the outbox's events among them) and COMMIT in
// the other; six statements (eight with an idempotency key, whose claim
// adds two).
func TestOrderWritePathOnPostgreSQL(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, mustNew(t, s, models.ProductDetails{}).ID)
	}
	before := len(allEvents(t, s))
	for _, key := range []string{"", "key-1"} {
		req, err := models.ParseOrder("cust", []models.OrderLine{{ProductID: ids[0], Quantity: 1}, {ProductID: ids[1], Quantity: 1}, {ProductID: ids[2], Quantity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		req.IdempotencyKey, req.Actor = key, "cust"
		n := s.Statements()
		if _, err := s.CreateOrder(ctx, req); err != nil {
			t.Fatal(err)
		}
		want := uint64(6)
		if key != "" {
			want = 8
		}
		if got := s.Statements() - n; got != want {
			t.Errorf("order (key %q): %d statements, want %d", key, got, want)
		}
	}
	if got := len(allEvents(t, s)) - before; got != 2*4 {
		t.Errorf("%d events for two orders of three lines, want 8 (order.placed and three stock.changed each)", got)
	}
}

// The subscriptions' reads (issue 21): the head is after every event so
// far; EventsAfter gives what came after a place, in order, in pages, and
// on PostgreSQL nothing of a transaction newer than one still running in
// this database, until that one ends.
func TestEventsAfterTheHead(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustNew(t, s, models.ProductDetails{}) // before the head
		tx, id, err := s.EventsHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if evs, err := s.EventsAfter(ctx, tx, id, 100); err != nil || len(evs) != 0 {
			t.Fatalf("after the head, before any write: %v %v", evs, err)
		}
		p := mustNew(t, s, models.ProductDetails{}) // product.created, stock.changed
		if _, err := s.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		first, err := s.EventsAfter(ctx, tx, id, 2)
		if err != nil || len(first) != 2 || first[0].Type != models.EventProductCreated || first[0].Subject != p.ID {
			t.Fatalf("the first page: %+v %v", first, err)
		}
		last := first[1]
		rest, err := s.EventsAfter(ctx, last.Tx, last.ID, 100)
		if err != nil || len(rest) != 1 || rest[0].Type != models.EventStockChanged {
			t.Fatalf("the rest: %+v %v", rest, err)
		}
	})
}

func TestEventsAfterWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	tx, id, err := s.EventsHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	held, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if _, err := held.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	p := mustNew(t, s, models.ProductDetails{})
	if evs, err := s.EventsAfter(ctx, tx, id, 100); err != nil || len(evs) != 0 {
		t.Fatalf("behind a transaction still running: %+v %v", evs, err)
	}
	_ = held.Rollback()
	evs, err := s.EventsAfter(ctx, tx, id, 100)
	if err != nil || len(evs) != 2 || evs[0].Subject != p.ID {
		t.Fatalf("once it ended: %+v %v", evs, err)
	}
}
