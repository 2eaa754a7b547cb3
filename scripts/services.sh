#!/usr/bin/env bash
# Kafka + Redis for development and tests.
#   bash scripts/services.sh up      start whichever is not answering yet (a running one is reused)
#   bash scripts/services.sh down    stop the instances that scripts/kafka-up.sh / redis-up.sh started
#   bash scripts/services.sh status  report what answers on 127.0.0.1:$KAFKA_PORT (9092) and :$REDIS_PORT (6380)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
KAFKA_PORT="${KAFKA_PORT:-9092}"; REDIS_PORT="${REDIS_PORT:-6380}"
export KAFKA_PORT REDIS_PORT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
redis_answers() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && IFS= read -r -t 1 reply <&3 && [[ "$reply" == "+PONG"* ]] ) 2>/dev/null
}
pid_note() { [ -f "$1" ] && echo " (pid $(cat "$1"), started by this checkout)" || echo " (not started by this checkout)"; }

case "${1:-}" in
  up)
    if port_busy "$KAFKA_PORT"; then echo "kafka: already answering on 127.0.0.1:$KAFKA_PORT, reused"
    else bash "$HERE/kafka-up.sh"; fi
    if redis_answers "$REDIS_PORT"; then echo "redis: already answering on 127.0.0.1:$REDIS_PORT, reused"
    else bash "$HERE/redis-up.sh"; fi
    ;;
  down)
    rc=0
    bash "$HERE/kafka-down.sh" || rc=1
    bash "$HERE/redis-down.sh" || rc=1
    exit "$rc"
    ;;
  status)
    rc=0
    if port_busy "$KAFKA_PORT"; then echo "kafka: up on 127.0.0.1:$KAFKA_PORT$(pid_note "$ROOT/.kafka/run/kafka.pid")"
    else echo "kafka: down"; rc=1; fi
    if redis_answers "$REDIS_PORT"; then echo "redis: up on 127.0.0.1:$REDIS_PORT$(pid_note "$ROOT/.redis/redis.pid")"
    else echo "redis: down"; rc=1; fi
    exit "$rc"
    ;;
  *) echo "usage: bash scripts/services.sh up|down|status" >&2; exit 2 ;;
esac
