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
go test -race -count=1 -timeout 30m "$@" ./...
