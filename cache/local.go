package cache

import (
	"sync"
	"time"
)

// local is the in-process first tier in front of Redis. It holds versions
// and decoded values, so a hit costs no network round trip and no
// decoding. It stays coherent with the other instances through the
// invalidation messages they publish (set), and everything expires after a
// short TTL in case a message is lost.
//
// The rules that keep it correct: versions only move forward, so a version
// learned from Redis never replaces a newer one already held (an
// invalidation message may have overtaken the read); an entry is served
// only while every version it depends on is held and equal; and a value is
// stored only under versions currently held (put).
type local struct {
	ttl      time.Duration
	max      int // versions and entries
	maxBytes int // of both, keys and values, by estimate

	mu       sync.RWMutex
	versions map[string]stamp
	data     map[string]entry
	bytes    int
	// deaf: the invalidation messages are not being received (the
	// subscription is down, or not yet confirmed), so nothing is served
	// or stored.
	deaf bool
	// flushed is when the tier was last flushed: a version or value read
	// from Redis before then may predate a message that was missed, and is
	// not stored.
	flushed time.Time
	// peak is the most entries data has held since it was made.
	peak int
}

type stamp struct {
	version uint64
	expires time.Time
}

type entry struct {
	deps    []dep
	value   any
	size    int // what it counts against maxBytes
	expires time.Time
}

// localOverhead is what one map entry costs beyond its key and value: the
// map's slot, the struct and the string headers.
const localOverhead = 96

func stampSize(key string) int { return len(key) + localOverhead }

func entrySize(key string, deps []dep, valueSize int) int {
	n := len(key) + valueSize + localOverhead
	for _, d := range deps {
		n += len(d.key) + 24
	}
	return n
}

func newLocal(ttl time.Duration, max, maxBytes int) *local {
	return &local{ttl: ttl, max: max, maxBytes: maxBytes, versions: map[string]stamp{}, data: map[string]entry{}}
}

// get returns the value under dataKey and what it depends on, if it has
// not expired and every version it depends on is held, live and equal.
func (l *local) get(dataKey string, now time.Time) (any, []dep, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.data[dataKey]
	if !ok || l.deaf || now.After(e.expires) {
		return nil, nil, false
	}
	for _, d := range e.deps {
		v, ok := l.versions[d.key]
		if !ok || v.version != d.version || now.After(v.expires) {
			return nil, nil, false
		}
	}
	return e.value, e.deps, true
}

// version returns the version held for key, if it is live.
func (l *local) version(key string, now time.Time) (uint64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, ok := l.versions[key]
	if !ok || l.deaf || now.After(v.expires) {
		return 0, false
	}
	return v.version, true
}

// learn records a version read from Redis at now, unless a newer one is
// held.
func (l *local) learn(key string, version uint64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stale(now) {
		return
	}
	l.advance(key, version, now)
}

// stale reports whether something read from Redis at now may predate a
// missed message. Called with mu held.
func (l *local) stale(now time.Time) bool {
	return l.deaf || now.Before(l.flushed)
}

// set applies versions announced by a write (this instance's or another's).
func (l *local) set(deps []dep, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range deps {
		l.advance(d.key, d.version, now)
	}
}

// advance holds version for key, for the TTL from now, unless a newer one
// is held. Called with mu held.
func (l *local) advance(key string, version uint64, now time.Time) {
	held, ok := l.versions[key]
	if ok && held.version > version {
		return
	}
	if !ok {
		l.makeRoom(now, stampSize(key))
		l.bytes += stampSize(key)
	}
	l.versions[key] = stamp{version: version, expires: now.Add(l.ttl)}
}

// put stores a value read or loaded under deps, if every one of them is the
// version held; valueSize is its encoded size in bytes.
func (l *local) put(dataKey string, deps []dep, value any, valueSize int, now time.Time) {
	size := entrySize(dataKey, deps, valueSize)
	l.mu.Lock()
	defer l.mu.Unlock()
	if size > l.maxBytes || l.stale(now) {
		return
	}
	for _, d := range deps {
		if v, ok := l.versions[d.key]; !ok || v.version != d.version || now.After(v.expires) {
			return
		}
	}
	if old, ok := l.data[dataKey]; ok {
		l.bytes -= old.size
		delete(l.data, dataKey)
	}
	l.makeRoom(now, size)
	l.data[dataKey] = entry{deps: deps, value: value, size: size, expires: now.Add(l.ttl)}
	l.bytes += size
	l.peak = max(l.peak, len(l.data))
}

// flush forgets everything, when invalidations may have been missed; deaf
// says whether they are still being missed (the subscription is down)
// rather than received again.
func (l *local) flush(deaf bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deaf = deaf
	l.flushed = time.Now()
	l.versions = map[string]stamp{}
	l.data = map[string]entry{}
	l.bytes, l.peak = 0, 0
}

// size returns how many versions and entries the tier holds and their
// estimated bytes.
func (l *local) size() (versions, entries, bytes int) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.versions), len(l.data), l.bytes
}

// sweep drops the entries that have expired. Without it they stay until
// the tier is full: a burst of one-off reads (deep pages at random cursors)
// would keep the heap at the tier's bound long after it ended, and every GC
// cycle would mark all of it again (issue 8's tails). Versions stay: they
// are small, and one newer than Redis's (a write whose invalidation has not
// reached Redis yet) must not give way to the older one.
func (l *local) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	live := 0
	for k, e := range l.data {
		if now.After(e.expires) {
			delete(l.data, k)
			l.bytes -= e.size
		} else {
			live++
		}
	}
	// A map keeps its table at its largest size, and the GC scans all of
	// it; after a burst, copy the survivors into one their size.
	if live < l.peak/4 {
		fresh := make(map[string]entry, live)
		for k, e := range l.data {
			fresh[k] = e
		}
		l.data, l.peak = fresh, live
	}
}

// makeRoom makes space for one more item of size bytes: it drops expired
// items when the tier is full, and everything if that is not enough. The
// tier is a short-lived accelerator, and Redis behind it holds the same
// data. Called with mu held.
func (l *local) makeRoom(now time.Time, size int) {
	full := func() bool { return len(l.versions)+len(l.data) >= l.max || l.bytes+size > l.maxBytes }
	if !full() {
		return
	}
	for k, v := range l.versions {
		if now.After(v.expires) {
			delete(l.versions, k)
			l.bytes -= stampSize(k)
		}
	}
	for k, e := range l.data {
		if now.After(e.expires) {
			delete(l.data, k)
			l.bytes -= e.size
		}
	}
	if full() {
		l.versions = map[string]stamp{}
		l.data = map[string]entry{}
		l.bytes, l.peak = 0, 0
	}
}
