package cache

import "sync/atomic"

// Stats counts cache traffic; tests and metrics read it.
type Stats struct {
	Hits          atomic.Uint64
	Misses        atomic.Uint64
	Loads         atomic.Uint64
	Faults        atomic.Uint64
	Invalidations atomic.Uint64
	// FailedInvalidations could not reach the backend; they are retried.
	FailedInvalidations atomic.Uint64
	// LocalHits are the hits answered by the in-process tier in front of
	// Redis (also counted in Hits).
	LocalHits atomic.Uint64
	// Messages are invalidations received from other instances; Resets
	// are the times the local tier was flushed because some may have
	// been missed.
	Messages atomic.Uint64
	Resets   atomic.Uint64
	// TooLarge are entries not stored because they were over
	// CACHE_MAX_ENTRY_BYTES (served all the same).
	TooLarge atomic.Uint64
	// FromOutbox are version keys invalidated from the outbox: writes whose
	// own instance did not invalidate them (it died, or Redis failed).
	FromOutbox atomic.Uint64
}
