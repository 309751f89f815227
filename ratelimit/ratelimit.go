// Package ratelimit counts requests against allowances: in process on the
// embedded default, shared by every instance through Redis otherwise.
//
// Counting is httprate's: its LimitCounter interface, its in-process
// counter, httprate-redis' Redis counter (with its in-process fallback) and
// its sliding-window estimate. The decision is made here, not by
// httprate.RateLimiter, because RateLimiter is HTTP-shaped (it wants a
// ResponseWriter, sets headers on every request, and always answers
// Retry-After with the whole window), while shop needs one Allow for both
// the HTTP middleware and the account service's login checks, and a
// Retry-After that says when the next attempt will actually pass.
package ratelimit

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	httprateredis "github.com/go-chi/httprate-redis"
)

// Allowance is one limit: at most Limit events per Window under one key.
type Allowance struct {
	// Name tells this allowance's keys from the others' in Redis.
	Name   string
	Limit  int
	Window time.Duration
	// Key normalizes a key before counting (ByIP, ByEmail); nil keeps it.
	Key func(string) string
}

// ByIP keys IPv6 clients by their /64, which one client usually holds
// whole, so rotating addresses within it wins no fresh allowance. A zone
// ("%eth0") is dropped: httprate keys an address with one as the raw
// string, so each zone was a key of its own.
func ByIP(ip string) string {
	if i := strings.IndexByte(ip, '%'); i >= 0 {
		ip = ip[:i]
	}
	return httprate.CanonicalizeIP(ip)
}

// By48 keys an IPv6 client by its /48, the block one site is usually
// allocated whole (65,536 /64s); IPv4 clients, and anything that is not an
// address, get "", which a wider allowance does not count (see Widen).
func By48(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ""
	}
	p, err := a.WithZone("").Prefix(48)
	if err != nil {
		return ""
	}
	return p.String()
}

// ByEmail keys an email address case-insensitively, as accounts match it,
// so changing its case wins no fresh allowance.
func ByEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ByEmailAtIP keys "email\x00ip" as ByEmail and ByIP do each part.
func ByEmailAtIP(key string) string {
	i := strings.LastIndexByte(key, 0)
	if i < 0 {
		return ByEmail(key)
	}
	return ByEmail(key[:i]) + "\x00" + ByIP(key[i+1:])
}

// Limiter allows or refuses one more event under a key. A nil *Limiter is
// a limit switched off: it allows everything.
type Limiter struct {
	a       Allowance
	counter httprate.LimitCounter
	// flush is the batched counter's; nil for the others.
	flush func(context.Context) error
	// shadow, on Exact's limiters, counts in this process what counter
	// counts in Redis; an event passes only if both allow it (see Exact).
	shadow httprate.LimitCounter
	// wider, when set, is a second allowance each event passed here also
	// counts against (see Widen).
	wider *Limiter
	// mu makes reading a key's count and adding to it one step, so
	// concurrent requests in this process cannot overshoot together.
	mu sync.Mutex
}

func newLimiter(a Allowance, c httprate.LimitCounter) *Limiter {
	c.Config(a.Limit, a.Window)
	return &Limiter{a: a, counter: c}
}

// Local counts in this process only (the embedded default). It returns nil,
// the limit switched off, when a.Limit is 0.
func Local(a Allowance) *Limiter {
	if a.Limit <= 0 {
		return nil
	}
	return newLimiter(a, httprate.NewLocalLimitCounter(a.Window))
}

// Exact counts in Redis on every call (two round trips), for the small
// allowances where a count shared exactly between instances matters more
// than a millisecond: logins. While Redis fails it counts in process (and
// r logs that once). A nil r means Local.
//
// It also counts in process all along, and refuses when either count is
// spent: a Redis whose maxmemory-policy evicts keys with a TTL (Render's
// Key Value, volatile-lru) drops a counter whenever the cache fills it, and
// anyone can fill it with anonymous reads. The shared count holds at least
// this process's own, so with Redis intact the local one never refuses
// first; with a counter evicted, each instance still allows at most the
// limit, so all together at most limit × instances.
func Exact(r *Redis, a Allowance) *Limiter {
	if a.Limit <= 0 {
		return nil
	}
	if r == nil {
		return Local(a)
	}
	shadow := httprate.NewLocalLimitCounter(a.Window)
	shadow.Config(a.Limit, a.Window)
	l := newLimiter(a, httprateredis.NewCounter(&httprateredis.Config{
		Client:       r.client,
		PrefixKey:    r.prefix + a.Name,
		WindowLength: a.Window,
		// httprate-redis falls back to its in-process counter on the
		// first error and pings until Redis answers again.
		OnError:          r.report,
		OnFallbackChange: func(on bool) { r.fallback(on) },
	}))
	l.shadow = shadow
	return l
}

// Batched counts in process on every call and shares the counts through
// Redis every flushEvery, in one pipelined round trip for all keys, so a
// request costs no network round trip; for allowances checked on every
// request. Instances agree within one flush: a client can overshoot by what
// it sends to each instance in that time. While Redis fails it counts in
// process. A nil r means Local.
func Batched(r *Redis, a Allowance, flushEvery time.Duration) *Limiter {
	if a.Limit <= 0 {
		return nil
	}
	if r == nil {
		return Local(a)
	}
	b := newBatched(r, r.prefix+a.Name, a.Window)
	l := newLimiter(a, b)
	l.flush = b.Flush
	r.start(b, flushEvery)
	return l
}

// Widen makes every event l allows count against wider too, keyed by
// wider's own Key (a /48 around a /64, say), and be refused once wider's
// allowance is spent: many keys that wider gathers under one share its
// allowance on top of their own. Keys that wider's Key maps to "" count
// only here. It returns l; a nil l (switched off) stays nil, and a nil
// wider changes nothing.
func (l *Limiter) Widen(wider *Limiter) *Limiter {
	if l != nil {
		l.wider = wider
	}
	return l
}

// Allow counts one event under key and reports whether it is within the
// allowance (and within the wider one, if any); when it is not, retryAfter
// says when one more will be allowed if no other arrives meanwhile. A
// refused event is not counted, except that an event refused only by the
// wider allowance was counted here: the narrow key checks first, so one
// key past its own allowance spends nothing of what it shares.
func (l *Limiter) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	if ok, retryAfter = l.allow(key); !ok || l.wider == nil {
		return ok, retryAfter
	}
	if l.wider.a.Key != nil && l.wider.a.Key(key) == "" {
		return true, 0
	}
	return l.wider.allow(key)
}

func (l *Limiter) allow(key string) (ok bool, retryAfter time.Duration) {
	if l.a.Key != nil {
		key = l.a.Key(key)
	}
	now := time.Now()
	cur := now.Truncate(l.a.Window)
	l.mu.Lock()
	defer l.mu.Unlock()
	c, p, err := l.counter.Get(key, cur, cur.Add(-l.a.Window))
	if err != nil {
		// Only a counter without a fallback errs, and none here is one;
		// if one did, refusing everybody would be worse than a missed count.
		return true, 0
	}
	ok, retryAfter = decide(c, p, now.Sub(cur), l.a.Window, l.a.Limit)
	if l.shadow != nil {
		// The local counter never errs.
		c, p, _ = l.shadow.Get(key, cur, cur.Add(-l.a.Window))
		if lok, lretry := decide(c, p, now.Sub(cur), l.a.Window, l.a.Limit); !lok {
			ok, retryAfter = false, max(retryAfter, lretry)
		}
	}
	if ok {
		_ = l.counter.IncrementBy(key, cur, 1)
		if l.shadow != nil {
			_ = l.shadow.IncrementBy(key, cur, 1)
		}
	}
	return ok, retryAfter
}

// Flush shares a batched limiter's counts now instead of at its next tick
// (tests synchronise on it); for the other limiters it does nothing.
func (l *Limiter) Flush(ctx context.Context) error {
	if l == nil {
		return nil
	}
	var err error
	if l.flush != nil {
		err = l.flush(ctx)
	}
	return errors.Join(err, l.wider.Flush(ctx))
}

// decide applies httprate's sliding-window estimate: the previous window's
// count, weighted by how much of it the last window-length still covers,
// plus the current window's count. One more event is allowed while the
// estimate stays within limit. When it is refused, retry is the wait until
// the estimate has decayed enough, rounded up to whole seconds (what
// Retry-After can say).
func decide(cur, prev int, elapsed, window time.Duration, limit int) (ok bool, retry time.Duration) {
	w := float64(window)
	rate := float64(prev)*(w-float64(elapsed))/w + float64(cur)
	if rate+1 <= float64(limit)+1e-9 { // the margin keeps float error off the boundary
		return true, 0
	}
	room, c, p, e := float64(limit-1), float64(cur), float64(prev), float64(elapsed)
	var wait float64
	switch {
	case c < room:
		// prev > 0, or the event would have passed: wait, within this
		// window, until enough of the previous one has slid out.
		wait = w*(1-(room-c)/p) - e
	case c == room:
		// Until this window ends and the previous one has slid out.
		wait = w - e
	default:
		// Into the next window, until enough of this one has slid out.
		wait = w - e + w*(1-room/c)
	}
	secs := math.Ceil(wait / float64(time.Second))
	if secs < 1 {
		secs = 1
	}
	return false, time.Duration(secs) * time.Second
}
