#!/usr/bin/env bash
# Fan-out through Redis: one channel, its subscribers spread over two Pulse nodes of a cluster,
# against the same load on one node without Redis, alternating in one run:
#   bash bench/cluster-fanout.sh            (about 5 minutes on 2 cores)
# The servers (the nodes and Redis, or the single node) are pinned to CPU 0, one I/O thread per
# node, and the load generator to CPU 1, over loopback only. "Server CPU" is the nodes' and
# Redis's user + system time together, so the per-CPU-second figure is the whole cluster's cost.
# Needs redis-server (apt-get install redis-server). Raw JSON lines and a table go to
# bench/results/cluster-<timestamp>/.
#
# Knobs (environment): ROUNDS (3), SUBSCRIBERS (1000), MESSAGES (2000), SKIP_BUILD=1,
# SHARDS ("1"): the Redis shard counts to run the two nodes over, alternating in each round (e.g.
# "1 2": one Redis, then two shards holding the channel on one of them),
# EXTRA_NODES (0): that many more subscribers of the channel's Redis topic (redis-cli), standing in
# for further nodes, to see what Redis's share becomes at 2 + EXTRA_NODES nodes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
MESSAGES="${MESSAGES:-2000}"
EXTRA_NODES="${EXTRA_NODES:-0}"
SHARDS="${SHARDS:-1}"
REDIS_PORT=16379
PORTS=(18091 18092)
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
SERVER_JVM=(-Xms512m -Xmx512m -XX:+UseParallelGC)

command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server"; exit 1; }
if [ "${SKIP_BUILD:-}" != 1 ]; then
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/cluster-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
raw="$out/raw.jsonl"
: > "$raw"
pids=()

stop_all() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

start_node() { # port [redis-uri]
  local port=$1
  shift
  taskset -c 0 java "${SERVER_JVM[@]}" -jar "$SERVER_JAR" --host 127.0.0.1 --port "$port" --io-threads 1 \
    --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 --ping-interval 10m \
    --ping-timeout 20m --max-queued-bytes 4MiB "$@" >>"$out/node-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node on $port did not start"; tail -20 "$out/node-$port.log"; exit 1
}

run() { # label, fanout arguments...
  local label=$1
  shift
  taskset -c 1 java -jar "$BENCH_JAR" fanout --label "$label" --subscribers "$SUBSCRIBERS" --messages "$MESSAGES" \
    --size 64 --window 8 "$@" | tee -a "$out/load.log" | grep '^{' >> "$raw"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: one node"
  start_node "${PORTS[0]}"
  run single --url "ws://127.0.0.1:${PORTS[0]}/ws"
  stop_all

  for shards in $SHARDS; do
  echo "== round $round: two nodes over $shards Redis shard(s)"
  uris=()
  redis_pids=()
  for i in $(seq 0 $(( shards - 1 ))); do
    taskset -c 0 redis-server --port $(( REDIS_PORT + i )) --bind 127.0.0.1 --save '' --appendonly no \
      >"$out/redis-$i.log" 2>&1 &
    pids+=($!)
    [ "$i" = 0 ] && redis_pid=$!
    redis_pids+=($!)
    uris+=("redis://127.0.0.1:$(( REDIS_PORT + i ))")
  done
  sleep 0.5
  start_node "${PORTS[0]}" --redis "$(IFS=,; echo "${uris[*]}")"
  start_node "${PORTS[1]}" --redis "$(IFS=,; echo "${uris[*]}")"
  for _ in $(seq 1 "$EXTRA_NODES"); do
    taskset -c 1 redis-cli -p "$REDIS_PORT" subscribe "pulse:{ch/fanout}" >/dev/null &
    pids+=($!)
  done
  label="cluster-2+$EXTRA_NODES"
  [ "$shards" != 1 ] && label="cluster-2-shards-$shards"
  redis_ticks=$(awk '{print $14 + $15}' "/proc/$redis_pid/stat")
  run "$label" --url "ws://127.0.0.1:${PORTS[0]}/ws" --node-url "ws://127.0.0.1:${PORTS[1]}/ws" --cpu-pid "$(IFS=,; echo "${redis_pids[*]}")"
  echo "round $round, $shards shard(s): first Redis's CPU during the run (joins and publishes): $(( $(awk '{print $14 + $15}' "/proc/$redis_pid/stat") - redis_ticks )) ticks of 10 ms, $MESSAGES publishes" | tee -a "$out/redis-cpu.txt"
  curl -s "http://127.0.0.1:${PORTS[0]}/metrics" | grep -E '^pulse_redis_(commands|publishes)_total' >> "$out/redis-metrics.txt" || true
  stop_all
  done
done

python3 bench/fanout-table.py "$raw" "setup" | tee "$out/table.md"
echo "== results in $out"
