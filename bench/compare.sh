#!/usr/bin/env bash
# Pulse against Netty's built-in WebSocket codec, side by side on this machine, in one run:
#   bash bench/compare.sh                 (about 15 minutes on 2 cores)
# Builds both, then for each round starts Pulse and the reference server in turn, each pinned to
# CPU 0 with one I/O thread, and drives it from the load generator pinned to CPU 1, over
# loopback only. Every figure is reported per server CPU-second as well as per second, because on
# 2 cores the load generator can be the bottleneck. Raw JSON lines, a Markdown table, a JSON
# summary and a PNG chart go to bench/results/<timestamp>/.
#
# Knobs (environment): ROUNDS (3), DURATION (seconds measured per echo row, 5), WARMUP (2),
# SKIP_BUILD=1, SKIP_JMH=1 (JMH is separate: see bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
WARMUP="${WARMUP:-2}"
PULSE_PORT=18081
NETTY_PORT=18082
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
SERVER_JVM=(-Xms1g -Xmx1g -XX:+UseParallelGC)

if [ "${SKIP_BUILD:-}" != 1 ]; then
  echo "== building (./mvnw -q -B -DskipTests install)"
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
raw="$out/raw.jsonl"
: > "$raw"
server_pid=""

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

start_server() { # name
  local name=$1 port
  if [ "$name" = pulse ]; then
    port=$PULSE_PORT
    taskset -c 0 java "${SERVER_JVM[@]}" -jar "$SERVER_JAR" --host 127.0.0.1 --port $port --io-threads 1 \
      --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 \
      --ping-interval 10m --ping-timeout 20m --max-queued-bytes 4MiB >"$out/server-$name.log" 2>&1 &
  else
    port=$NETTY_PORT
    taskset -c 0 java "${SERVER_JVM[@]}" -jar "$BENCH_JAR" reference-server --port $port --io-threads 1 \
      >"$out/server-$name.log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server $name did not start"; cat "$out/server-$name.log"; exit 1
}

load() { # name shape args...
  local name=$1 shape=$2
  shift 2
  taskset -c 1 java -jar "$BENCH_JAR" "$shape" --label "$name" "$@" | tee -a "$out/load.log" | grep '^{' >> "$raw" || {
    echo "load $shape $* against $name failed"; tail -5 "$out/load.log"; exit 1; }
}

run_rows() { # name port
  local name=$1 port=$2
  for connections in 1 100 1000; do
    for size in 16 1024 65536; do
      load "$name" echo --url "ws://127.0.0.1:$port/echo" --connections $connections --size $size \
        --window 1 --warmup "$WARMUP" --duration "$DURATION"
    done
  done
  load "$name" fanout --url "ws://127.0.0.1:$port/ws" --subscribers 1000 --messages 2000 --size 64 --window 8
  load "$name" fanout --url "ws://127.0.0.1:$port/ws" --subscribers 10000 --messages 200 --size 64 --window 8
  load "$name" connect --url "ws://127.0.0.1:$port/echo" --count 5000 --concurrency 50
  load "$name" idle --url "ws://127.0.0.1:$port/echo" --connections 10000
}

for round in $(seq 1 "$ROUNDS"); do
  for name in pulse netty; do
    echo "== round $round/$ROUNDS: $name"
    start_server "$name"
    if [ "$name" = pulse ]; then run_rows pulse $PULSE_PORT; else run_rows netty $NETTY_PORT; fi
    stop_server
  done
done

echo "== results ($out)"
java -jar "$BENCH_JAR" report "$raw"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
