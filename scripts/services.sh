#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and Chromium are there for the tests: uses
# them when they answer, starts them when installed but stopped, and
# installs them from Debian's packages when absent. Also builds the GraphiQL
# assets the binary embeds. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[services] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# wait_until CMD...: retries CMD for up to 30 s (services take a moment to
# accept connections after they start).
wait_until() {
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    log "using TEST_DATABASE_URL"; return
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-client
  fi
  local version hba
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # The tests connect as postgres over TCP without a password, as on the
  # development machines; trust only loopback.
  if ! as_root grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    log "allowing passwordless loopback connections in $hba"
    as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_until pg_isready -h 127.0.0.1 -p 5432 || { log "PostgreSQL did not start"; exit 1; }
}

ensure_redis() {
  if [ -n "${TEST_REDIS_URL:-}" ]; then
    log "using TEST_REDIS_URL"; return
  fi
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_until sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG' || { log "Redis did not start"; exit 1; }
}

ensure_chromium() {
  if [ -n "${CHROME_PATH:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    return
  fi
  apt_install chromium
}

ensure_assets() {
  if [ -f web/dist/graphiql.min.js ] && [ web/dist/graphiql.min.js -nt web/package-lock.json ] && [ -d web/node_modules/graphql ]; then return; fi
  command -v npm >/dev/null || apt_install nodejs npm
  log "building the GraphiQL assets from npm packages"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
}

for what in "$@"; do
  "ensure_$what"
done
