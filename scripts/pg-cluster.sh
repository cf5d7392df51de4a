#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: a temp directory, a free loopback
# port, trust authentication on 127.0.0.1 only.
#
#   scripts/pg-cluster.sh start    prints `export PONTOON_TEST_PG_URL=postgres://…` and the cluster's dir
#   scripts/pg-cluster.sh stop DIR stops the cluster started in DIR and removes DIR
#
# PONTOON_PG_SETTINGS (e.g. "-c fsync=on -c synchronous_commit=on") is appended to the server's
# options and wins over the defaults below: the peer benchmark runs PostgreSQL as users do.
#
# initdb refuses to run as root, so as root the cluster is made and run by the `postgres` user
# that Debian's package creates. Binaries are found on PATH or in /usr/lib/postgresql/<ver>/bin.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  done
  echo "pg-cluster: $name not found (install PostgreSQL: apt-get install -y postgresql)" >&2
  exit 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local initdb pg_ctl dir port
  initdb=$(find_bin initdb)
  pg_ctl=$(find_bin pg_ctl)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pontoon-pg-XXXXXX")
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_owner "$initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  port=$(node "$(dirname "$0")/lib/free-ports.mjs" 1)
  # fsync off: the cluster is thrown away; crash safety of PostgreSQL itself is not under test.
  # Sockets only in the cluster's own dir, TCP only on loopback.
  as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 ${PONTOON_PG_SETTINGS:-}" \
    start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
  }
  echo "export PONTOON_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
  echo "export PONTOON_TEST_PG_DIR=$dir"
}

stop() {
  local dir=${1:-${PONTOON_TEST_PG_DIR:-}}
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    echo "pg-cluster: usage: $0 stop DIR (the PONTOON_TEST_PG_DIR that start printed)" >&2
    exit 2
  fi
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
