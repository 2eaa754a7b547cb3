#!/usr/bin/env bash
# Single-node KRaft Apache Kafka for tests, from Maven Central jars (no Docker, no tarball).
# Recipe and measurements: shared KAFKA.md §1. Idempotent guard: refuses to start over a live broker.
# Env: KAFKA_VERSION (3.9.2), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_OPTS,
#      KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_CLUSTER_ID, KAFKA_KEEP_DATA=1 (restart without wiping data)
# Layout: .kafka/libs-<version>/ (jar cache, kept), .kafka/run/ (config, data, kafka.out, kafka.pid)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
PORT="${KAFKA_PORT:-9092}"; CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
WORK="$ROOT/.kafka"; LIBS="$WORK/libs-$KAFKA_VERSION"; RUN="$WORK/run"; DATA="$RUN/data"
mkdir -p "$RUN"
case "$KAFKA_VERSION" in 4.*) MAJOR=4 ;; *) MAJOR=3 ;; esac
ms() { echo $(( $(date +%s%N) / 1000000 )); }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A process reparented to an init that does not reap (common in containers) stays a zombie,
# and `kill -0` still succeeds on it; only a non-zombie counts as running.
alive() { local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"; [ -n "$st" ] && [ "$st" != Z ]; }
ours() { alive "$1" && grep -aq 'kafka\.Kafka' "/proc/$1/cmdline" 2>/dev/null; }

for tool in java mvn flock; do
  command -v "$tool" >/dev/null || { echo "kafka-up: '$tool' not found (needs OpenJDK 17+, Maven 3.8+, util-linux)" >&2; exit 1; }
done

# Serialize concurrent kafka-up runs (two test runs starting at once): without the lock both could
# pass the guard below, and both would write the same data dir and jar dir.
exec 9>"$WORK/kafka-up.lock"
flock -w 600 9 || { echo "kafka-up: timed out waiting for another kafka-up" >&2; exit 1; }

# 0) refuse to start over a live broker: a second start would wipe its data dir, truncate its log
#    and overwrite kafka.pid (orphaning the first broker).
if [ -f "$RUN/kafka.pid" ] && ours "$(cat "$RUN/kafka.pid")"; then
  echo "kafka already running (pid $(cat "$RUN/kafka.pid")); run scripts/kafka-down.sh first" >&2; exit 1
fi
rm -f "$RUN/kafka.pid"
for p in "$PORT" "$CPORT"; do
  if port_busy "$p"; then echo "kafka-up: port 127.0.0.1:$p is already in use" >&2; exit 1; fi
done

# 1) jars, once per version. Downloaded into a temp dir and renamed, so an interrupted download
#    never looks complete. Debian's mvn prints ANSI escapes even with -B -q: output goes to a log.
if [ ! -f "$LIBS/.complete" ]; then
  TMP="$LIBS.partial"; rm -rf "$TMP" "$LIBS"
  PROFILE=(); [ "$MAJOR" = 4 ] && PROFILE=(-Pkafka4)
  T=$(ms)
  mvn -B -q -f "$ROOT/test/kafka/pom.xml" "${PROFILE[@]}" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$TMP" \
      > "$WORK/mvn-$KAFKA_VERSION.log" 2>&1 || { cat "$WORK/mvn-$KAFKA_VERSION.log" >&2; rm -rf "$TMP"; exit 1; }
  touch "$TMP/.complete"; mv "$TMP" "$LIBS"
  echo "kafka $KAFKA_VERSION jars fetched in $(( $(ms) - T )) ms ($(find "$LIBS" -name '*.jar' | wc -l) jars)"
fi

# 2) config. Java .properties: a '#' comment must stand on its own line, never after a value.
cat > "$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.partitions=1
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=2097152
PROPS
if [ "$MAJOR" = 4 ]; then
  printf 'share.coordinator.state.topic.replication.factor=1\nshare.coordinator.state.topic.min.isr=1\n' >> "$RUN/server.properties"
  LOGOPT="-Dlog4j2.configurationFile=file:$ROOT/test/kafka/log4j2.properties"
else
  LOGOPT="-Dlog4j.configuration=file:$ROOT/test/kafka/log4j.properties"
fi
CP="$LIBS/*"

# 3) format (fresh by default)
if [ "${KAFKA_KEEP_DATA:-0}" != 1 ] || [ ! -f "$DATA/meta.properties" ]; then
  rm -rf "$DATA"
  # A random base64url id starts with '-' 1 time in 64; "--cluster-id=VALUE" keeps argparse4j
  # from reading it as an option.
  CLUSTER_ID="${KAFKA_CLUSTER_ID:-$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
  T=$(ms)
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC $LOGOPT -cp "$CP" \
       kafka.tools.StorageTool format --cluster-id="$CLUSTER_ID" -c "$RUN/server.properties" > "$RUN/format.log" 2>&1 \
    || { cat "$RUN/format.log" >&2; exit 1; }
  echo "kafka $KAFKA_VERSION storage formatted in $(( $(ms) - T )) ms"
fi

# 4) start. setsid: the broker leaves the caller's process group, so a Ctrl-C aimed at a test run
#    cannot kill a broker that other runs share (it is stopped by kafka-down.sh only). Without job
#    control the background child is no group leader, so setsid execs in place and $! is the JVM.
#    9>&- : the broker must not inherit the lock, or it would hold it for its whole life.
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
PERF="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true}"
T=$(ms)
# shellcheck disable=SC2086 # HEAP/PERF/LOGOPT are option lists
setsid nohup java $HEAP $PERF -Dkafka.logs.dir="$RUN" $LOGOPT -cp "$CP" kafka.Kafka "$RUN/server.properties" \
      > "$RUN/kafka.out" 2>&1 < /dev/null 9>&- &
PID=$!
echo "$PID" > "$RUN/kafka.pid"

# 5) readiness: "Kafka Server started" is logged after the broker is unfenced and the acceptors
#    are up; the TCP probe is a cheap double check.
while [ $(( $(ms) - T )) -lt 60000 ]; do
  if grep -aq "Kafka Server started" "$RUN/kafka.out" && port_busy "$PORT"; then
    echo "kafka $KAFKA_VERSION ready on 127.0.0.1:$PORT after $(( $(ms) - T )) ms (pid $PID)"; exit 0
  fi
  alive "$PID" || { echo "kafka exited during startup:" >&2; tail -n 80 "$RUN/kafka.out" >&2; rm -f "$RUN/kafka.pid"; exit 1; }
  sleep 0.1
done
echo "kafka not ready after 60 s; stopping it:" >&2; tail -n 80 "$RUN/kafka.out" >&2
kill "$PID" 2>/dev/null || true; rm -f "$RUN/kafka.pid"; exit 1
