#!/usr/bin/env bash
# Stops the server started by start-test-postgres.sh (same ANYCHAT_TEST_POSTGRES_* settings).
# Pass --remove to delete its cluster directory too.
set -euo pipefail

port="${ANYCHAT_TEST_POSTGRES_PORT:-54329}"
cluster_dir="${ANYCHAT_TEST_POSTGRES_DIR:-/tmp/anychat-test-postgres-$port}"
bin_dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -n 1)"
pg_ctl="${bin_dir:+$bin_dir/}pg_ctl"

if [[ -f "$cluster_dir/postmaster.pid" ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$pg_ctl" -D "$cluster_dir" -m fast -w stop >&2
  else
    "$pg_ctl" -D "$cluster_dir" -m fast -w stop >&2
  fi
fi
if [[ "${1:-}" == "--remove" ]]; then rm -rf "$cluster_dir"; fi
