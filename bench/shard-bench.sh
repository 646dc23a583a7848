#!/usr/bin/env bash
# Publishes through 1, 2 and 4 Redis shards: two Pulse nodes, 64 clients spread over them, each a
# member of 8 channels of its own (512 channels, spread over the shards by their names' hash),
# publishing round-robin with 4 acknowledgements awaited at most. Alternates the shard counts in
# each round; reports the publishes per second, each Redis's CPU per publish and its share of the
# publishes, and what that predicts for shards on machines of their own:
#   bash bench/shard-bench.sh            (about 6 minutes on 2 cores)
# Nodes and Redis servers on CPU 0 (one I/O thread per node), the load on CPU 1, loopback only.
# Needs redis-server. Raw JSON lines and a table go to bench/results/shards-<timestamp>/.
#
# Knobs (environment): ROUNDS (3), SHARDS ("1 2 4"), CLIENTS (64), CHANNELS (8 per client),
# MESSAGES (1500 per client), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
SHARDS="${SHARDS:-1 2 4}"
CLIENTS="${CLIENTS:-64}"
CHANNELS="${CHANNELS:-8}"
MESSAGES="${MESSAGES:-1500}"
REDIS_PORTS=(16381 16382 16383 16384)
PORTS=(18191 18192)
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
SERVER_JVM=(-Xms512m -Xmx512m -XX:+UseParallelGC)

command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server"; exit 1; }
if [ "${SKIP_BUILD:-}" != 1 ]; then
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/shards-$(date -u +%Y%m%d-%H%M%S)"
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

start_node() { # port redis-uris
  taskset -c 0 java "${SERVER_JVM[@]}" -jar "$SERVER_JAR" --host 127.0.0.1 --port "$1" --io-threads 1 \
    --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 --max-joins-per-connection 64 \
    --redis "$2" >>"$out/node-$1.log" 2>&1 &
  pids+=($!)
  node_pids+=("node$(( ${#node_pids[@]} + 1 ))=$!")
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node on $1 did not start"; tail -20 "$out/node-$1.log"; exit 1
}

for round in $(seq 1 "$ROUNDS"); do
  for shards in $SHARDS; do
    echo "== round $round: $shards shard(s)"
    uris=()
    redis_pids=()
    node_pids=()
    for i in $(seq 0 $(( shards - 1 ))); do
      taskset -c 0 redis-server --port "${REDIS_PORTS[$i]}" --bind 127.0.0.1 --save '' --appendonly no \
        >"$out/redis-${REDIS_PORTS[$i]}.log" 2>&1 &
      pids+=($!)
      redis_pids+=("redis$(( i + 1 ))=$!")
      uris+=("redis://127.0.0.1:${REDIS_PORTS[$i]}")
    done
    sleep 0.5
    joined=$(IFS=,; echo "${uris[*]}")
    start_node "${PORTS[0]}" "$joined"
    start_node "${PORTS[1]}" "$joined"
    all=$(IFS=,; echo "${node_pids[*]},${redis_pids[*]}")
    taskset -c 1 java -jar "$BENCH_JAR" publishes --label "shards-$shards" \
      --url "ws://127.0.0.1:${PORTS[0]}/ws,ws://127.0.0.1:${PORTS[1]}/ws" --clients "$CLIENTS" \
      --channels "$CHANNELS" --messages "$MESSAGES" --pid "$all" | tee -a "$out/load.log" | grep '^{' >> "$raw"
    for port in "${REDIS_PORTS[@]:0:$shards}"; do
      echo "round $round, $shards shard(s), redis $port: $(redis-cli -p "$port" --raw eval "return #redis.call('keys', 'pulse:{ch/*}')" 0) channel keys" >> "$out/keys.txt"
    done
    stop_all
  done
done

python3 - "$raw" <<'PY' | tee "$out/table.md"
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(int(r["label"].split("-")[1]), []).append(r)
print("| shards | publishes/s (median) | per node+Redis CPU-s | Redis CPU per publish, each shard (us) | busiest shard's share | predicted publishes/s, one core per shard |")
print("|---|---|---|---|---|---|")
for shards in sorted(rows):
    runs = rows[shards]
    rate = statistics.median(r["perSecond"] for r in runs)
    total_cpu = statistics.median(sum(v["seconds"] for v in r["cpu"].values()) / r["publishes"] for r in runs)
    per_shard = []
    shares = []
    for r in runs:
        redis = {k: v for k, v in r["cpu"].items() if k.startswith("redis")}
        total = sum(v["seconds"] for v in redis.values())
        per_shard.append([v["microsPerPublish"] for v in redis.values()])
        shares.append(max(v["seconds"] for v in redis.values()) / total if total else 0)
    each = [statistics.median(col) for col in zip(*per_shard)]
    whole = sum(each)
    share = statistics.median(shares)
    # Each Redis runs one thread: the busiest one caps the cluster at 1 / (its CPU per publish of the whole).
    predicted = 1e6 / (whole * share) if whole else 0
    print(f"| {shards} | {rate:,.0f} | {1 / total_cpu:,.0f} | {' / '.join(f'{x:.1f}' for x in each)} (sum {whole:.1f}) | {share:.0%} | {predicted:,.0f} |")
PY
echo "== results in $out"
