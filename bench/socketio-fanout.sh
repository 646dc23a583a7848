#!/usr/bin/env bash
# Fan-out to socket.io subscribers (the WebSocket transport) against the same load on /ws,
# alternating in one run:
#   bash bench/socketio-fanout.sh            (about 3 minutes on 2 cores)
# A fresh server per run, pinned to CPU 0 with one I/O thread; the load generator on CPU 1;
# loopback only. One publisher on /ws, window 8, 64 B of text; the subscribers join the channel
# with /ws's join, or with socket.io's (40, then 42["join",...]) and count 42["message",...] events.
# Raw JSON lines and a table go to bench/results/socketio-<timestamp>/.
#
# Knobs (environment): ROUNDS (3), SUBSCRIBERS (1000), MESSAGES (2000), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
MESSAGES="${MESSAGES:-2000}"
PORT=18093
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
SERVER_JVM=(-Xms512m -Xmx512m -XX:+UseParallelGC)

if [ "${SKIP_BUILD:-}" != 1 ]; then
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/socketio-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
raw="$out/raw.jsonl"
: > "$raw"
server_pid=

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

start_server() {
  taskset -c 0 java "${SERVER_JVM[@]}" -jar "$SERVER_JAR" --host 127.0.0.1 --port "$PORT" --io-threads 1 \
    --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 --ping-interval 10m \
    --ping-timeout 20m --max-queued-bytes 4MiB >>"$out/server-$PORT.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start"; tail -20 "$out/server-$PORT.log"; exit 1
}

run() { # label, fanout arguments...
  local label=$1
  shift
  taskset -c 1 java -jar "$BENCH_JAR" fanout --label "$label" --url "ws://127.0.0.1:$PORT/ws" \
    --subscribers "$SUBSCRIBERS" --messages "$MESSAGES" --size 64 --window 8 "$@" \
    | tee -a "$out/load.log" | grep '^{' >> "$raw"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: /ws subscribers"
  start_server
  run ws
  stop_server
  echo "== round $round: socket.io subscribers (WebSocket transport)"
  start_server
  run socket.io --socketio-url "ws://127.0.0.1:$PORT/socket.io/?EIO=4&transport=websocket"
  stop_server
done

python3 bench/fanout-table.py "$raw" "subscribers speak" | tee "$out/table.md"
echo "== results in $out"
