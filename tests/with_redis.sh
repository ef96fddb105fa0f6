#!/usr/bin/env bash
# Run a command with a throwaway Redis server on loopback.
#
#   tests/with_redis.sh CMD [ARGS...]
#
# Starts Debian's redis-server on a free loopback port with no persistence, in a
# temporary folder, exports REDIS_URL for CMD, and stops and removes it afterwards,
# whatever CMD did. Without redis-server it runs CMD without REDIS_URL (the tests
# that need Redis then skip, or fail when CI=true).
set -euo pipefail

server=$(command -v redis-server || true)
if [ -z "$server" ]; then
  echo "with_redis: no redis-server on this machine (apt-get install redis-server)" >&2
  exec "$@"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/callbook-redis.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$server" --bind 127.0.0.1 --port "$port" --dir "$tmp" --save "" --appendonly no \
  --daemonize no --protected-mode yes --logfile "$tmp/redis.log" &
pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.05
done

echo "with_redis: $("$server" --version | cut -d' ' -f1-3) on 127.0.0.1:$port" >&2
export REDIS_URL="redis://127.0.0.1:$port/0"
status=0
"$@" || status=$?
exit $status
