#!/usr/bin/env bash
# The whole test suite: every package, with the race detector, against a
# real PostgreSQL and Redis (started or installed when missing) and a real
# headless Chromium. Each test makes its own database and Redis key prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh postgres redis chromium assets
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

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
go test -race -count=1 -timeout 30m "$@" ./...
