package cache

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

func TestLocalTierRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := newLocal(time.Second, 100, 1<<20)

	// A message set v2 while a read of v1 was in flight: the read's version
	// must not replace it, and its value must not be stored.
	l.set(map[string]string{"v:k": "v2"}, now)
	l.learn("v:k", "v1", now)
	l.put("v:k", "d:k", "v1", "old", 3, now)
	if _, ok := l.get("v:k", "d:k", now); ok {
		t.Fatal("a value read under an overtaken version was served")
	}
	l.put("v:k", "d:k", "v2", "new", 3, now)
	if v, ok := l.get("v:k", "d:k", now); !ok || v != "new" {
		t.Fatalf("get = %v, %v; want new", v, ok)
	}
	// Everything expires after the TTL, the backstop for lost messages.
	if _, ok := l.get("v:k", "d:k", now.Add(2*time.Second)); ok {
		t.Fatal("entry served after its TTL")
	}
	l.learn("v:k", "v3", now.Add(2*time.Second))
	if l.versions["v:k"].version != "v3" {
		t.Fatal("an expired version was not replaced by the one read from Redis")
	}
	// A full tier makes room rather than grow.
	small := newLocal(time.Second, 4, 1<<20)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		small.set(map[string]string{k: "1"}, now)
	}
	if len(small.versions) > 4 {
		t.Fatalf("tier grew to %d entries past its bound of 4", len(small.versions))
	}
	// And by bytes: large values (whole responses) can't grow it past its
	// budget, and one larger than the budget is not kept at all.
	tight := newLocal(time.Second, 1000, 100)
	tight.set(map[string]string{"v": "1"}, now)
	for i := 0; i < 10; i++ {
		tight.put("v", string(rune('a'+i)), "1", "x", 30, now)
		if tight.bytes > 100 {
			t.Fatalf("tier holds %d bytes past its budget of 100", tight.bytes)
		}
	}
	tight.put("v", "huge", "1", "x", 101, now)
	if _, ok := tight.data["huge"]; ok {
		t.Fatal("a value larger than the whole budget was kept")
	}
	l.flush()
	if len(l.versions)+len(l.data) != 0 {
		t.Fatal("flush left entries")
	}
}

// TestLocalTierFlushesWhenTheSubscriptionDrops: when the pub/sub connection
// is cut, messages may be lost, so the local tier starts over.
func TestLocalTierFlushesWhenTheSubscriptionDrops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, prefix := testenv.MustRedis(t)
	backend, err := NewRedis(url, prefix, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "s.db"), MaxOpenConns: 2, MaxIdleConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := NewCatalog(st, backend, time.Minute, nil)
	if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return c.stats.Resets.Load() >= 1 }) // subscribed
	p, _ := c.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
	for i := 0; i < 3; i++ {
		if _, err := c.ProductByID(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if c.stats.LocalHits.Load() == 0 {
		t.Fatal("warm reads did not hit the local tier")
	}

	opt, _ := redis.ParseURL(url)
	admin := redis.NewClient(opt)
	defer admin.Close()
	// Cut only this test's subscription: other tests share the server.
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+strings.TrimSuffix(prefix, ":")+" ") && !strings.Contains(line, " sub=0 ") {
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "id="); ok {
					n, _ := strconv.ParseInt(id, 10, 64)
					if err := admin.ClientKillByFilter(ctx, "ID", strconv.FormatInt(n, 10)).Err(); err != nil {
						t.Fatal(err)
					}
					killed++
				}
			}
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d subscriber connections, want 1:\n%s", killed, list)
	}
	testenv.WaitFor(t, func() bool { return c.stats.Resets.Load() >= 2 })
	if _, ok := c.l1.get(productVersionKey(p.ID), productDataKey(p.ID), time.Now()); ok {
		t.Fatal("the local tier kept entries across a dropped subscription")
	}
}
