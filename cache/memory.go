package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Memory is an in-process Backend, the default when no Redis is configured.
// Keys written without a TTL (the catalog's version stamps) live in a plain
// map and are never evicted: losing one could make a stale entry valid again.
// The rest live in an LRU bounded by count and by bytes, with the TTL given
// at construction: whole responses can be large, so a count alone would not
// bound memory.
type Memory struct {
	data     *expirable.LRU[string, []byte]
	bytes    atomic.Int64 // held by data; updated on eviction from the LRU's own goroutine too
	maxBytes int64

	mu     sync.RWMutex
	pinned map[string][]byte
}

// NewMemory makes an in-process backend holding at most maxItems entries
// and maxBytes of values, each for at most ttl.
func NewMemory(maxItems int, maxBytes int64, ttl time.Duration) *Memory {
	m := &Memory{pinned: map[string][]byte{}, maxBytes: maxBytes}
	m.data = expirable.NewLRU[string, []byte](maxItems, func(_ string, v []byte) { m.bytes.Add(-int64(len(v))) }, ttl)
	return m
}

func (m *Memory) Kind() string                   { return "in-process" }
func (m *Memory) Close() error                   { return nil }
func (m *Memory) Ping(ctx context.Context) error { return ctx.Err() }

func (m *Memory) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, k := range keys {
		if v, ok := m.pinned[k]; ok {
			out[i] = v
		} else if v, ok := m.data.Get(k); ok {
			out[i] = v
		}
	}
	return out, nil
}

func (m *Memory) MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range pairs {
		if ttl == 0 {
			m.pinned[k] = v
			continue
		}
		if int64(len(v)) > m.maxBytes {
			continue // larger than the whole cache: not worth evicting everything for
		}
		if old, ok := m.data.Peek(k); ok {
			m.bytes.Add(-int64(len(old))) // Add replaces without calling the eviction hook
		}
		m.data.Add(k, v)
		m.bytes.Add(int64(len(v)))
		for m.bytes.Load() > m.maxBytes {
			if _, _, ok := m.data.RemoveOldest(); !ok {
				break
			}
		}
	}
	return nil
}
