// Command bench measures shop against the physical limits of the machine it
// runs on, in one run: each scenario is driven through the real service
// (PostgreSQL + Redis, in-process, or with BENCH_SERVICE_PROCESS=1 in a
// process of its own: this binary again) and through its floor (a bare chi handler
// serving the same response bytes from memory, or the same SQL transaction
// issued directly through pgx), alternating, and the medians are compared.
// Then each scenario runs once more as an open loop at half the throughput
// just measured (vegeta's constant pacer), for the latency a user sees.
//
//	make bench        # or: go run ./cmd/bench
//
// Settings (environment): BENCH_DATABASE_URL (a PostgreSQL server URL; a
// fresh database is created and dropped), BENCH_REDIS_URL, BENCH_CONCURRENCY
// (32), BENCH_DURATION (3s per round), BENCH_ROUNDS (3), BENCH_PRODUCTS and
// BENCH_ORDERS (100000), BENCH_ORDER_RATE (200 createOrder/s beside
// scenario 6's reads), BENCH_ONLY (scenario numbers, e.g. "2,5"),
// BENCH_CPUPROFILE (a file for a CPU profile: of this process, the load
// generator included, or of the service's own process with
// BENCH_SERVICE_PROCESS=1), BENCH_HEAPPROFILE (a file name; the heap after
// each scenario goes to name.N, the service's own in that case too).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	if os.Getenv(serveEnv) == "1" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "bench service:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
