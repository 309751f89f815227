package cache

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// TestChurnStaysBounded: products created, read every way and deleted by
// the hundred leave nothing behind in Redis, and the in-process tiers
// (versions included) stay within their byte budget throughout.
func TestChurnStaysBounded(t *testing.T) {
	t.Parallel()
	const products, budget = 300, 16 << 10
	churn := func(t *testing.T, st *store.Store, c *Catalog, size func() int) {
		ctx := context.Background()
		for i := 0; i < products; i++ {
			p, err := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: i})
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 2; j++ {
				got, err := c.ProductByID(ctx, p.ID)
				if err != nil || got.StockCount != i {
					t.Fatalf("product %d read %d = %+v, %v", i, j, got, err)
				}
			}
			if byIDs, err := c.ProductsByIDs(ctx, []string{p.ID}); err != nil || byIDs[p.ID].StockCount != i {
				t.Fatalf("product %d batch read = %+v, %v", i, byIDs[p.ID], err)
			}
			_, hit, exec, fill := c.Response(ctx, "list")
			if hit {
				t.Fatal("a list response survived a create and a delete")
			}
			if list, err := c.ListProducts(exec, models.Page{Limit: 5}, models.ProductFilter{}); err != nil || len(list) != 1 || list[0].ID != p.ID {
				t.Fatalf("list = %+v, %v; want only product %d", list, err, i)
			}
			fill([]byte(`{"data":"list"}`))
			if ok, err := st.DeleteProduct(ctx, p.ID); err != nil || !ok {
				t.Fatalf("delete = %v, %v", ok, err)
			}
			if n := size(); n > budget {
				t.Fatalf("after %d products the in-process cache holds %d bytes, past its budget of %d", i+1, n, budget)
			}
		}
	}
	t.Run("Redis with a local tier", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		url, prefix := testenv.MustRedis(t)
		backend, err := NewRedis(url, prefix, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer backend.Close()
		st, c := mustCatalog(t, backend)
		defer c.Close()
		if err := c.EnableLocal(ctx, time.Minute, 100_000, budget); err != nil {
			t.Fatal(err)
		}
		churn(t, st, c, func() int { _, _, b := c.l1.size(); return b })

		opt, _ := redis.ParseURL(url)
		admin := redis.NewClient(opt)
		defer admin.Close()
		keys, err := admin.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		// Left: the lists' four versions (membership, and those of lists
		// by fields, by stock and by both), the clock, the list's ids and
		// the list response; nothing per product. Besides them, each
		// write's marker (markKey: its instance invalidated it, for the
		// outbox's consumer) until the cache's TTL: one per write, none
		// outliving the TTL.
		var rest, marks []string
		for _, k := range keys {
			if strings.HasPrefix(k, prefix+strings.TrimSuffix(markKey(0), "0")) {
				marks = append(marks, k)
			} else {
				rest = append(rest, k)
			}
		}
		if len(rest) > 7 {
			t.Fatalf("%d keys left after %d products came and went:\n%s", len(rest), products, strings.Join(rest, "\n"))
		}
		if len(marks) != 2*products {
			t.Fatalf("%d write markers after %d writes", len(marks), 2*products)
		}
		for _, k := range rest {
			if strings.Contains(k, ":p:") {
				t.Fatalf("a deleted product's key is left: %s", k)
			}
			if ttl := admin.PTTL(ctx, k).Val(); ttl <= 0 && k != prefix+"v:clock" {
				t.Fatalf("key %s never expires (PTTL %s)", k, ttl)
			}
		}
		for _, k := range marks {
			if ttl := admin.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Minute {
				t.Fatalf("write marker %s lives %s, want at most the cache's TTL (%s)", k, ttl, time.Minute)
			}
		}
	})
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		m := NewMemory(100_000, budget, time.Minute)
		st, c := mustCatalog(t, m)
		churn(t, st, c, func() int { return int(m.Bytes()) })
		if m.data.Len() == 0 {
			t.Fatal("the in-process cache holds nothing: the test checked an empty cache")
		}
	})
}

// TestMemoryEvictsVersionsSafely: the in-process backend may evict a
// version key under its byte budget; the version it gets next is one no
// entry recorded, so the entries that depended on it are dead.
func TestMemoryEvictsVersionsSafely(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	steps := func(m *Memory, filler []byte) (before, after []byte) {
		_, vs, _ := m.Lookup(ctx, nil, []string{"v:k"}, time.Minute)
		_ = m.Fill(ctx, map[string][]byte{"d:k": encodeEntry([]dep{{key: "v:k", version: vs[0]}}, []byte("old"))}, time.Minute)
		es, _, _ := m.Lookup(ctx, []string{"d:k"}, nil, time.Minute)
		_, _ = m.MGet(ctx, "d:k") // d:k is now the most recently used, v:k the least
		_ = m.MSet(ctx, map[string][]byte{"f": filler}, time.Minute)
		if v, _ := m.data.Peek("v:k"); v != nil {
			return es[0], []byte("v:k was not evicted")
		}
		es2, vs2, _ := m.Lookup(ctx, []string{"d:k"}, []string{"v:k"}, time.Minute)
		if vs2[0] <= vs[0] {
			t.Fatalf("version after eviction %d, not above %d", vs2[0], vs[0])
		}
		return es[0], es2[0]
	}
	// Measure, then size a budget that holds the entry and the filler but
	// not the version key as well.
	probe := NewMemory(100, 1<<20, time.Minute)
	steps(probe, make([]byte, 100))
	entry, _ := probe.data.Peek("d:k")
	budget := memorySize("d:k", entry) + memorySize("f", make([]byte, 100))
	m := NewMemory(100, budget, time.Minute)
	before, after := steps(m, make([]byte, 100))
	if before == nil {
		t.Fatal("the entry was not current before the eviction")
	}
	if after != nil {
		t.Fatalf("after its version key was evicted, the entry is %q", after)
	}
}

// mustCatalog is a catalog on b reading a store on a fresh database whose
// writes its invalidator hears of (the store's sink).
func mustCatalog(t *testing.T, b Backend) (*store.Store, *Catalog) {
	t.Helper()
	inv := NewInvalidator(b, time.Minute, nil)
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "s.db"), MaxOpenConns: 4, MaxIdleConns: 4, Sink: inv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, NewCatalog(st, inv)
}
