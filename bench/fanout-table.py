"""The Markdown table of fan-out runs: medians per setup of the JSON lines `pulse-bench fanout` prints.
Usage: python3 bench/fanout-table.py RAW.jsonl "first column's title"  (used by cluster-fanout.sh and socketio-fanout.sh)
"""
import json
import statistics
import sys

rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["server"], []).append(r)
print(f"| {sys.argv[2]} | deliveries/s | deliveries per server CPU-second | p50 ms | p99 ms | rounds |")
print("|---|---|---|---|---|---|")
for name, rs in rows.items():
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"| {name} | {med('deliveriesPerSecond'):,.0f} | {med('deliveriesPerServerCpuSecond'):,.0f} | "
          f"{med('p50Ms'):.1f} | {med('p99Ms'):.1f} | {len(rs)} |")
