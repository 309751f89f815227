package cache

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Memory is an in-process Backend, the default when no Redis is configured.
// Keys written without a TTL (the catalog's version stamps) live in a plain
// map and are never evicted: losing one could make a stale entry valid again.
// The rest live in a bounded LRU with the TTL given at construction.
type Memory struct {
	data *expirable.LRU[string, []byte]

	mu      sync.RWMutex
	pinned  map[string][]byte
	dataTTL time.Duration
}

// NewMemory makes an in-process backend holding at most maxItems entries for
// at most ttl each.
func NewMemory(maxItems int, ttl time.Duration) *Memory {
	return &Memory{data: expirable.NewLRU[string, []byte](maxItems, nil, ttl), pinned: map[string][]byte{}, dataTTL: ttl}
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
		} else {
			m.data.Add(k, v)
		}
	}
	return nil
}
