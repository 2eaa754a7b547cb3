#!/usr/bin/env bash
# Stops the broker started by scripts/kafka-up.sh: SIGTERM (controlled shutdown), SIGKILL after 20 s.
# Only the pid recorded in .kafka/run/kafka.pid is signalled, and only if it is still a kafka.Kafka JVM.
set -euo pipefail
RUN="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.kafka/run"
# zombies (exited, not yet reaped by a lazy init) count as stopped
alive() { local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"; [ -n "$st" ] && [ "$st" != Z ]; }
[ -f "$RUN/kafka.pid" ] || { echo "kafka: not running (no pid file)"; exit 0; }
PID="$(cat "$RUN/kafka.pid")"
# pids get reused after a crash or reboot: never signal a process that is not our broker
if ! alive "$PID" || ! grep -aq 'kafka\.Kafka' "/proc/$PID/cmdline" 2>/dev/null; then
  rm -f "$RUN/kafka.pid"; echo "kafka: not running (stale pid file removed)"; exit 0
fi
kill "$PID" 2>/dev/null || true
for _ in $(seq 1 200); do
  alive "$PID" || { rm -f "$RUN/kafka.pid"; echo "kafka stopped (pid $PID)"; exit 0; }
  sleep 0.1
done
kill -9 "$PID" 2>/dev/null || true; rm -f "$RUN/kafka.pid"; echo "kafka killed after 20 s (pid $PID)"
