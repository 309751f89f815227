package app

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"shop/cache"
	"shop/models"
	"shop/outbox"
)

// newRegistry gathers the process's metrics: Go runtime and process, the
// connection pool, SQL statements and cache traffic. The HTTP layer adds
// its own.
func newRegistry(db *sql.DB, statements, background func() uint64, stats *cache.Stats, expired func() uint64, events *eventCounter, outbox *outbox.Dispatcher) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db, "shop"),
		counter("shop_sql_statements_total", "SQL statements sent to the database, the outbox's polling and deliveries aside.", statements),
		counter("shop_sql_background_statements_total", "SQL statements the outbox's polling and deliveries sent.", background),
		counter("shop_cache_hits_total", "Catalog reads answered by the cache.", stats.Hits.Load),
		counter("shop_cache_misses_total", "Catalog reads the cache could not answer.", stats.Misses.Load),
		counter("shop_cache_loads_total", "Database loads made to fill the cache (one per cold key, however many waited).", stats.Loads.Load),
		counter("shop_cache_faults_total", "Cache calls that failed; reads fell back to the database.", stats.Faults.Load),
		counter("shop_cache_invalidations_total", "Writes that invalidated catalog entries.", stats.Invalidations.Load),
		counter("shop_cache_failed_invalidations_total", "Invalidations that could not reach the cache; the writing instance reads what they cover from the database until a retry succeeds.", stats.FailedInvalidations.Load),
		counter("shop_cache_local_hits_total", "Catalog reads answered by the in-process tier in front of Redis (also in shop_cache_hits_total).", stats.LocalHits.Load),
		counter("shop_cache_invalidation_messages_total", "Invalidations received from other instances.", stats.Messages.Load),
		counter("shop_orders_expired_total", "Unpaid orders this instance cancelled after ORDER_PENDING_TTL.", expired),
		counter("shop_cache_too_large_total", "Entries served but not stored because they were over CACHE_MAX_ENTRY_BYTES.", stats.TooLarge.Load),
		counter("shop_cache_local_resets_total", "Times the in-process tier was flushed because invalidations may have been missed.", stats.Resets.Load),
		counter("shop_cache_outbox_invalidations_total", "Version keys invalidated from the outbox: writes whose own instance did not invalidate them (it stopped, or Redis failed).", stats.FromOutbox.Load),
		counter("shop_outbox_delivered_total", "Events this instance handed to the outbox's consumers.", outbox.Delivered),
		counter("shop_outbox_failures_total", "Outbox deliveries that failed on this instance (retried).", outbox.Failures),
		events.vec,
	)
	return reg
}

// eventCounter is the outbox's "metrics" consumer: events by type, counted
// by the instance that delivered them, after their position was saved, so
// none is counted twice across the instances (sum them).
type eventCounter struct{ vec *prometheus.CounterVec }

func newEventCounter() *eventCounter {
	return &eventCounter{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shop_events_total", Help: "Domain events delivered by this instance's outbox dispatcher, by type.",
	}, []string{"type"})}
}

func (c *eventCounter) count(evs []models.Event) {
	for _, e := range evs {
		c.vec.WithLabelValues(e.Type).Inc()
	}
}
