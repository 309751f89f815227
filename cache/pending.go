package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// pending tracks this instance's writes whose new versions Redis has not
// confirmed: those in flight (marked before the store is called, so no read
// of this instance can slip between the commit and the invalidation) and
// those whose invalidation failed. The catalog trusts no cached entry that
// depends on such a key, neither local nor in Redis, and reads it from the
// database until an invalidation of it succeeds, so the instance that
// wrote shows its write at once even when Redis failed at that moment.
// Failed keys are invalidated again in the background until Redis takes it,
// which is also when the other instances learn about the write.
type pending struct {
	mu    sync.RWMutex
	keys  map[string]*pend
	gen   uint64
	until time.Time // while overflowed: trust nothing until then
	// hold is how long an untracked write keeps the instance from trusting
	// the cache: until every entry that could predate it has expired.
	hold time.Duration
	// active is len(keys), plus one while overflowed: reads check it
	// without a lock and skip the rest when it is 0.
	active atomic.Int64

	retry   func()
	timer   *time.Timer
	backoff time.Duration
	closed  bool
}

type pend struct {
	inFlight int
	failed   uint64 // generation of the latest failure; 0: none
}

// maxPending bounds the keys tracked. Beyond it (Redis down while this
// instance writes to that many products), the instance trusts no cached
// entry at all until every entry that could predate those writes has
// expired, and other instances may serve those products' old entries
// until they expire.
const maxPending = 10_000

// retry backoff after a failed invalidation.
const (
	firstRetry = 100 * time.Millisecond
	lastRetry  = 5 * time.Second
)

func newPending(ttl time.Duration, retry func()) *pending {
	// An entry filled up to a load's length after a commit can hold data
	// from before it, and lives for ttl.
	return &pending{keys: map[string]*pend{}, hold: ttl + loadTimeout, retry: retry, backoff: firstRetry}
}

// untrusted reports whether entries depending on key must not be served.
func (p *pending) untrusted(key string, now time.Time) bool {
	if p.active.Load() == 0 {
		return false
	}
	p.mu.RLock()
	over, expired := now.Before(p.until), !p.until.IsZero() && !now.Before(p.until)
	_, ok := p.keys[key]
	p.mu.RUnlock()
	if expired {
		p.mu.Lock()
		if !now.Before(p.until) {
			p.until = time.Time{}
			p.count()
		}
		p.mu.Unlock()
	}
	return over || ok
}

// anyUntrusted is untrusted for several keys.
func (p *pending) anyUntrusted(deps []dep, now time.Time) bool {
	if p.active.Load() == 0 {
		return false
	}
	for _, d := range deps {
		if p.untrusted(d.key, now) {
			return true
		}
	}
	return false
}

// begin marks keys as being written.
func (p *pending) begin(keys []string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if e := p.entry(k, now); e != nil {
			e.inFlight++
		}
	}
}

// end unmarks keys whose write is over: invalidated, or refused by a rule
// (nothing changed).
func (p *pending) end(keys []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if e, ok := p.keys[k]; ok {
			e.inFlight--
			p.forget(k, e)
		}
	}
}

// fail records that the invalidation of keys failed, ending their writes,
// and schedules a retry.
func (p *pending) fail(keys, begun []string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	for _, k := range begun {
		if e, ok := p.keys[k]; ok {
			e.inFlight--
		}
	}
	for _, k := range keys {
		if e := p.entry(k, now); e != nil {
			e.failed = p.gen
		}
	}
	for _, k := range begun {
		if e, ok := p.keys[k]; ok {
			p.forget(k, e)
		}
	}
	p.schedule()
}

// failed returns the keys to invalidate again, with their generations.
func (p *pending) failed() map[string]uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := map[string]uint64{}
	for k, e := range p.keys {
		if e.failed != 0 {
			out[k] = e.failed
		}
	}
	return out
}

// retried settles a retry: on success the keys whose failure it covered
// are trusted again; in any case another retry follows while failures
// remain.
func (p *pending) retried(keys map[string]uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = nil
	if ok {
		p.backoff = firstRetry
		for k, gen := range keys {
			if e, held := p.keys[k]; held && e.failed == gen {
				e.failed = 0
				p.forget(k, e)
			}
		}
	} else {
		p.backoff = min(2*p.backoff, lastRetry)
	}
	for _, e := range p.keys {
		if e.failed != 0 {
			p.schedule()
			break
		}
	}
}

// close stops retrying.
func (p *pending) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
}

// schedule arranges one retry. Called with mu held.
func (p *pending) schedule() {
	if p.timer == nil && !p.closed && p.retry != nil {
		p.timer = time.AfterFunc(p.backoff, p.retry)
	}
}

// entry returns key's record, creating it; at the bound it returns nil and
// stops trusting the cache at all for a while. Called with mu held.
func (p *pending) entry(k string, now time.Time) *pend {
	if e, ok := p.keys[k]; ok {
		return e
	}
	if len(p.keys) >= maxPending {
		if u := now.Add(p.hold); u.After(p.until) {
			p.until = u
			p.count()
		}
		return nil
	}
	e := &pend{}
	p.keys[k] = e
	p.count()
	return e
}

// forget drops a record that no longer marks anything. Called with mu held.
func (p *pending) forget(k string, e *pend) {
	if e.inFlight <= 0 && e.failed == 0 {
		delete(p.keys, k)
		p.count()
	}
}

func (p *pending) count() {
	n := int64(len(p.keys))
	if !p.until.IsZero() {
		n++
	}
	p.active.Store(n)
}
