package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/testenv"
)

// A Redis as small as Render's free Key Value, evicting keys with a TTL as
// render.yaml's volatile-lru does: a flood of cache-sized entries between
// guesses evicts the login counters (hostile finding 4), and the 11th wrong
// guess is refused all the same.
func TestExactSurvivesEviction(t *testing.T) {
	t.Parallel()
	url := testenv.OwnRedis(t, "--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru")
	var log lockedLog
	r := mustRedis(t, url, "shop:", &log)
	l := Exact(r, Allowance{Name: "login-email-ip", Limit: 10, Window: 15 * time.Minute, Key: ByEmailAtIP})
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	defer client.Close()
	ctx := context.Background()
	const key = "admin@example.com\x00203.0.113.7"
	value := strings.Repeat("x", 100<<10)
	counted := func() int {
		keys, err := client.Keys(ctx, "shop:ratelimit:login-email-ip*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}

	evicted := 0
	for guess := 1; guess <= 10; guess++ {
		mustAllow(t, l, ctx, key, true)
		if counted() != 1 {
			t.Fatalf("guess %d: the counter is not in Redis", guess)
		}
		// What ten anonymous 1 MB responses would write, cached for 100 s.
		for i := 0; i < 20; i++ {
			if err := client.Set(ctx, fmt.Sprintf("shop:r:%d:%d", guess, i), value, 100*time.Second).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if counted() == 0 {
			evicted++
		}
	}
	// The flood did what it does to the shared count, or this test proves nothing.
	if evicted < 5 {
		t.Fatalf("the counter was evicted after %d of 10 guesses; the flood is too small to test anything", evicted)
	}
	ok, retry := l.Allow(ctx, key)
	if ok || retry < time.Second {
		t.Fatalf("11th guess after the counter was evicted %d times: ok %v, retry %v; want refused", evicted, ok, retry)
	}
	mustAllow(t, l, ctx, "admin@example.com\x00203.0.113.8", true) // another address is untouched
}

// With Redis intact, the in-process count never refuses first: two
// instances share one allowance exactly, as before.
func TestExactShadowDoesNotNarrowSharedCount(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	var log lockedLog
	a := Allowance{Name: "login-email", Limit: 6, Window: 24 * time.Hour, Key: ByEmail}
	one, two := Exact(mustRedis(t, url, prefix, &log), a), Exact(mustRedis(t, url, prefix, &log), a)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		l := one
		if i >= 3 {
			l = two
		}
		mustAllow(t, l, ctx, "ann@example.com", true)
	}
	mustAllow(t, one, ctx, "ann@example.com", false)
	mustAllow(t, two, ctx, "ann@example.com", false)
}

func TestEviction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    Eviction
		evicts  bool
		wantErr bool
	}{
		{name: "render", args: []string{"--maxmemory", "25mb", "--maxmemory-policy", "volatile-lru"}, want: Eviction{"volatile-lru", 25 << 20}, evicts: true},
		{name: "no bound", args: []string{"--maxmemory", "0", "--maxmemory-policy", "allkeys-lru"}, want: Eviction{"allkeys-lru", 0}},
		{name: "noeviction", args: []string{"--maxmemory", "2mb", "--maxmemory-policy", "noeviction"}, want: Eviction{"noeviction", 2 << 20}},
		// Managed services refuse one or the other.
		{name: "INFO refused", args: []string{"--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lfu", "--rename-command", "INFO", ""}, want: Eviction{"allkeys-lfu", 2 << 20}, evicts: true},
		{name: "both refused", args: []string{"--rename-command", "INFO", "", "--rename-command", "CONFIG", ""}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log lockedLog
			r := mustRedis(t, testenv.OwnRedis(t, tt.args...), "shop:", &log)
			got, err := r.Eviction(context.Background())
			if (err != nil) != tt.wantErr || got != tt.want || got.Evicts() != tt.evicts {
				t.Fatalf("Eviction = %+v (evicts %v), %v; want %+v (evicts %v), error %v", got, got.Evicts(), err, tt.want, tt.evicts, tt.wantErr)
			}
			set := &Set{redis: r}
			set.CheckEviction(context.Background())
			if warned := log.count("level=WARN") == 1; warned != tt.evicts {
				t.Fatalf("warned %v, want %v:\n%s", warned, tt.evicts, log.buf.String())
			}
			if tt.wantErr && log.count("could not read") != 1 {
				t.Fatalf("unreadable policy not logged:\n%s", log.buf.String())
			}
		})
	}
}

// A per-request limiter keeps what this process counted when Redis loses
// the shared key (deleted here, as eviction does): the next flush's total
// would otherwise start again from this flush's events alone.
func TestBatchedSurvivesLostKey(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	var log lockedLog
	r := mustRedis(t, url, prefix, &log)
	l := Batched(r, Allowance{Name: "ip", Limit: 5, Window: 24 * time.Hour}, time.Hour)
	ctx := context.Background()
	const ip = "198.51.100.7"
	for i := 0; i < 3; i++ {
		mustAllow(t, l, ctx, ip, true)
	}
	mustFlush(t, l)
	keys, err := r.client.Keys(ctx, prefix+"ratelimit:ip*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("shared keys %v, %v; want one", keys, err)
	}
	if err := r.client.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	mustAllow(t, l, ctx, ip, true)
	mustFlush(t, l) // Redis now holds 1
	mustAllow(t, l, ctx, ip, true)
	mustAllow(t, l, ctx, ip, false)
	mustFlush(t, l)
	mustAllow(t, l, ctx, ip, false)
}
