# shop's commands. `make run` and `make test` are the two the README starts with.
GO ?= go

.PHONY: run test build assets bench clean schema

# Starts the server on the embedded defaults (SQLite file, in-process cache)
# unless DATABASE_URL / REDIS_URL are set; GraphiQL at http://localhost:8080/graphql.
run: assets
	$(GO) run .

# Every test, against real PostgreSQL, Redis, stripe-mock and Chromium (started or
# installed when missing).
test:
	./scripts/test.sh

# Performance against the machine's limits: see cmd/bench and docs/performance.md.
# GOGC as in the production image (Dockerfile).
bench:
	./scripts/bench.sh

build: assets
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/shop .

# GraphiQL's scripts and styles, copied from npm packages into web/dist, and
# the admin dashboard, built from web/admin with Vite into web/dist/admin;
# the binary embeds both. Rebuilt when the lockfile or the sources change.
assets:
	./scripts/services.sh assets

# schema.graphql: the served schema printed by graphql-js, for client code
# generation. make test fails when it is stale or breaks the contract.
schema: assets
	$(GO) run ./cmd/introspect | (cd web && node schema.mjs write)

clean:
	rm -rf bin web/dist/*.js web/dist/*.css web/dist/*.json web/dist/admin web/node_modules
