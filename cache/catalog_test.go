package cache_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shop/cache"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// countingStore counts the product reads that reach the real store.
type countingStore struct {
	cache.Reader
	byID, byIDs atomic.Int64
	gate        chan struct{} // when set, ProductByID waits on it after reading
}

func (c *countingStore) ProductByID(ctx context.Context, id string) (*models.Product, error) {
	p, err := c.Reader.ProductByID(ctx, id)
	c.byID.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return p, err
}

func (c *countingStore) ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error) {
	c.byIDs.Add(1)
	return c.Reader.ProductsByIDs(ctx, ids)
}

// dbPath names a fresh SQLite file for one test's database.
func dbPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "shop.db") }

// openStore opens a store on the SQLite file at path whose writes sink
// hears of (nil: none, as a store of an instance without the cache, or
// one that dies before it invalidates). Several stores may share a path:
// instances of the shop on one database.
func openStore(tb testing.TB, path string, sink store.Sink) *store.Store {
	tb.Helper()
	return storetest.MustOpen(tb, store.Options{SQLitePath: path, MaxOpenConns: 8, MaxIdleConns: 8, Sink: sink})
}

// mustInstance is one instance of the shop on the database at path: a
// store whose writes an invalidator on b hears of (its sink), and a
// catalog reading that store through the same invalidator.
func mustInstance(tb testing.TB, path string, b cache.Backend) (*store.Store, *cache.Catalog) {
	tb.Helper()
	inv := cache.NewInvalidator(b, time.Minute, nil)
	st := openStore(tb, path, inv)
	c := cache.NewCatalog(st, inv)
	tb.Cleanup(func() { _ = c.Close() })
	return st, c
}

// mustCached is one instance on a fresh database: write to the store,
// read from the catalog.
func mustCached(tb testing.TB, b cache.Backend) (*store.Store, *cache.Catalog) {
	tb.Helper()
	return mustInstance(tb, dbPath(tb), b)
}

// counted is c reading st through a countingStore, with c's invalidator.
func counted(st *store.Store, c *cache.Catalog) (*countingStore, *cache.Catalog) {
	cs := &countingStore{Reader: st}
	return cs, cache.NewCatalog(cs, c.Invalidator)
}

func MustRedisBackend(tb testing.TB) *cache.Redis {
	tb.Helper()
	url, prefix := testenv.MustRedis(tb)
	r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// backends runs a test on real Redis and on the in-process backend.
func backends(t *testing.T, test func(t *testing.T, b cache.Backend)) {
	t.Run("Redis", func(t *testing.T) { t.Parallel(); test(t, MustRedisBackend(t)) })
	t.Run("in-process", func(t *testing.T) { t.Parallel(); test(t, cache.NewMemory(1000, 1<<20, time.Minute)) })
}

func TestReadThroughAndInvalidation(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		cs, c := counted(st, c)
		p, err := st.CreateProduct(ctx, models.NewProduct{Price: 500, StockCount: 4})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			got, err := c.ProductByID(ctx, p.ID)
			if err != nil || got.StockCount != 4 || got.Price != 500 {
				t.Fatalf("read %d = %+v, %v", i, got, err)
			}
		}
		if n := cs.byID.Load(); n != 1 {
			t.Fatalf("store reads = %d, want 1 (then hits)", n)
		}
		if _, err := c.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{}); err != nil {
			t.Fatal(err)
		}

		// A write is visible to the very next read, single and listed.
		stock := 7
		if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &stock}); err != nil {
			t.Fatal(err)
		}
		got, _ := c.ProductByID(ctx, p.ID)
		list, _ := c.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
		if got.StockCount != 7 || len(list) != 1 || list[0].StockCount != 7 {
			t.Fatalf("after update: product %+v, list %+v", got, list)
		}

		// An order that takes stock invalidates too.
		req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 2}})
		if _, err := st.CreateOrder(ctx, req); err != nil {
			t.Fatal(err)
		}
		byIDs, err := c.ProductsByIDs(ctx, []string{p.ID})
		if err != nil || byIDs[p.ID].StockCount != 5 {
			t.Fatalf("after order: %+v, %v", byIDs[p.ID], err)
		}
		if got, _ := c.ProductByID(ctx, p.ID); got.StockCount != 5 {
			t.Fatalf("after order: stock %d, want 5", got.StockCount)
		}

		if ok, err := st.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete = %v, %v", ok, err)
		}
		if _, err := c.ProductByID(ctx, p.ID); !models.IsNotFound(err) {
			t.Fatalf("after delete: err = %v, want NOT_FOUND", err)
		}
		if list, _ := c.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{}); len(list) != 0 {
			t.Fatalf("after delete: list %+v", list)
		}
	})
}

func TestProductsByIDsBatchesMisses(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		cs, c := counted(st, c)
		var ids []string
		for i := 0; i < 5; i++ {
			p, _ := st.CreateProduct(ctx, models.NewProduct{Price: models.Money(i), StockCount: i})
			ids = append(ids, p.ID)
		}
		unknown := "00000000-0000-4000-8000-000000000000"
		for round := 0; round < 2; round++ {
			got, err := c.ProductsByIDs(ctx, append(ids, unknown))
			if err != nil || len(got) != 5 || got[unknown] != nil {
				t.Fatalf("round %d: %d products, %v", round, len(got), err)
			}
		}
		// Round one loads all five in one query; round two loads only the
		// unknown id, which is never cached.
		if n := cs.byIDs.Load(); n != 2 {
			t.Fatalf("store batch reads = %d, want 2", n)
		}
	})
}

// TestColdKeyLoadsOnce: many readers of a cold key share one database load.
func TestColdKeyLoadsOnce(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		gate := make(chan struct{})
		st, c := mustCached(t, b)
		cs, c := counted(st, c)
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
		cs.gate = gate

		const readers = 50
		var wg sync.WaitGroup
		errs := make(chan error, readers)
		for i := 0; i < readers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := c.ProductByID(ctx, p.ID)
				if err == nil && got.ID != p.ID {
					err = context.Canceled
				}
				errs <- err
			}()
		}
		// Hold the first load until every reader has missed and is waiting.
		testenv.WaitFor(t, func() bool { return c.Stats().Misses.Load() == readers })
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := cs.byID.Load(); n != 1 {
			t.Fatalf("store loads = %d for %d concurrent readers, want 1", n, readers)
		}
	})
}

// TestStaleFillIsNeverServed: a read that loaded a row before a write, but
// stores it after the write's invalidation, must not be served afterwards.
func TestStaleFillIsNeverServed(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		gate := make(chan struct{})
		st, c := mustCached(t, b)
		cs, c := counted(st, c)
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})

		// A slow reader: it starts, misses, and its load is held at the gate
		// until after the write below has committed and invalidated.
		cs.gate = gate
		slow := make(chan *models.Product)
		go func() {
			got, _ := c.ProductByID(ctx, p.ID)
			slow <- got
		}()
		testenv.WaitFor(t, func() bool { return cs.byID.Load() == 1 })
		stock := 99
		if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &stock}); err != nil {
			t.Fatal(err)
		}
		close(gate)
		if old := <-slow; old.StockCount != 1 {
			t.Fatalf("slow reader got stock %d; the test needs it to hold the row from before the write", old.StockCount)
		}
		cs.gate = nil
		got, err := c.ProductByID(ctx, p.ID)
		if err != nil || got.StockCount != 99 {
			t.Fatalf("read after write = %+v, %v; want stock 99", got, err)
		}
	})
}

func TestRedisDownFallsBackQuickly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dead, err := cache.NewRedis("redis://"+testenv.ClosedAddr(t)+"/0", "x:", 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	st, c := mustCached(t, dead)
	defer c.Close()

	start := time.Now()
	p, err := st.CreateProduct(ctx, models.NewProduct{Price: 250, StockCount: 3})
	if err != nil {
		t.Fatalf("write with Redis down: %v", err)
	}
	unknown := "00000000-0000-4000-8000-000000000000" // no write of this instance: a plain read
	for i := 0; i < 20; i++ {
		got, err := c.ProductByID(ctx, p.ID)
		if err != nil || got.Price != 250 {
			t.Fatalf("read with Redis down = %+v, %v", got, err)
		}
		if _, err := c.ListProducts(ctx, models.Page{Limit: 5}, models.ProductFilter{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ProductByID(ctx, unknown); !models.IsNotFound(err) {
			t.Fatalf("read of an unknown product with Redis down: %v", err)
		}
	}
	// Bounded: each call is cut at the 100 ms timeout at worst; a client
	// with go-redis' defaults would take seconds per call.
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("62 operations with Redis down took %s", elapsed)
	}
	if c.Stats().Faults.Load() == 0 || c.Stats().FailedInvalidations.Load() != 1 {
		t.Fatalf("with Redis down: %d cache faults, %d failed invalidations; want some, and 1",
			c.Stats().Faults.Load(), c.Stats().FailedInvalidations.Load())
	}
	if err := dead.Ping(ctx); err == nil {
		t.Fatal("Ping to a closed port succeeded")
	}
}

func TestMemoryBackendIsBoundedByBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := cache.NewMemory(1000, 1000, time.Minute)
	for i := 0; i < 50; i++ {
		key := string(rune('A' + i))
		if err := m.MSet(ctx, map[string][]byte{key: make([]byte, 100)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = string(rune('A' + i))
	}
	vals, _ := m.MGet(ctx, keys...)
	if m.Bytes() > 1000 || vals[49] == nil || vals[0] != nil {
		t.Fatalf("holds %d bytes (budget 1000); newest kept %v, oldest dropped %v", m.Bytes(), vals[49] != nil, vals[0] == nil)
	}
}
