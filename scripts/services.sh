#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis, stripe-mock and Chromium are there for the
# tests, and builds the web assets the binary embeds. Safe to run again and
# again.
#
# PostgreSQL and Redis: TEST_DATABASE_URL / TEST_REDIS_URL when set; else
# the machine's own servers on their standard ports when they answer (used
# as they are: nothing of their settings is changed); else throwaway
# servers of the tests' own, in a temporary folder on a free port, stopped
# by stop_own_services. Either way the URLs are exported.
#
# stripe-mock (Stripe's API as an OpenAPI-checked stand-in, for the Stripe
# adapter's tests): TEST_STRIPE_MOCK_URL when set; else one of the run's
# own, installed with `go install` when missing, on free loopback ports,
# stopped by stop_own_services.
#
# mailpit (a real SMTP server with an HTTP API, for the emails' tests):
# TEST_MAILPIT_SMTP / TEST_MAILPIT_API when set; else one of the run's own,
# installed with `go install` when missing, on free loopback ports, stopped
# by stop_own_services.
#
# Run it (`scripts/services.sh assets chromium`) for what outlives the run,
# or source it and call ensure_* where throwaway servers must be stopped at
# the end (scripts/test.sh does, with a trap).

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

# free_port prints a loopback port nothing listens on.
free_port() {
  local port
  for port in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# own_dir: one temporary folder for this shell's throwaway servers (set
# here, not in a $(…) subshell, so that stop_own_services sees it).
own_dir=
make_own_dir() {
  if [ -z "$own_dir" ]; then own_dir=$(mktemp -d "${TMPDIR:-/tmp}/shop-services.XXXXXX"); chmod 755 "$own_dir"; fi
}

own_pg_data= own_pg_bin= own_redis_port= own_stripe_mock_pid= own_mailpit_pid=
# stop_own_services stops the throwaway servers this shell started.
stop_own_services() {
  if [ -n "$own_mailpit_pid" ]; then
    log "stopping the tests' own mailpit"
    kill "$own_mailpit_pid" 2>/dev/null || true
    wait "$own_mailpit_pid" 2>/dev/null || true
    own_mailpit_pid=
  fi
  if [ -n "$own_stripe_mock_pid" ]; then
    log "stopping the tests' own stripe-mock"
    kill "$own_stripe_mock_pid" 2>/dev/null || true
    wait "$own_stripe_mock_pid" 2>/dev/null || true
    own_stripe_mock_pid=
  fi
  if [ -n "$own_pg_data" ]; then
    log "stopping the tests' own PostgreSQL"
    pg_as_owner "$own_pg_bin/pg_ctl" -D "$own_pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    own_pg_data=
  fi
  if [ -n "$own_redis_port" ]; then
    log "stopping the tests' own Redis"
    redis-cli -h 127.0.0.1 -p "$own_redis_port" shutdown nosave >/dev/null 2>&1 || true
    own_redis_port=
  fi
  if [ -n "$own_dir" ]; then rm -rf "$own_dir"; own_dir=; fi
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres user the package creates.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

MACHINE_PG_URL=${MACHINE_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
MACHINE_REDIS_PORT=${MACHINE_REDIS_PORT:-6379}

# pg_server_bin prints the folder of the newest PostgreSQL's server programs
# (initdb, pg_ctl), installing them when there are none: the throwaway
# server needs them, and so do the fault tests, which start clusters of
# their own even when the machine's server answers.
pg_server_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$bin" ]; then
    apt_install postgresql postgresql-client >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$bin"
}

ensure_postgres_programs() {
  [ -n "$(pg_server_bin)" ]
}

ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then log "using TEST_DATABASE_URL"; return; fi
  if command -v psql >/dev/null && psql "$MACHINE_PG_URL" -Atqc 'select 1' >/dev/null 2>&1; then
    export TEST_DATABASE_URL=$MACHINE_PG_URL
    return
  fi
  own_pg_bin=$(pg_server_bin)
  local dir port
  make_own_dir
  dir=$own_dir
  port=$(free_port 55432)
  log "no PostgreSQL answers at $MACHINE_PG_URL: starting the tests' own on port $port"
  own_pg_data=$dir/pg
  mkdir -p "$own_pg_data"
  [ "$(id -u)" = 0 ] && chown postgres "$own_pg_data"
  pg_as_owner "$own_pg_bin/initdb" -D "$own_pg_data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; log "initdb failed"; return 1; }
  # fsync off: the cluster lives for one test run.
  pg_as_owner "$own_pg_bin/pg_ctl" -D "$own_pg_data" -l "$own_pg_data/server.log" -w -t 60 \
    -o "-p $port -k $own_pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null ||
    { log "PostgreSQL did not start"; cat "$own_pg_data/server.log" >&2; return 1; }
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

ensure_redis() {
  if [ -n "${TEST_REDIS_URL:-}" ]; then log "using TEST_REDIS_URL"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  if redis-cli -h 127.0.0.1 -p "$MACHINE_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    export TEST_REDIS_URL="redis://127.0.0.1:$MACHINE_REDIS_PORT/0"
    return
  fi
  local dir port
  make_own_dir
  dir=$own_dir
  port=$(free_port 56379)
  log "no Redis answers on port $MACHINE_REDIS_PORT: starting the tests' own on port $port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  own_redis_port=$port
  wait_until sh -c "redis-cli -h 127.0.0.1 -p $port ping | grep -q PONG" || { log "Redis did not start"; return 1; }
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

STRIPE_MOCK_VERSION=v0.203.0

# listening PORT: whether something accepts connections on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stripe_mock_up waits until the tests' stripe-mock listens on both its
# ports ($1, $2), and fails at once if it exits (a port it could not bind).
stripe_mock_up() {
  for _ in $(seq 1 150); do
    kill -0 "$own_stripe_mock_pid" 2>/dev/null || return 1
    if listening "$1" && listening "$2"; then return 0; fi
    sleep 0.2
  done
  return 1
}
ensure_stripe_mock() {
  if [ -n "${TEST_STRIPE_MOCK_URL:-}" ]; then log "using TEST_STRIPE_MOCK_URL"; return; fi
  local bin
  bin=$(command -v stripe-mock || true)
  if [ -z "$bin" ]; then
    bin="$(go env GOPATH)/bin/stripe-mock"
    if [ ! -x "$bin" ]; then
      log "installing stripe-mock $STRIPE_MOCK_VERSION"
      go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
    fi
  fi
  local http https try from=52111
  make_own_dir
  # A port nobody listens on may still be taken by a connection's own end
  # (these ports are in Linux's ephemeral range): then stripe-mock cannot
  # bind it and exits, and the next ports are tried.
  for try in 1 2 3; do
    http=$(free_port "$from")
    https=$(free_port $((http + 1)))
    log "starting the tests' own stripe-mock on port $http"
    # Both listeners on loopback: stripe-mock's HTTPS one would otherwise
    # take every interface.
    "$bin" -http-addr "127.0.0.1:$http" -https-addr "127.0.0.1:$https" >"$own_dir/stripe-mock.log" 2>&1 &
    own_stripe_mock_pid=$!
    if stripe_mock_up "$http" "$https"; then
      export TEST_STRIPE_MOCK_URL="http://127.0.0.1:$http"
      return 0
    fi
    kill "$own_stripe_mock_pid" 2>/dev/null || true
    wait "$own_stripe_mock_pid" 2>/dev/null || true
    own_stripe_mock_pid=
    from=$((https + 1))
  done
  log "stripe-mock did not start"
  cat "$own_dir/stripe-mock.log" >&2
  return 1
}

MAILPIT_VERSION=v1.33.1

ensure_mailpit() {
  if [ -n "${TEST_MAILPIT_SMTP:-}" ] && [ -n "${TEST_MAILPIT_API:-}" ]; then log "using TEST_MAILPIT_SMTP and TEST_MAILPIT_API"; return; fi
  local bin
  bin=$(command -v mailpit || true)
  if [ -z "$bin" ]; then
    bin="$(go env GOPATH)/bin/mailpit"
    if [ ! -x "$bin" ]; then
      log "installing mailpit $MAILPIT_VERSION"
      go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
    fi
  fi
  local smtp api try from=53111
  make_own_dir
  # As for stripe-mock: a free port may be taken by the time mailpit
  # binds it, and then the next ones are tried.
  for try in 1 2 3; do
    smtp=$(free_port "$from")
    api=$(free_port $((smtp + 1)))
    log "starting the tests' own mailpit: SMTP on port $smtp, API on $api"
    # A temporary database (deleted when it stops), any login accepted over plain SMTP
    # (the tests sign in with a user and password too), and room for
    # every message a run sends.
    "$bin" --smtp "127.0.0.1:$smtp" --listen "127.0.0.1:$api" --max 100000 \
      --smtp-auth-accept-any --smtp-auth-allow-insecure --quiet >"$own_dir/mailpit.log" 2>&1 &
    own_mailpit_pid=$!
    if mailpit_up "$smtp" "$api"; then
      export TEST_MAILPIT_SMTP="127.0.0.1:$smtp" TEST_MAILPIT_API="http://127.0.0.1:$api"
      return 0
    fi
    kill "$own_mailpit_pid" 2>/dev/null || true
    wait "$own_mailpit_pid" 2>/dev/null || true
    own_mailpit_pid=
    from=$((api + 1))
  done
  log "mailpit did not start"
  cat "$own_dir/mailpit.log" >&2
  return 1
}

# mailpit_up waits until the tests' mailpit listens on both its ports.
mailpit_up() {
  for _ in $(seq 1 150); do
    kill -0 "$own_mailpit_pid" 2>/dev/null || return 1
    if listening "$1" && listening "$2"; then return 0; fi
    sleep 0.2
  done
  return 1
}

ensure_chromium() {
  if [ -n "${CHROME_PATH:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    return
  fi
  apt_install chromium
}

# assets_stale: whether web/dist lacks a build, or one of its inputs (the
# lockfile, build.mjs, the admin dashboard's sources) is newer than it.
assets_stale() {
  local admin=web/dist/admin/index.html
  [ -f web/dist/graphiql.min.js ] && [ -f web/dist/graphql-ws.min.js ] && [ -f "$admin" ] || return 0
  [ web/dist/graphiql.min.js -nt web/package-lock.json ] && [ "$admin" -nt web/package-lock.json ] || return 0
  [ -n "$(find web/admin web/build.mjs -newer "$admin" -print -quit)" ]
}

ensure_assets() {
  local installed=
  [ -d web/node_modules/graphql ] && [ -d web/node_modules/vite ] && [ -d web/node_modules/axe-core ] &&
    [ -d web/node_modules/graphql-ws ] &&
    [ -f web/dist/graphiql.min.js ] && [ web/dist/graphiql.min.js -nt web/package-lock.json ] && installed=1
  if [ -n "$installed" ] && ! assets_stale; then return; fi
  command -v npm >/dev/null || apt_install nodejs npm
  if [ -z "$installed" ]; then
    log "installing the npm packages of web/package-lock.json"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
  log "building the web assets (GraphiQL, the admin dashboard)"
  (cd web && npm run --silent build)
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  for what in "$@"; do
    case $what in
      postgres | redis | stripe_mock | mailpit) log "$what is started per run: source this script (see scripts/test.sh)"; exit 2 ;;
    esac
    "ensure_$what"
  done
fi
