#!/usr/bin/env bash
# make bench: the benchmark on PostgreSQL and Redis (the machine's, or
# throwaway ones as for the tests), with GOGC as in the production image.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
trap stop_own_services EXIT
ensure_postgres
ensure_redis
GOGC=400 GOMEMLIMIT=4GiB go run ./cmd/bench
