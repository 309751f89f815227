package cache

import (
	"sync"
	"time"
)

// local is the in-process first tier in front of Redis. It holds version
// stamps and decoded values, so a hit costs no network round trip and no
// decoding. It stays coherent with the other instances through the
// invalidation messages they publish (set), and every entry expires after a
// short TTL in case a message is lost.
//
// The rule that keeps it correct: a version learned from Redis never
// replaces one already held (learn), because an invalidation message may
// have overtaken the read; and a value is stored only under the version
// currently held (put).
type local struct {
	ttl      time.Duration
	max      int // entries
	maxBytes int // of values, by their encoded size

	mu       sync.RWMutex
	versions map[string]stamp
	data     map[string]entry
	bytes    int
}

type stamp struct {
	version string
	expires time.Time
}

type entry struct {
	version string
	value   any
	size    int
	expires time.Time
}

func newLocal(ttl time.Duration, max, maxBytes int) *local {
	return &local{ttl: ttl, max: max, maxBytes: maxBytes, versions: map[string]stamp{}, data: map[string]entry{}}
}

// get returns the value under dataKey if it carries the version held for
// versionKey and neither has expired.
func (l *local) get(versionKey, dataKey string, now time.Time) (any, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, ok := l.versions[versionKey]
	if !ok || now.After(v.expires) {
		return nil, false
	}
	e, ok := l.data[dataKey]
	if !ok || now.After(e.expires) || e.version != v.version {
		return nil, false
	}
	return e.value, true
}

// learn records a version read from Redis, unless a live one is held.
func (l *local) learn(versionKey, version string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.versions[versionKey]; ok && now.Before(v.expires) {
		return
	}
	l.makeRoom(now, 0)
	l.versions[versionKey] = stamp{version: version, expires: now.Add(l.ttl)}
}

// put stores a value read or loaded under version, if that is the version
// held for versionKey; size is its encoded size in bytes.
func (l *local) put(versionKey, dataKey, version string, value any, size int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.versions[versionKey]; !ok || v.version != version || now.After(v.expires) || size > l.maxBytes {
		return
	}
	if old, ok := l.data[dataKey]; ok {
		l.bytes -= old.size
		delete(l.data, dataKey)
	}
	l.makeRoom(now, size)
	l.data[dataKey] = entry{version: version, value: value, size: size, expires: now.Add(l.ttl)}
	l.bytes += size
}

// set applies an invalidation: the new versions replace the held ones.
func (l *local) set(versions map[string]string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.makeRoom(now, 0)
	for k, v := range versions {
		l.versions[k] = stamp{version: v, expires: now.Add(l.ttl)}
	}
}

// flush forgets everything, when invalidations may have been missed.
func (l *local) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.versions = map[string]stamp{}
	l.data = map[string]entry{}
	l.bytes = 0
}

// makeRoom makes space for one more entry of size bytes: it drops expired
// entries when the tier is full, and everything if that is not enough. The
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
		l.bytes = 0
	}
}
