// Package storetest opens real stores for the tests of the packages built
// on them: a fresh PostgreSQL database (through testenv) and a fresh
// SQLite file, closed when the test ends.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"shop/internal/testenv"
	"shop/store"
)

// Backends runs test on a fresh PostgreSQL database and a fresh SQLite
// file, in parallel.
func Backends(t *testing.T, test func(t *testing.T, s *store.Store)) {
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		test(t, MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 20, MaxIdleConns: 10}))
	})
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		test(t, MustSQLite(t))
	})
}

// MustOpen opens a store with o and closes it when the test ends.
func MustOpen(tb testing.TB, o store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), o)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// MustSQLite opens a store on a fresh SQLite file.
func MustSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	return MustOpen(tb, store.Options{SQLitePath: filepath.Join(tb.TempDir(), "shop.db"), MaxOpenConns: 20, MaxIdleConns: 10})
}
