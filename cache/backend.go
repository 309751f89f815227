// Package cache keeps a read-through copy of the catalog in Redis or, by
// default, in process. The database stays the source of truth: a cache fault
// only makes reads slower, never wrong or failing.
package cache

import (
	"context"
	"time"
)

// Backend is a key-value store of bytes. Implementations bound every call
// in time and return an error rather than wait on a sick server.
type Backend interface {
	// MGet returns one value per key, nil where the key is absent.
	MGet(ctx context.Context, keys ...string) ([][]byte, error)
	// MSet writes every pair; ttl 0 means the keys never expire.
	MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error
	Ping(ctx context.Context) error
	// Kind names the backend: "Redis" or "in-process".
	Kind() string
	Close() error
}
