package ratelimit

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shop/auth"
	"shop/clientip"
	"shop/internal/testenv"
)

// The account service takes these as its auth.Limiter.
var _ auth.Limiter = (*Limiter)(nil)

func TestDecide(t *testing.T) {
	t.Parallel()
	const m = time.Minute
	tests := []struct {
		name           string
		cur, prev      int
		elapsed        time.Duration
		limit          int
		wantOK         bool
		wantRetryAfter time.Duration
	}{
		{name: "empty", limit: 1, wantOK: true},
		{name: "last one that fits", cur: 9, limit: 10, wantOK: true},
		// 10 carried into the next window: 10*(1-e/60) <= 9 at e = 6 s.
		{name: "full window", cur: 10, elapsed: 15 * time.Second, limit: 10, wantRetryAfter: 51 * time.Second},
		{name: "full window, near its end", cur: 10, elapsed: 59 * time.Second, limit: 10, wantRetryAfter: 7 * time.Second},
		// 0.5*10 + 5 = 10 > 9; fits once 10*(1-t/60) <= 4, at t = 36 s.
		{name: "history slides out", cur: 5, prev: 10, elapsed: 30 * time.Second, limit: 10, wantRetryAfter: 6 * time.Second},
		{name: "history still too heavy", cur: 9, prev: 10, elapsed: 30 * time.Second, limit: 10, wantRetryAfter: 30 * time.Second},
		// Other instances pushed it past the limit: 20*(1-e/60) <= 9 at e = 33 s, plus 50 s left.
		{name: "shared count over", cur: 20, elapsed: 10 * time.Second, limit: 10, wantRetryAfter: 83 * time.Second},
		{name: "limit of one", cur: 1, elapsed: 0, limit: 1, wantRetryAfter: 2 * m},
		{name: "rounded up to seconds", cur: 10, elapsed: m - time.Millisecond, limit: 10, wantRetryAfter: 7 * time.Second},
		{name: "rounded up again", cur: 1, prev: 1, elapsed: m - 300*time.Millisecond, limit: 1, wantRetryAfter: 61 * time.Second},
		{name: "never below a second", cur: 9, prev: 10, elapsed: m - 500*time.Millisecond, limit: 10, wantRetryAfter: time.Second},
	}
	for _, tt := range tests {
		ok, retry := decide(tt.cur, tt.prev, tt.elapsed, m, tt.limit)
		if ok != tt.wantOK || retry != tt.wantRetryAfter {
			t.Errorf("%s: decide = %v, %v; want %v, %v", tt.name, ok, retry, tt.wantOK, tt.wantRetryAfter)
		}
		if !ok {
			// After waiting retry (and no other event), one more fits.
			e := tt.elapsed + retry
			cur, prev := tt.cur, tt.prev
			if e >= m {
				e -= m
				cur, prev = 0, tt.cur
			}
			if e >= m {
				e -= m
				cur, prev = 0, 0
			}
			if ok, _ := decide(cur, prev, e, m, tt.limit); !ok {
				t.Errorf("%s: still refused after Retry-After %v", tt.name, retry)
			}
		}
	}
}

func TestLocalLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if Local(Allowance{Name: "off", Limit: 0, Window: time.Minute}) != nil {
		t.Fatal("a limit of 0 is not off")
	}
	var off *Limiter
	for i := 0; i < 1000; i++ {
		if ok, _ := off.Allow(ctx, "k"); !ok {
			t.Fatal("a limit switched off refused")
		}
	}

	l := Local(Allowance{Name: "t", Limit: 3, Window: 24 * time.Hour, Key: ByIP})
	for i := 0; i < 3; i++ {
		if ok, retry := l.Allow(ctx, "2001:db8:1:2::1"); !ok {
			t.Fatalf("attempt %d refused (retry %v)", i+1, retry)
		}
	}
	ok, retry := l.Allow(ctx, "2001:db8:1:2::99") // the same /64
	// Three in this day's window: the next passes once the sliding
	// estimate, 3 × (what is left of this day seen from the next) + 1, is
	// back to 3: a third of the way into the next day. So between 8 h (at
	// the window's end) and 32 h (at its start), depending on the hour the
	// test runs.
	if ok || retry < 8*time.Hour || retry > 32*time.Hour+time.Second {
		t.Fatalf("4th attempt: ok %v, retry %v; want refused with 8h..32h", ok, retry)
	}
	if ok, _ := l.Allow(ctx, "2001:db8:1:3::1"); !ok {
		t.Fatal("another /64 was refused")
	}
	if ok, _ := l.Allow(ctx, "2001:db8:1:2::1"); ok {
		t.Fatal("a refused key passed on a later attempt")
	}
}

// lockedLog collects what a logger writes from any goroutine.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func mustRedis(tb testing.TB, url, prefix string, log io.Writer) *Redis {
	tb.Helper()
	r, err := NewRedis(url, prefix, 500*time.Millisecond, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

func mustAllow(tb testing.TB, l *Limiter, ctx context.Context, key string, want bool) {
	tb.Helper()
	if ok, retry := l.Allow(ctx, key); ok != want {
		tb.Fatalf("Allow(%q) = %v (retry %v), want %v", key, ok, retry, want)
	}
}

func mustFlush(tb testing.TB, l *Limiter) {
	tb.Helper()
	if err := l.Flush(context.Background()); err != nil {
		tb.Fatalf("flush: %v", err)
	}
}

// Two instances on one Redis prefix share a per-IP allowance: each one
// refuses as soon as a flush has told it what the other counted.
func TestBatchedSharedBetweenInstances(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	var log lockedLog
	// Flushes only when the test says (an hour between ticks).
	a := Batched(mustRedis(t, url, prefix, &log), Allowance{Name: "ip", Limit: 5, Window: 24 * time.Hour}, time.Hour)
	b := Batched(mustRedis(t, url, prefix, &log), Allowance{Name: "ip", Limit: 5, Window: 24 * time.Hour}, time.Hour)
	ctx := context.Background()
	const ip = "198.51.100.7"

	for i := 0; i < 3; i++ {
		mustAllow(t, a, ctx, ip, true)
	}
	mustFlush(t, a)
	mustAllow(t, b, ctx, ip, true) // b has not heard of the 3 yet
	mustFlush(t, b)                // now it has: 4 in all
	mustAllow(t, b, ctx, ip, true) // the 5th
	mustAllow(t, b, ctx, ip, false)
	// a still believes 3: the lag the design accepts, until a's next flush.
	mustAllow(t, a, ctx, ip, true)
	mustFlush(t, a)
	mustAllow(t, a, ctx, ip, false)
	mustAllow(t, a, ctx, "198.51.100.8", true) // another address is untouched

	// A third instance, new to this address, learns its history from the
	// first flush after its first request.
	c := Batched(mustRedis(t, url, prefix, &log), Allowance{Name: "ip", Limit: 5, Window: 24 * time.Hour}, time.Hour)
	mustAllow(t, c, ctx, ip, true)
	mustFlush(t, c)
	mustAllow(t, c, ctx, ip, false)

	// Another allowance with the same key counts apart.
	u := Batched(mustRedis(t, url, prefix, &log), Allowance{Name: "user", Limit: 5, Window: 24 * time.Hour}, time.Hour)
	mustAllow(t, u, ctx, ip, true)
	if n := log.count("level="); n != 0 {
		t.Fatalf("logged with Redis up:\n%s", log.buf.String())
	}
}

// The login-per-email allowance holds whatever address the attempts come
// from, on every instance, and whatever case the email is written in.
func TestExactLoginPerEmailAcrossIPs(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	var log lockedLog
	allowance := Allowance{Name: "login-email", Limit: 4, Window: 24 * time.Hour, Key: ByEmail}
	one := Exact(mustRedis(t, url, prefix, &log), allowance)
	two := Exact(mustRedis(t, url, prefix, &log), allowance)
	for i, email := range []string{"ann@example.com", "Ann@Example.com", " ann@example.com", "ANN@EXAMPLE.COM"} {
		ctx := clientip.With(context.Background(), "203.0.113."+string(rune('1'+i)))
		l := one
		if i%2 == 1 {
			l = two
		}
		mustAllow(t, l, ctx, email, true)
	}
	for i, l := range []*Limiter{one, two} {
		ctx := clientip.With(context.Background(), "192.0.2."+string(rune('1'+i)))
		ok, retry := l.Allow(ctx, "ann@example.com")
		if ok || retry < time.Second {
			t.Fatalf("instance %d: 5th attempt ok %v, retry %v; want refused", i+1, ok, retry)
		}
	}
	mustAllow(t, one, context.Background(), "bob@example.com", true)
	if n := log.count("level="); n != 0 {
		t.Fatalf("logged with Redis up:\n%s", log.buf.String())
	}
}

// With Redis down every limiter still counts, in process, and the outage
// is logged once, not once per request or flush.
func TestRedisDownCountsInProcess(t *testing.T) {
	t.Parallel()
	var log lockedLog
	r := mustRedis(t, "redis://"+testenv.ClosedAddr(t), "down:", &log)
	batched := Batched(r, Allowance{Name: "ip", Limit: 3, Window: 24 * time.Hour}, time.Hour)
	exact := Exact(r, Allowance{Name: "auth-ip", Limit: 3, Window: 24 * time.Hour})
	ctx := context.Background()
	for _, l := range []*Limiter{batched, exact} {
		for i := 0; i < 3; i++ {
			mustAllow(t, l, ctx, "198.51.100.1", true)
			_ = l.Flush(ctx)
		}
		mustAllow(t, l, ctx, "198.51.100.1", false)
		mustAllow(t, l, ctx, "198.51.100.2", true)
	}
	if err := batched.Flush(ctx); err == nil {
		t.Fatal("flush to a closed port succeeded")
	}
	if n := log.count("Redis is not answering"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, log.buf.String())
	}
}

// switchable is a TCP proxy to Redis that can refuse service, so a test
// can take Redis away and bring it back.
type switchable struct {
	ln     net.Listener
	target string
	up     atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newSwitchable(tb testing.TB, target string) *switchable {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &switchable{ln: ln, target: target}
	tb.Cleanup(func() { _ = ln.Close(); s.down() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !s.up.Load() {
				_ = c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			s.mu.Lock()
			s.conns = append(s.conns, c, u)
			s.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
		}
	}()
	return s
}

func (s *switchable) down() {
	s.up.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// When Redis comes back, that is logged once too, and counts are shared
// again: the events counted during the outage reach Redis.
func TestRedisBackLoggedOnce(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newSwitchable(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	var log lockedLog
	l := Batched(mustRedis(t, u.String(), prefix, &log), Allowance{Name: "ip", Limit: 4, Window: 24 * time.Hour}, time.Hour)
	ctx := context.Background()

	mustAllow(t, l, ctx, "198.51.100.1", true)
	mustAllow(t, l, ctx, "198.51.100.1", true)
	for i := 0; i < 3; i++ {
		if err := l.Flush(ctx); err == nil {
			t.Fatal("flush through a refusing proxy succeeded")
		}
	}
	proxy.up.Store(true)
	mustFlush(t, l)
	mustAllow(t, l, ctx, "198.51.100.1", true)
	mustFlush(t, l)
	if down, back := log.count("Redis is not answering"), log.count("Redis answers again"); down != 1 || back != 1 {
		t.Fatalf("logged the outage %d times and the return %d times, want once each:\n%s", down, back, log.buf.String())
	}
	// A second instance sees the 3 counted, 2 of them during the outage.
	other := Batched(mustRedis(t, url, prefix, &log), Allowance{Name: "ip", Limit: 4, Window: 24 * time.Hour}, time.Hour)
	mustAllow(t, other, ctx, "198.51.100.1", true)
	mustFlush(t, other)
	mustAllow(t, other, ctx, "198.51.100.1", false)
}

// BenchmarkBatchedAllow is the per-request cost of the per-IP limiter on
// the hot path: no network, one lock, a map lookup or two.
func BenchmarkBatchedAllow(b *testing.B) {
	url, prefix := testenv.MustRedis(b)
	l := Batched(mustRedis(b, url, prefix, io.Discard), Allowance{Name: "ip", Limit: 1 << 30, Window: time.Minute, Key: ByIP}, flushEvery)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := l.Allow(ctx, "198.51.100.1"); !ok {
				b.Fatal("refused")
			}
		}
	})
}
