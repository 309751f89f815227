package cache

import "sync/atomic"

// Stats counts cache traffic; tests and metrics read it.
type Stats struct {
	Hits          atomic.Uint64
	Misses        atomic.Uint64
	Loads         atomic.Uint64
	Faults        atomic.Uint64
	Invalidations atomic.Uint64
}
