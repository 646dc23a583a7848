#!/usr/bin/env bash
# What authorization costs (issue 21), on loopback, the server pinned to CPU 0 with one I/O thread
# and the load on CPU 1, each shape alternated between configurations in one run:
#   joins: 50 clients x 200 joins each, one at a time per client (join, joined, leave, next):
#          open (no authentication) / a token whose channels claim grants the channels /
#          a join proxy to a backend on loopback that answers at once
#   fan-out: 1,000 subscribers, 2,000 publishes of 64 B, window 8: open / a secret, a namespace
#          whose channels need a grant, and tokens that carry it (checks happen at join, so the
#          deliveries per server CPU-second must not move)
#   webhooks: the joins above with --webhook-url to a backend that takes 50 ms per batch: events
#          sent, dropped at the queue bound (--webhook-queue-size 10000), and the heap after
#   bash bench/auth-bench.sh          (about 6 minutes; ROUNDS=3 by default)
# Results: bench/results/auth-<timestamp>/raw.jsonl (one JSON line per run) and summary.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
PORT=18500
BACKEND_PORT=18501
SECRET="bench-secret-of-at-least-32-bytes!!"
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
OUT="bench/results/auth-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  ./mvnw -q -o -DskipTests package -pl server,bench -am
fi

# An HS256 token for sub, with a channels claim (JSON), valid for an hour.
token() {
  python3 - "$SECRET" "$1" "$2" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
secret, sub, channels = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": sub, "exp": int(time.time()) + 3600, "channels": channels}).encode())
sig = b64(hmac.new(secret.encode(), (head + "." + body).encode(), hashlib.sha256).digest())
print(head + "." + body + "." + sig)
PY
}

SERVER_PID=
start_server() {
  taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$SERVER_JAR" --host 127.0.0.1 --port "$PORT" \
    --io-threads 1 --message-rate 100000 --message-burst 100000 --max-joins-per-connection 1000 "$@" \
    > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the server did not start: $(tail -5 "$OUT/server.log")" >&2
  exit 1
}

stop_server() {
  kill "$SERVER_PID" 2> /dev/null || true
  wait "$SERVER_PID" 2> /dev/null || true
}
trap stop_server EXIT

load() {
  taskset -c 1 java -jar "$BENCH_JAR" "$@" | tee -a "$OUT/load.log" | grep '^{' >> "$OUT/raw.jsonl"
}

GRANT=$(token bench '{"bench-*": ["join", "publish", "presence", "history"], "fan": ["join", "publish"]}')
NAMESPACES="$OUT/pulse.yaml"
cat > "$NAMESPACES" <<YAML
namespaces:
  - match: "fan"
    join: grant
    publish: grant
YAML

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS"
  start_server
  load joins --warmup 200 --label open --url "ws://127.0.0.1:$PORT/ws"
  load fanout --label fanout-open --url "ws://127.0.0.1:$PORT/ws" --channel fan --subscribers 1000 --messages 2000 --size 64 --window 8
  stop_server

  start_server --jwt-secret "$SECRET" --config "$NAMESPACES"
  load joins --warmup 200 --label token-grant --url "ws://127.0.0.1:$PORT/ws?token=$GRANT"
  load fanout --label fanout-authorized --url "ws://127.0.0.1:$PORT/ws?token=$GRANT" --channel fan --subscribers 1000 --messages 2000 --size 64 --window 8
  stop_server

  start_server --proxy-join-url "http://127.0.0.1:$BACKEND_PORT/join"
  load joins --warmup 200 --label join-proxy --url "ws://127.0.0.1:$PORT/ws" --backend-port "$BACKEND_PORT"
  stop_server
done

echo "== webhooks: a backend that takes 50 ms per batch"
start_server --webhook-url "http://127.0.0.1:$BACKEND_PORT/hooks" --webhook-queue-size 10000
load joins --warmup 200 --label webhooks-slow-backend --url "ws://127.0.0.1:$PORT/ws" --backend-port "$BACKEND_PORT" --backend-delay-ms 50
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^pulse_webhook' | tee "$OUT/webhook-metrics.txt"
jcmd "$SERVER_PID" GC.run > /dev/null 2>&1 || true
jcmd "$SERVER_PID" GC.heap_info 2>/dev/null | head -3 | tee -a "$OUT/webhook-metrics.txt"
stop_server

python3 - "$OUT/raw.jsonl" <<'PY' | tee "$OUT/summary.txt"
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows.setdefault(d["server"], []).append(d)
for label, runs in rows.items():
    if runs[0].get("shape") == "joins":
        print("%-22s joins/s %7.0f  per server CPU-s %7.0f  p50 %6.0f us  p99 %6.0f us  (median of %d)" % (label,
              statistics.median(r["joinsPerSecond"] for r in runs), statistics.median(r["joinsPerServerCpuSecond"] for r in runs),
              statistics.median(r["p50Micros"] for r in runs), statistics.median(r["p99Micros"] for r in runs), len(runs)))
    else:
        key = [k for k in runs[0] if "PerServerCpuSecond" in k][0]
        print("%-22s %s %9.0f  (median of %d: %s)" % (label, key, statistics.median(r[key] for r in runs), len(runs),
              ", ".join("%.0f" % r[key] for r in runs)))
PY
echo "results: $OUT"
