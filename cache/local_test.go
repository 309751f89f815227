package cache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/testenv"
	"shop/models"
)

func TestLocalTierRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := newLocal(time.Second, 100, 1<<20)
	at := func(v uint64) []dep { return []dep{{key: "v:k", version: v}} }

	// A message set v2 while a read of v1 was in flight: the read's version
	// must not replace it, and its value must not be stored.
	l.set(at(2), now)
	l.learn("v:k", 1, now)
	l.put("d:k", at(1), "old", 3, now)
	if _, _, ok := l.get("d:k", now); ok {
		t.Fatal("a value read under an overtaken version was served")
	}
	l.put("d:k", at(2), "new", 3, now)
	if v, deps, ok := l.get("d:k", now); !ok || v != "new" || len(deps) != 1 || deps[0].version != 2 {
		t.Fatalf("get = %v, %v, %v; want new under v2", v, deps, ok)
	}
	// Versions only move forward: a version learned from Redis never
	// replaces a newer one, even after the newer one's TTL ran out (a
	// write of this instance whose invalidation is not yet in Redis).
	l.learn("v:k", 1, now.Add(2*time.Second))
	if l.versions["v:k"].version != 2 {
		t.Fatalf("version %d replaced the newer 2", l.versions["v:k"].version)
	}
	l.learn("v:k", 3, now)
	if l.versions["v:k"].version != 3 {
		t.Fatal("a newer version from Redis was not taken")
	}
	if _, _, ok := l.get("d:k", now); ok {
		t.Fatal("an entry was served after a newer version of what it read")
	}
	// An entry depends on every version it read: one changing retires it.
	l.set([]dep{{key: "v:a", version: 5}, {key: "v:b", version: 5}}, now)
	both := []dep{{key: "v:a", version: 5}, {key: "v:b", version: 5}}
	l.put("d:ab", both, "ab", 2, now)
	if _, _, ok := l.get("d:ab", now); !ok {
		t.Fatal("an entry whose versions are all current was not served")
	}
	l.set([]dep{{key: "v:b", version: 6}}, now)
	if _, _, ok := l.get("d:ab", now); ok {
		t.Fatal("an entry was served after one of the versions it read changed")
	}
	// Everything expires after the TTL, the backstop for lost messages.
	l.set(at(4), now)
	l.put("d:k", at(4), "4", 1, now)
	if _, _, ok := l.get("d:k", now.Add(2*time.Second)); ok {
		t.Fatal("entry served after its TTL")
	}
	// A full tier makes room rather than grow.
	small := newLocal(time.Second, 4, 1<<20)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		small.set([]dep{{key: k, version: 1}}, now)
	}
	if len(small.versions) > 4 {
		t.Fatalf("tier grew to %d entries past its bound of 4", len(small.versions))
	}
	// And by bytes, versions and entries alike: large values (whole
	// responses) can't grow it past its budget, and one larger than the
	// budget is not kept at all.
	const budget = 1000
	tight := newLocal(time.Second, 1000, budget)
	for i := 0; i < 100; i++ {
		k := "v:" + strconv.Itoa(i)
		tight.set([]dep{{key: k, version: 1}}, now)
		tight.put("d:"+strconv.Itoa(i), []dep{{key: k, version: 1}}, "x", 300, now)
		if tight.bytes > budget {
			t.Fatalf("tier holds %d bytes past its budget of %d", tight.bytes, budget)
		}
	}
	tight.set(at(1), now)
	tight.put("huge", at(1), "x", budget+1, now)
	if _, ok := tight.data["huge"]; ok {
		t.Fatal("a value larger than the whole budget was kept")
	}
	l.flush(false)
	if len(l.versions)+len(l.data) != 0 {
		t.Fatal("flush left entries")
	}
}

// TestLocalTierKeepsNothingReadBeforeAFlush: a version or value read from
// Redis before the subscription dropped may predate a message lost in the
// gap, so it is not stored when it arrives after the flush; and while the
// subscription is down the tier serves and stores nothing.
func TestLocalTierKeepsNothingReadBeforeAFlush(t *testing.T) {
	t.Parallel()
	l := newLocal(time.Minute, 100, 1<<20)
	read := time.Now() // the lookup in Redis starts
	l.flush(true)      // the subscription drops meanwhile
	l.learn("v:a", 1, read)
	l.put("d:a", []dep{{key: "v:a", version: 1}}, "old", 10, read)
	if _, _, ok := l.get("d:a", time.Now()); ok {
		t.Fatal("a value read before the flush was served")
	}
	now := time.Now()
	l.learn("v:a", 2, now)
	l.put("d:a", []dep{{key: "v:a", version: 2}}, "new", 10, now)
	if _, _, ok := l.get("d:a", now); ok {
		t.Fatal("the tier served while deaf")
	}
	l.flush(false) // subscribed again
	now = time.Now()
	l.learn("v:a", 2, read)
	if len(l.versions) != 0 {
		t.Fatal("a version read before the flush was kept")
	}
	l.learn("v:a", 2, now)
	l.put("d:a", []dep{{key: "v:a", version: 2}}, "new", 10, now)
	if v, _, ok := l.get("d:a", now); !ok || v != "new" {
		t.Fatalf("after the subscription came back: %v, %v", v, ok)
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
	st, c := mustCatalog(t, backend)
	defer c.Close()
	if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return c.stats.Resets.Load() >= 1 }) // subscribed
	p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1})
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
	if _, _, ok := c.l1.get(productDataKey(p.ID), time.Now()); ok {
		t.Fatal("the local tier kept entries across a dropped subscription")
	}
}

// TestLocalSweepDropsExpiredEntries: expired entries leave the tier (and
// the heap) without waiting for it to fill; live entries and versions stay.
func TestLocalSweepDropsExpiredEntries(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := newLocal(time.Second, 100, 1<<20)
	at := []dep{{key: "v:k", version: 1}}
	l.set(at, now)
	for i := 0; i < 10; i++ {
		l.put(fmt.Sprintf("d:old%d", i), at, "old", 3, now)
	}
	later := now.Add(1500 * time.Millisecond)
	l.learn("v:k", 1, later)
	l.put("d:new", at, "new", 3, later)
	_, before, bytesBefore := l.size()
	l.sweep(later)
	versions, entries, bytes := l.size()
	if before != 11 || entries != 1 || versions != 1 {
		t.Fatalf("after the sweep: %d versions, %d entries (of %d); want 1 and 1", versions, entries, before)
	}
	if _, _, ok := l.get("d:new", later); !ok {
		t.Fatal("the live entry was swept")
	}
	if l.peak != 1 {
		t.Fatalf("peak %d after the sweep; want the map made again at its survivors' size (1)", l.peak)
	}
	if bytes >= bytesBefore || bytes != stampSize("v:k")+entrySize("d:new", at, 3) {
		t.Fatalf("bytes %d after the sweep (%d before); want only the live entry and its version counted", bytes, bytesBefore)
	}
}
