#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for anychat's tests and prints the line
#   export ANYCHAT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:54329/anychat_test
# on stdout (progress goes to stderr), so `eval "$(scripts/postgres/start-test-postgres.sh)"` works.
#
# - Installs Debian's `postgresql` with apt-get when no server binary is found (needs root).
# - Initializes a cluster in $ANYCHAT_TEST_POSTGRES_DIR (default /tmp/anychat-test-postgres-PORT;
#   under /tmp because, run as root, the server runs as the `postgres` user, which must be able
#   to reach the directory) with trust authentication, listening on 127.0.0.1 only.
# - Reuses the cluster when it is already running, so calling it again is cheap.
# - Port: $ANYCHAT_TEST_POSTGRES_PORT (default 54329).
# Stop it with scripts/postgres/stop-test-postgres.sh.
set -euo pipefail

port="${ANYCHAT_TEST_POSTGRES_PORT:-54329}"
cluster_dir="${ANYCHAT_TEST_POSTGRES_DIR:-/tmp/anychat-test-postgres-$port}"
database="anychat_test"

log() { echo "start-test-postgres: $*" >&2; }
fail() { log "$*"; exit 1; }

# /usr/local/bin may hold only a pg_ctl wrapper; the server itself lives under /usr/lib/postgresql.
find_server_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/postgres" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v postgres >/dev/null && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v postgres)"
    return 0
  fi
  return 1
}

if ! bin_dir="$(find_server_bin)"; then
  [[ "$(id -u)" == 0 ]] || fail "no PostgreSQL server found, and installing one needs root: apt-get install postgresql"
  command -v apt-get >/dev/null || fail "no PostgreSQL server found and no apt-get to install one; install PostgreSQL"
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin_dir="$(find_server_bin)" || fail "installed postgresql but found no server binary under /usr/lib/postgresql"
fi

# initdb and postgres refuse to run as root; as root we run them as the `postgres` user.
as_server_user() {
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url="postgres://postgres@127.0.0.1:$port/$database"

# Test files run side by side, and each may call this script: one at a time, so only one of them
# initializes and starts the cluster and the others find it running.
# The server must not inherit the lock's descriptor, or it would hold the lock for its lifetime.
exec 9>"/tmp/anychat-test-postgres-$port.lock"
flock 9

if as_server_user "$bin_dir/pg_ctl" -D "$cluster_dir" status >/dev/null 2>&1; then
  log "reusing the server already running in $cluster_dir"
else
  if [[ ! -f "$cluster_dir/PG_VERSION" ]]; then
    log "initializing a cluster in $cluster_dir with $bin_dir"
    mkdir -p "$cluster_dir"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$cluster_dir"
    chmod 700 "$cluster_dir"
    as_server_user "$bin_dir/initdb" -D "$cluster_dir" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
  fi
  if "$bin_dir/pg_isready" -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
    fail "port $port is taken by another server; set ANYCHAT_TEST_POSTGRES_PORT to a free port"
  fi
  log "starting PostgreSQL on 127.0.0.1:$port"
  # The socket goes in the cluster directory: /var/run/postgresql may not exist or be writable.
  as_server_user "$bin_dir/pg_ctl" -D "$cluster_dir" -l "$cluster_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster_dir -c max_connections=200" start >&2 9>&- ||
    fail "PostgreSQL did not start; see $cluster_dir/server.log"
fi

psql=("$bin_dir/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -t -A)
if [[ "$("${psql[@]}" -d postgres -c "select 1 from pg_database where datname = '$database'")" != 1 ]]; then
  log "creating database $database"
  "${psql[@]}" -d postgres -c "create database $database" >&2
fi

exec 9>&-
echo "export ANYCHAT_TEST_DATABASE_URL=$url"
