// Package cache keeps a read-through copy of the catalog in Redis or, by
// default, in process. The database stays the source of truth: a cache fault
// only makes reads slower, never wrong or failing.
package cache

import (
	"context"
	"time"
)

// Backend is a key-value store of bytes with versioned entries.
// Implementations bound every call in time and return an error rather than
// wait on a sick server.
type Backend interface {
	// MGet returns one value per key, nil where the key is absent.
	MGet(ctx context.Context, keys ...string) ([][]byte, error)
	// MSet writes every pair to live for ttl.
	MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error

	// Lookup returns, in one round trip, the entry under each of keys if
	// every version it depends on is still current (nil otherwise), and
	// the current version of each of observe, giving a key that has none
	// a fresh version that lives for ttl.
	Lookup(ctx context.Context, keys, observe []string, ttl time.Duration) (entries [][]byte, versions []uint64, err error)
	// Fill stores entries for ttl and keeps the version keys they depend
	// on alive at least as long.
	Fill(ctx context.Context, entries map[string][]byte, ttl time.Duration) error
	// Bump gives each version key of changes a fresh version, greater than
	// any it held, and returns them in order; shared backends tell the
	// other instances in the same round trip. Each of marks is set (to
	// live for ttl), told to nobody.
	Bump(ctx context.Context, changes []Change, marks []string, ttl time.Duration) ([]uint64, error)

	Ping(ctx context.Context) error
	// Kind names the backend: "Redis" or "in-process".
	Kind() string
	Close() error
}

// Change is one key a write affects.
type Change struct {
	Key string
	// Gone: the version key's product was deleted; the key is deleted
	// (its fresh version still goes to the other instances), and so is
	// every key in Drop.
	Gone bool
	Drop []string
}
