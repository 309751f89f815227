package cache_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/cache"
	"shop/internal/testenv"
	"shop/models"
)

// failingBump is a real Redis backend whose next fail invalidations fail
// (the catalog's own and its retries alike), as if the connection broke
// exactly at that call. Every other call
// reaches Redis, which answers and still holds the old entries under their
// old versions: the case where trusting Redis would serve the old data.
// (A backend made to fail as a whole would only rest, and send every read
// to the database, hiding the fault.)
type failingBump struct {
	*cache.Redis
	fail atomic.Int32
}

func (f *failingBump) Bump(ctx context.Context, changes []cache.Change, marks []string, ttl time.Duration) ([]uint64, error) {
	if f.fail.Add(-1) >= 0 {
		return nil, errors.New("redis: connection reset by peer (at the invalidation)")
	}
	return f.Redis.Bump(ctx, changes, marks, ttl)
}

// TestFailedInvalidation: when Redis fails at the invalidation, the
// instance that wrote shows its write at once all the same, from every
// read path and after its own local tier's versions would have expired,
// and the other instances show it as soon as the retry reaches Redis.
func TestFailedInvalidation(t *testing.T) {
	t.Parallel()
	for _, writerTier := range []bool{true, false} {
		name := "writer with a local tier"
		if !writerTier {
			name = "writer reading Redis directly"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			path := dbPath(t) // one database, two instances
			url, prefix := testenv.MustRedis(t)
			backend := func() *cache.Redis {
				r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = r.Close() })
				return r
			}
			fa := &failingBump{Redis: backend()}
			st, a := mustInstance(t, path, fa) // the writer
			_, b := mustInstance(t, path, backend())
			if writerTier {
				if err := a.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
					t.Fatal(err)
				}
				testenv.WaitFor(t, func() bool { return a.Stats().Resets.Load() >= 1 })
			}
			if err := b.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
				t.Fatal(err)
			}
			testenv.WaitFor(t, func() bool { return b.Stats().Resets.Load() >= 1 }) // subscribed

			p, err := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
			if err != nil {
				t.Fatal(err)
			}
			// response serves "k", whose body is the stock it read, and
			// reports whether it was a hit and the stock it shows.
			response := func(c *cache.Catalog) (hit bool, shown string) {
				body, hit, exec, fill := c.Response(ctx, "k")
				if hit {
					return true, string(body)
				}
				got, err := c.ProductByID(exec, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				body = []byte(strconv.Itoa(got.StockCount))
				fill(body)
				return false, string(body)
			}
			stock := func(c *cache.Catalog) int {
				got, err := c.ProductByID(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.StockCount
			}
			// Warm both instances' tiers and Redis with stock 1.
			for _, c := range []*cache.Catalog{a, b, a, b} {
				if stock(c) != 1 {
					t.Fatal("warm-up read wrong")
				}
				response(c)
			}
			if hitA, _ := response(a); !hitA {
				t.Fatal("response not cached in the writer after warm-up")
			}
			if hitB, _ := response(b); !hitB {
				t.Fatal("response not cached in the other instance after warm-up")
			}

			// Every invalidation fails, the retries too, until the test
			// lets them through: what the writer shows before the retry
			// reaches Redis is checked while it can't have (the first
			// retry comes 100ms after the failure, and under load these
			// checks take longer than that).
			fa.fail.Store(1 << 30)
			two := 2
			if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &two}); err != nil {
				t.Fatalf("the write must succeed though its invalidation fails: %v", err)
			}
			if n := a.Stats().FailedInvalidations.Load(); n != 1 {
				t.Fatalf("failed invalidations = %d, want 1: the test did not fail the invalidation", n)
			}
			// Redis still holds stock 1 under the version it calls current
			// (until the retry); the writer must not trust it, nor after a
			// retry that failed as well.
			writerShowsItsWrite := func() {
				t.Helper()
				for i := 0; i < 3; i++ {
					if got := stock(a); got != 2 {
						t.Fatalf("the writer shows stock %d straight after its own write, want 2", got)
					}
					byIDs, err := a.ProductsByIDs(ctx, []string{p.ID})
					if err != nil || byIDs[p.ID].StockCount != 2 {
						t.Fatalf("the writer's batch read shows %+v, %v; want stock 2", byIDs[p.ID], err)
					}
					list, err := a.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
					if err != nil || len(list) != 1 || list[0].StockCount != 2 {
						t.Fatalf("the writer's list shows %+v, %v; want stock 2", list, err)
					}
					if hit, shown := response(a); hit || shown != "2" {
						t.Fatalf("the writer served a response (hit %v) showing stock %s before the retry reached Redis, want a fresh one showing 2", hit, shown)
					}
				}
			}
			writerShowsItsWrite()
			testenv.WaitFor(t, func() bool { return fa.fail.Load() < 1<<30-1 }) // a retry failed
			writerShowsItsWrite()
			fa.fail.Store(0)

			// The retry reaches Redis and the other instance learns of the
			// write; then the writer trusts the cache again.
			testenv.WaitFor(t, func() bool { return stock(b) == 2 })
			if hit, shown := response(b); hit || shown != "2" {
				t.Fatalf("the other instance served a response (hit %v) showing stock %s after the retry, want a fresh one showing 2", hit, shown)
			}
			testenv.WaitFor(t, func() bool {
				before := a.Stats().Hits.Load()
				return stock(a) == 2 && a.Stats().Hits.Load() > before
			})
			response(a) // stored under the versions the retry gave
			if hit, shown := response(a); !hit || shown != "2" {
				t.Fatalf("the writer's response after the retry: hit %v, stock %s; want a hit showing 2", hit, shown)
			}
		})
	}
}

// TestMissingVersionKeyIsNeverAMatch: a version key that disappears (evicted
// or expired) and is created again gets a version no entry recorded, so an
// entry from before can't come back to life.
func TestMissingVersionKeyIsNeverAMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, prefix := testenv.MustRedis(t)
	r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, c := mustCached(t, r)
	defer c.Close()
	p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
	if got, _ := c.ProductByID(ctx, p.ID); got.StockCount != 1 {
		t.Fatal("warm-up read wrong")
	}
	opt, _ := redis.ParseURL(url)
	admin := redis.NewClient(opt)
	defer admin.Close()
	if n, err := admin.Del(ctx, prefix+"v:p:"+p.ID).Result(); err != nil || n != 1 {
		t.Fatalf("deleting the version key: %d, %v", n, err)
	}
	// A write now gives the key a version again; the entry from before
	// is still in Redis. (Versions counted per key, by INCR, would start
	// over at the very version the entry recorded.)
	seven := 7
	if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &seven}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 7 {
		t.Fatalf("read = %+v, %v; an entry was taken for current under a version key created again", got, err)
	}
}

// TestCloseWaitsForBackgroundWork: the cache's work beyond requests (the
// invalidation subscription, retries of a failed invalidation) is over
// when Close returns, so none of it outlives the process's shutdown or
// finds the backend closed under it.
//
// Not parallel: it counts the process's goroutines, so it runs while no
// other test does, against the count it starts with.
func TestCloseWaitsForBackgroundWork(t *testing.T) {
	ctx := context.Background()
	before := cacheGoroutines()
	url, prefix := testenv.MustRedis(t)
	r, err := cache.NewRedis(url, prefix, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fa := &failingBump{Redis: r}
	fa.fail.Store(1 << 30) // every invalidation fails, so retries keep coming
	st, c := mustCached(t, fa)
	if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return c.Stats().Resets.Load() >= 1 }) // subscribed
	if _, err := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return fa.fail.Load() < 1<<30-1 }) // a retry ran
	if n := cacheGoroutines(); n <= before {
		t.Fatal("no background goroutine seen before Close: the check below proves nothing")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := cacheGoroutines(); n != before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines of the cache running after Close, %d before it started:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	if _, err := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1}); err != nil {
		t.Fatal(err) // writes still work (without retries) with a closed catalog as their sink
	}
	if n := cacheGoroutines(); n != before {
		t.Fatalf("a write after Close started %d background goroutines", n-before)
	}
}

// cacheGoroutines counts the goroutines running code of package cache, other
// than tests. Only the frames count, not the "created by" line: a goroutine
// the cache started whose function has returned, and that the runtime has
// not yet torn down, runs none of its code (the race detector makes that
// moment long enough to be seen).
func cacheGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if created := strings.LastIndex(g, "\ncreated by "); created >= 0 {
			g = g[:created]
		}
		if strings.Contains(g, "shop/cache.") && !strings.Contains(g, "shop/cache_test.") {
			n++
		}
	}
	return n
}
