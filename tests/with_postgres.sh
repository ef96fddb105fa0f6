#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on loopback.
#
#   tests/with_postgres.sh CMD [ARGS...]
#
# Starts a fresh cluster from the machine's PostgreSQL server binaries in a temporary
# folder (as the `postgres` user when run as root, since initdb refuses root), exports
# DATABASE_URL for CMD, and stops and removes the cluster afterwards, whatever CMD did.
# Exits 3 without running CMD when no server binaries are found.
set -euo pipefail

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  echo "with_postgres: no PostgreSQL server binaries (initdb, pg_ctl) on this machine" >&2
  exit 3
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/callbook-pg.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$tmp"
  as_owner=(runuser -u postgres --)
fi

cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$tmp/data" -A trust -U postgres --no-sync \
  -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -w -l "$tmp/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }

echo "with_postgres: $("$bindir/postgres" --version) on 127.0.0.1:$port" >&2
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
"$@"
