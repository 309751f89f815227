#!/usr/bin/env bash
# The whole test suite: every package, with the race detector, against a
# real PostgreSQL and Redis, stripe-mock and a real headless Chromium (used,
# started or installed: see services.sh). Each test makes its own database
# and Redis key prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
trap stop_own_services EXIT
ensure_chromium
ensure_assets
ensure_postgres
ensure_postgres_programs
ensure_redis
ensure_stripe_mock
ensure_mailpit

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
# The served schema, printed by graphql-js, must match schema.graphql and
# keep every part of the contract clients were written against.
if [ -f ../shared/contract.graphql ] && ! cmp -s ../shared/contract.graphql contract/contract.graphql; then
  echo "contract/contract.graphql differs from ../shared/contract.graphql: copy the shared one in." >&2
  exit 1
fi
go run ./cmd/introspect | (cd web && node schema.mjs check)
# The largest-page tests move 100,000 rows through GORM's reflection, which
# the race detector slows 25-fold (from 4 s to 100 s): they run in a pass of
# their own without it. Everything else runs with it.
heavy='^TestLargest'
go test -race -count=1 -timeout 30m -skip "$heavy" "$@" ./...
go test -count=1 -timeout 10m -run "$heavy" "$@" ./...
