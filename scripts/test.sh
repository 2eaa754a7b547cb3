#!/usr/bin/env bash
# `npm test`: every vitest project (unit + integration) against a real Kafka and Redis.
# A service that already answers is reused and left running; one that does not is started here
# (scripts/kafka-up.sh, scripts/redis-up.sh) and stopped on exit. Extra arguments go to vitest.
# The last output line is "N passed, N failed" (test/reporters/summary.ts); the exit status is vitest's.
# Env: KEEL_KAFKA_BROKERS (127.0.0.1:9092), KEEL_REDIS_URL (redis://127.0.0.1:6380)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export KEEL_KAFKA_BROKERS="${KEEL_KAFKA_BROKERS:-127.0.0.1:9092}"
export KEEL_REDIS_URL="${KEEL_REDIS_URL:-redis://127.0.0.1:6380}"

# first bootstrap broker -> host, port
FIRST_BROKER="${KEEL_KAFKA_BROKERS%%,*}"
KAFKA_HOST="${FIRST_BROKER%:*}"; KAFKA_PORT="${FIRST_BROKER##*:}"
# redis[s]://[user:password@]host[:port][/db]
if [[ "$KEEL_REDIS_URL" =~ ^rediss?://([^@/]*@)?([^:/]+)(:([0-9]+))?(/.*)?$ ]]; then
  REDIS_HOST="${BASH_REMATCH[2]}"; REDIS_PORT="${BASH_REMATCH[4]:-6379}"
else
  echo "test.sh: cannot parse KEEL_REDIS_URL='$KEEL_REDIS_URL'" >&2; exit 2
fi

tcp_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
loopback() { [[ "$1" == 127.* || "$1" == localhost ]]; }
alive() { local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"; [ -n "$st" ] && [ "$st" != Z ]; }

# Runs of this script share local services, also across checkouts (a .ci/run clone, a second
# engineer). Each run holds a lease (a file named by its pid) on every local service it uses; the
# run that started a service stops it only once no other live run holds a lease, so it never pulls
# a broker out from under a run that reused it. Probing, starting and leasing happen under one lock.
LEASES="${TMPDIR:-/tmp}/keel-test-services"
mkdir -p "$LEASES"
OWNED=(); LEASED=()

# acquire SERVICE HOST PORT LOCK_FD -> 0 reused, 3 started here, 1 failed
acquire() {
  local service="$1" host="$2" port="$3" fd="$4" dir="$LEASES/$1-$3"
  if ! loopback "$host"; then
    tcp_answers "$host" "$port" && return 0
    echo "test.sh: no $service answers at $host:$port (remote: not started here)" >&2; return 1
  fi
  mkdir -p "$dir"; eval "exec $fd>\"\$dir.lock\""; flock "$fd"
  local rc=0
  if ! tcp_answers "$host" "$port"; then
    # the up script must not pass the lease lock on to the daemon it starts
    if [ "$service" = kafka ]; then KAFKA_PORT="$port" bash "$HERE/kafka-up.sh" 7>&- 8>&- && rc=3 || rc=1
    else REDIS_PORT="$port" bash "$HERE/redis-up.sh" 7>&- 8>&- && rc=3 || rc=1; fi
  fi
  # started outside these leases meanwhile (scripts/services.sh up): reuse it
  if [ "$rc" = 1 ] && tcp_answers "$host" "$port"; then rc=0; fi
  [ "$rc" = 1 ] || touch "$dir/$$"
  eval "exec $fd>&-"
  return "$rc"
}

release() {  # release SERVICE PORT LOCK_FD OWNED(0|1)
  local service="$1" dir="$LEASES/$1-$2" fd="$3" owned="$4" lease waited=0
  rm -f "$dir/$$"
  [ "$owned" = 1 ] || return 0
  while :; do
    eval "exec $fd>\"\$dir.lock\""; flock "$fd"
    for lease in "$dir"/*; do [ -e "$lease" ] && ! alive "${lease##*/}" && rm -f "$lease"; done
    if [ -z "$(ls -A "$dir")" ] || [ "$waited" -ge 1800 ]; then
      bash "$HERE/$service-down.sh" >> "$ROOT/.$service/test-teardown.log" 2>&1 7>&- 8>&-
      eval "exec $fd>&-"; return 0
    fi
    eval "exec $fd>&-"; sleep 1; waited=$((waited + 1))
  done
}

cleanup() {
  # silent: the summary line printed by vitest must stay the last line of the output
  local service
  for service in "${LEASED[@]}"; do
    case "$service" in
      kafka) release kafka "$KAFKA_PORT" 8 "$([[ " ${OWNED[*]} " == *" kafka "* ]] && echo 1 || echo 0)" ;;
      redis) release redis "$REDIS_PORT" 7 "$([[ " ${OWNED[*]} " == *" redis "* ]] && echo 1 || echo 0)" ;;
    esac
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Redis (an apt-get install on a fresh machine) starts alongside Kafka (a jar download on a fresh machine).
acquire redis "$REDIS_HOST" "$REDIS_PORT" 7 & REDIS_JOB=$!
acquire kafka "$KAFKA_HOST" "$KAFKA_PORT" 8; KAFKA_RC=$?
wait "$REDIS_JOB"; REDIS_RC=$?
for pair in "kafka:$KAFKA_RC" "redis:$REDIS_RC"; do
  case "${pair#*:}" in
    0) LEASED+=("${pair%%:*}") ;;
    3) LEASED+=("${pair%%:*}"); OWNED+=("${pair%%:*}") ;;
  esac
done
if [ "$KAFKA_RC" = 1 ] || [ "$REDIS_RC" = 1 ]; then echo "test.sh: services not available" >&2; exit 1; fi

"$ROOT/node_modules/.bin/vitest" run --reporter=default --reporter="$ROOT/test/reporters/summary.ts" "$@"
exit $?
