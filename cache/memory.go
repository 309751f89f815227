package cache

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Memory is an in-process Backend, the default when no Redis is configured.
// Entries and version keys live in one LRU bounded by count and by bytes,
// with the TTL given at construction: whole responses can be large, so a
// count alone would not bound memory. Version keys are evicted like the
// rest: a version key created again gets a version from a clock that never
// repeats, so no entry recorded under the old one can come back.
type Memory struct {
	data     *expirable.LRU[string, []byte]
	bytes    atomic.Int64 // held by data; updated on eviction from the LRU's own goroutine too
	maxBytes int64
	clock    clock

	// mu makes Lookup, Fill and Bump atomic with respect to each other, as
	// Redis's scripts are.
	mu sync.Mutex
}

// memoryOverhead is what one key costs beyond its key and value bytes: the
// LRU's list element, its map entry and its expiry bucket.
const memoryOverhead = 128

func memorySize(k string, v []byte) int64 { return int64(len(k) + len(v) + memoryOverhead) }

// NewMemory makes an in-process backend holding at most maxItems keys and
// maxBytes of keys and values, each for at most ttl.
func NewMemory(maxItems int, maxBytes int64, ttl time.Duration) *Memory {
	m := &Memory{maxBytes: maxBytes}
	m.data = expirable.NewLRU[string, []byte](maxItems, func(k string, v []byte) { m.bytes.Add(-memorySize(k, v)) }, ttl)
	return m
}

func (m *Memory) Kind() string                   { return "in-process" }
func (m *Memory) Close() error                   { return nil }
func (m *Memory) Ping(ctx context.Context) error { return ctx.Err() }

// Bytes is what the backend holds, by the measure maxBytes bounds.
func (m *Memory) Bytes() int64 { return m.bytes.Load() }

func (m *Memory) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if v, ok := m.data.Get(k); ok {
			out[i] = v
		}
	}
	return out, nil
}

// MSet stores pairs for the backend's own TTL (ttl is Redis's business).
func (m *Memory) MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range pairs {
		m.add(k, v)
	}
	return nil
}

// add stores one key, then evicts the least recently used until the byte
// budget holds. Called with mu held.
func (m *Memory) add(k string, v []byte) {
	if memorySize(k, v) > m.maxBytes {
		m.data.Remove(k)
		return // larger than the whole cache: not worth evicting everything for
	}
	if old, ok := m.data.Peek(k); ok {
		m.bytes.Add(-memorySize(k, old)) // Add replaces without calling the eviction hook
	}
	m.data.Add(k, v)
	m.bytes.Add(memorySize(k, v))
	for m.bytes.Load() > m.maxBytes {
		if _, _, ok := m.data.RemoveOldest(); !ok {
			break
		}
	}
}

func (m *Memory) version(k string) (uint64, bool) {
	b, ok := m.data.Get(k)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	return v, err == nil
}

func (m *Memory) Lookup(ctx context.Context, keys, observe []string, ttl time.Duration) ([][]byte, []uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := make([][]byte, len(keys))
	for i, k := range keys {
		e, ok := m.data.Get(k)
		if !ok {
			continue
		}
		deps, _, ok := decodeEntry(e)
		for _, d := range deps {
			if v, held := m.version(d.key); !held || v != d.version {
				ok = false
				break
			}
		}
		if ok {
			entries[i] = e
		}
	}
	versions := make([]uint64, len(observe))
	for i, k := range observe {
		v, ok := m.version(k)
		if !ok {
			v = m.clock.next()
			m.add(k, strconv.AppendUint(nil, v, 10))
		}
		versions[i] = v
	}
	return entries, versions, nil
}

func (m *Memory) Fill(ctx context.Context, entries map[string][]byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range entries {
		m.add(k, e)
		// Renew the versions it depends on, so they outlive it.
		deps, _, _ := decodeEntry(e)
		for _, d := range deps {
			if v, ok := m.data.Peek(d.key); ok {
				m.data.Add(d.key, v)
			}
		}
	}
	return nil
}

func (m *Memory) Bump(ctx context.Context, changes []Change, marks []string, ttl time.Duration) ([]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]uint64, len(changes))
	for i, c := range changes {
		out[i] = m.clock.next()
		if c.Gone {
			m.data.Remove(c.Key)
		} else {
			m.add(c.Key, strconv.AppendUint(nil, out[i], 10))
		}
		for _, k := range c.Drop {
			m.data.Remove(k)
		}
	}
	for _, k := range marks {
		m.add(k, []byte("1"))
	}
	return out, nil
}
