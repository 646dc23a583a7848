#!/usr/bin/env bash
# Delta compression end to end (issue 24): one server (CPU 0, one I/O thread) and the load
# generator (CPU 1) on loopback. Two workloads, each with subscribers that take whole messages
# and then with subscribers that joined with "delta":true:
#   - a 2 KB message of which one field changes (a text whose leading timestamp changes),
#     published to a channel whose namespace says delta: true;
#   - $metrics snapshots every 100 ms, held for HOLD seconds.
# Prints the load generator's lines: payload bytes per delivery and server CPU per delivery.
#   bash bench/delta-fanout.sh            # SUBSCRIBERS=1000 MESSAGES=500 HOLD=10, about a minute
set -euo pipefail
cd "$(dirname "$0")/.."
SUBSCRIBERS=${SUBSCRIBERS:-1000}
MESSAGES=${MESSAGES:-500}
HOLD=${HOLD:-10}
PORT=${PORT:-18431}
SERVER_JAR=server/target/pulse-server.jar
BENCH_JAR=bench/target/pulse-bench.jar
config=$(mktemp --suffix .yaml)
cat >"$config" <<'YAML'
namespaces:
  - match: "snap*"
    delta: true
YAML
taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$SERVER_JAR" --config "$config" --host 127.0.0.1 --port "$PORT" \
  --io-threads 1 --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 --metrics-interval 100ms \
  >/tmp/delta-fanout-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$config"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done
load() {
  taskset -c 1 java -jar "$BENCH_JAR" fanout --url "ws://127.0.0.1:$PORT/ws" --subscribers "$SUBSCRIBERS" "$@" | grep -v '^{'
}
for delta in "" --delta; do
  echo "== 2 KB, one changing field ${delta:-(whole messages)}"
  load --channel snap --messages "$MESSAGES" --size 2048 --window 8 $delta
done
for delta in "" --delta; do
  echo "== \$metrics every 100 ms ${delta:-(whole messages)}"
  load --channel '$metrics' --messages 0 --hold "$HOLD" $delta
done
