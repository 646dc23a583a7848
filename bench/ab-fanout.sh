#!/usr/bin/env bash
# Fan-out of this tree's server against another build of it (BASE_JAR), alternating in each of 3
# rounds: 1,000 subscribers x 2,000 messages and 10,000 x 200, 64 B, window 8; server on CPU 0 with
# one I/O thread, the load on CPU 1, loopback only; medians per server CPU-second:
#   git worktree add /tmp/base REV && (cd /tmp/base && ./mvnw -q -o -DskipTests package -pl server -am)
#   BASE_JAR=/tmp/base/server/target/pulse-server.jar bash bench/ab-fanout.sh      (about 5 minutes)
# Needs ./mvnw -DskipTests install first. Raw lines go to bench/results/ab-fanout-<timestamp>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BASE_JAR="${BASE_JAR:?set BASE_JAR to the server jar of the other build}"
out="bench/results/ab-fanout-$(date -u +%Y%m%d-%H%M)"; mkdir -p "$out"; : > "$out/raw.jsonl"
for round in 1 2 3; do
  for name in head base; do
    jar=server/target/pulse-server.jar; [ $name = base ] && jar="$BASE_JAR"
    taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -jar $jar --host 127.0.0.1 --port 18081 --io-threads 1 \
      --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 --ping-interval 10m --ping-timeout 20m \
      --max-queued-bytes 4MiB > /dev/null 2>&1 &
    pid=$!
    for i in $(seq 1 100); do curl -sf http://127.0.0.1:18081/health >/dev/null && break; sleep 0.1; done
    for subs in 1000 10000; do
      msgs=2000; [ $subs = 10000 ] && msgs=200
      taskset -c 1 java -jar bench/target/pulse-bench.jar fanout --label $name --url ws://127.0.0.1:18081/ws \
        --subscribers $subs --messages $msgs --size 64 --window 8 2>&1 | grep '^{' | sed "s/^{/{\"round\":$round,\"label\":\"$name\",/" >> $out/raw.jsonl
    done
    kill $pid; wait $pid 2>/dev/null || true
  done
done
python3 - $out/raw.jsonl <<'PY'
import json,statistics,sys
rows={}
for l in open(sys.argv[1]):
    r=json.loads(l); rows.setdefault((r['label'],r['subscribers']),[]).append(r)
for (label,subs),rs in sorted(rows.items()):
    print(label, subs, 'per server CPU-s median', statistics.median(r['deliveriesPerServerCpuSecond'] for r in rs), [r['deliveriesPerServerCpuSecond'] for r in rs], 'p99', statistics.median(r.get('p99Ms',0) for r in rs))
PY
