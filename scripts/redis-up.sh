#!/usr/bin/env bash
# Redis for tests on 127.0.0.1:$REDIS_PORT (6380): daemonized, no persistence, pid and log under .redis/.
# Installs Debian's redis-server (7.0 on bookworm) when the binary is missing. Shared KAFKA.md §6.
# Refuses to start over a live instance. Env: REDIS_PORT (6380)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
PORT="${REDIS_PORT:-6380}"
DIR="$ROOT/.redis"; PIDFILE="$DIR/redis.pid"; LOG="$DIR/redis.log"
# redis-server exits with "Can't open the log file" when .redis/ is missing
mkdir -p "$DIR"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# RESP inline PING over bash's /dev/tcp: works before redis-cli exists
answers_ping() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && IFS= read -r -t 1 reply <&3 && [[ "$reply" == "+PONG"* ]] ) 2>/dev/null
}
# zombies (exited, not yet reaped) count as stopped
alive() { local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"; [ -n "$st" ] && [ "$st" != Z ]; }
ours() { alive "$1" && grep -aq 'redis-server' "/proc/$1/cmdline" 2>/dev/null; }

# Serialize concurrent starts (and concurrent apt-get runs, which would fight over the dpkg lock)
exec 9>"$DIR/redis-up.lock"
flock -w 600 9 || { echo "redis-up: timed out waiting for another redis-up" >&2; exit 1; }

if [ -f "$PIDFILE" ] && ours "$(cat "$PIDFILE")"; then
  echo "redis already running (pid $(cat "$PIDFILE")); run scripts/redis-down.sh first" >&2; exit 1
fi
if port_busy "$PORT"; then echo "redis-up: port 127.0.0.1:$PORT is already in use" >&2; exit 1; fi

if ! command -v redis-server >/dev/null; then
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo -n)
  T=$(ms)
  export DEBIAN_FRONTEND=noninteractive
  # the package lists are usually fresh enough; refresh them only when the first try fails
  if ! "${SUDO[@]}" apt-get install -y -q redis-server > "$DIR/apt.log" 2>&1; then
    { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q redis-server; } >> "$DIR/apt.log" 2>&1 \
      || { echo "redis-up: apt-get install redis-server failed:" >&2; tail -n 40 "$DIR/apt.log" >&2; exit 1; }
  fi
  echo "redis-server installed in $(( $(ms) - T )) ms ($(redis-server --version | grep -o 'v=[0-9.]*'))"
fi

T=$(ms)
rm -f "$PIDFILE"
# 9>&- : the daemon must not inherit the lock
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
             --daemonize yes --pidfile "$PIDFILE" --logfile "$LOG" 9>&- \
  || { echo "redis-server failed to start:" >&2; tail -n 20 "$LOG" >&2 2>/dev/null; exit 1; }
while [ $(( $(ms) - T )) -lt 10000 ]; do
  if answers_ping "$PORT"; then
    echo "redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) ready on 127.0.0.1:$PORT after $(( $(ms) - T )) ms (pid $(cat "$PIDFILE" 2>/dev/null))"; exit 0
  fi
  sleep 0.05
done
echo "redis not answering PING after 10 s:" >&2; tail -n 20 "$LOG" >&2; exit 1
