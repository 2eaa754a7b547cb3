#!/usr/bin/env bash
# Stops the Redis started by scripts/redis-up.sh. Only the pid in .redis/redis.pid is signalled,
# and only if it is still a redis-server process.
set -euo pipefail
PIDFILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.redis/redis.pid"
# zombies (exited, not yet reaped by a lazy init) count as stopped
alive() { local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"; [ -n "$st" ] && [ "$st" != Z ]; }
[ -f "$PIDFILE" ] || { echo "redis: not running (no pid file)"; exit 0; }
PID="$(cat "$PIDFILE")"
if ! alive "$PID" || ! grep -aq 'redis-server' "/proc/$PID/cmdline" 2>/dev/null; then
  rm -f "$PIDFILE"; echo "redis: not running (stale pid file removed)"; exit 0
fi
kill "$PID" 2>/dev/null || true
for _ in $(seq 1 100); do
  alive "$PID" || { rm -f "$PIDFILE"; echo "redis stopped (pid $PID)"; exit 0; }
  sleep 0.05
done
kill -9 "$PID" 2>/dev/null || true; rm -f "$PIDFILE"; echo "redis killed after 5 s (pid $PID)"
