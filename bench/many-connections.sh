#!/usr/bin/env bash
# Many idle WebSocket connections to one Pulse server, opened by several client processes whose
# source addresses are spread over 127.0.0.0/8, held with the heartbeat running; meanwhile
# /health and a chat message are timed, and the server's cost per connection is reported: heap
# (after a full collection), direct memory, the RSS outside the heap, and the kernel's memory for
# the sockets (TCP buffers from /proc/net/sockstat, its objects from Slab in /proc/meminfo; on
# loopback both ends are counted, so half is the server's).
#   bash bench/many-connections.sh                       19,000 connections (a process may hold
#                                                        20,000 file descriptors on our machine)
#   CONNECTIONS=1000000 bash bench/many-connections.sh   on a machine with what that takes: the
#                                                        limits are checked first, with the fix
# Loopback only. Results go to bench/results/many-<timestamp>/ (summary.json, and the logs).
#
# Knobs (environment): CONNECTIONS (19000), PER_PROCESS (connections per client process, 9500),
# HOLD (seconds held after all are open, 60), PING_INTERVAL (the server's, 10s: several rounds of
# Pings while held), SERVER_HEAP (MiB; by default 512 + 4 KiB per connection), SERVER_CPUS (the
# server's CPU list for taskset, "0"), CLIENT_CPUS ("1"), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONNECTIONS="${CONNECTIONS:-19000}"
PER_PROCESS="${PER_PROCESS:-9500}"
HOLD="${HOLD:-60}"
PING_INTERVAL="${PING_INTERVAL:-10s}"
SERVER_HEAP="${SERVER_HEAP:-$(( 512 + CONNECTIONS * 4 / 1024 ))}"
SERVER_CPUS="${SERVER_CPUS:-0}"
CLIENT_CPUS="${CLIENT_CPUS:-1}"
PORT=18400
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
# What one connection was measured to need, both ends on this machine (bench/RESULTS.md): the
# server's heap, RSS and kernel share, and a client process's. Used only for the memory check.
SERVER_BYTES_PER_CONNECTION=12000
CLIENT_BYTES_PER_CONNECTION=12000

fail() {
  echo "many-connections: $*" >&2
  exit 1
}

# ---- the limits, checked before anything starts ----
processes=$(( (CONNECTIONS + PER_PROCESS - 1) / PER_PROCESS ))
fds_server=$(( CONNECTIONS + 200 ))
fds_client=$(( PER_PROCESS + 200 ))
soft=$(ulimit -n)
hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$fds_server" ]; then
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$fds_server" ]; then
    ulimit -n "$fds_server"
  else
    fail "the server needs $fds_server file descriptors (CONNECTIONS=$CONNECTIONS + 200) and this shell may" \
      "open at most $hard (hard limit). Raise it (limits.conf 'nofile', or LimitNOFILE= for a service)," \
      "or run with CONNECTIONS=$(( hard - 200 ))."
  fi
fi
nr_open=$(cat /proc/sys/fs/nr_open)
[ "$fds_server" -le "$nr_open" ] || fail "fs.nr_open is $nr_open, below the $fds_server descriptors the server needs: sysctl -w fs.nr_open=$(( fds_server + 1000 ))"
file_max=$(cat /proc/sys/fs/file-max)
[ $(( CONNECTIONS * 2 + 10000 )) -le "$file_max" ] || fail "fs.file-max is $file_max; both ends need $(( CONNECTIONS * 2 )): sysctl -w fs.file-max=$(( CONNECTIONS * 2 + 100000 ))"
read -r low high < /proc/sys/net/ipv4/ip_local_port_range
ports=$(( high - low + 1 ))
[ "$PER_PROCESS" -le "$ports" ] || fail "each client process connects from one address, which has $ports ephemeral ports" \
  "(net.ipv4.ip_local_port_range $low $high): PER_PROCESS=$PER_PROCESS is more; lower it or widen the range"
[ "$fds_client" -le "$(ulimit -n)" ] || fail "a client process needs $fds_client descriptors (PER_PROCESS + 200): lower PER_PROCESS"
available=$(awk '/MemAvailable/ {print $2 * 1024}' /proc/meminfo)
needed=$(( CONNECTIONS * (SERVER_BYTES_PER_CONNECTION + CLIENT_BYTES_PER_CONNECTION) + SERVER_HEAP * 1024 * 1024 ))
[ "$needed" -le $(( available * 9 / 10 )) ] || fail "about $(( needed >> 20 )) MiB are needed (both ends on this machine)" \
  "and $(( available >> 20 )) MiB are available"
tcp_mem_max=$(awk '{print $3}' /proc/sys/net/ipv4/tcp_mem)
echo "limits: $fds_server descriptors for the server, $processes client processes of at most $PER_PROCESS" \
  "connections each, $ports ephemeral ports per source address, about $(( needed >> 20 )) MiB of" \
  "$(( available >> 20 )) MiB available, tcp_mem pressure ceiling $tcp_mem_max pages"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/many-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
server_pid=
client_pids=()
cleanup() {
  for pid in "${client_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

health() { curl -sf "http://127.0.0.1:$PORT/health"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
heap_after_gc() {
  jcmd "$server_pid" GC.run >/dev/null
  health | field heapUsedBytes
}
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$server_pid/status"; }
tcp_mem() { awk '/^TCP:/ {print $NF * 4096}' /proc/net/sockstat; }
# The kernel's own objects for a socket (sock, file, inode, epoll item...) are slab memory, not tcp_mem.
slab() { awk '/^Slab:/ {print $2 * 1024}' /proc/meminfo; }

# The heap is touched whole at start, so that RSS grows only by what is not heap.
taskset -c "$SERVER_CPUS" java "-Xms${SERVER_HEAP}m" "-Xmx${SERVER_HEAP}m" -XX:+UseParallelGC -XX:+AlwaysPreTouch -jar "$SERVER_JAR" \
  --host 127.0.0.1 --port "$PORT" --max-connections 0 --max-connections-per-ip 0 \
  --max-http-connections "$(( CONNECTIONS + 1000 ))" --ping-interval "$PING_INTERVAL" \
  --ping-timeout "$(( ${PING_INTERVAL%s} * 3 ))s" --handshake-timeout 60s >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do health >/dev/null 2>&1 && break; sleep 0.1; done
health >/dev/null || fail "the server did not start: $(tail -5 "$out/server.log")"

heap0=$(heap_after_gc); rss0=$(rss); tcp0=$(tcp_mem); slab0=$(slab)
direct0=$(health | field directMemoryBytes)
started=$(date +%s)
for i in $(seq 0 $(( processes - 1 ))); do
  n=$(( i == processes - 1 ? CONNECTIONS - i * PER_PROCESS : PER_PROCESS ))
  a=$(( i + 2 ))
  source="127.$(( (a >> 16) & 255 )).$(( (a >> 8) & 255 )).$(( a & 255 ))"
  taskset -c "$CLIENT_CPUS" java -Xmx$(( 256 + n / 100 ))m -jar "$BENCH_JAR" idle --url "ws://127.0.0.1:$PORT/echo" \
    --connections "$n" --source "$source" --no-measure --hold $(( HOLD + 120 )) >"$out/client-$i.log" 2>&1 &
  client_pids+=($!)
done
for i in $(seq 0 $(( processes - 1 ))); do
  until grep -q '^holding' "$out/client-$i.log"; do
    kill -0 "${client_pids[$i]}" 2>/dev/null || fail "client $i stopped: $(tail -3 "$out/client-$i.log")"
    [ $(( $(date +%s) - started )) -lt 600 ] || fail "not every connection was open after 600 s"
    sleep 1
  done
done
open_seconds=$(( $(date +%s) - started ))
open_now=$(health | field connections)
echo "$open_now connections open after $open_seconds s; holding them $HOLD s with Pings every $PING_INTERVAL"

# While they are held: /health, and a chat message from publish to delivery.
health_ms=()
for _ in 1 2 3 4 5; do
  health_ms+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/health" | awk '{printf "%.1f", $1 * 1000}')")
  sleep 1
done
taskset -c "$CLIENT_CPUS" java -jar "$BENCH_JAR" fanout --url "ws://127.0.0.1:$PORT/ws" --subscribers 2 --messages 20 \
  --rate 10 --window 1 >"$out/chat.log" 2>&1 || fail "the chat probe failed: $(tail -3 "$out/chat.log")"
chat=$(grep '^{' "$out/chat.log")
sleep "$HOLD"

heap1=$(heap_after_gc); rss1=$(rss); tcp1=$(tcp_mem); slab1=$(slab)
direct1=$(health | field directMemoryBytes)
still_open=$(health | field connections)
python3 - "$out/summary.json" <<PY
import json, sys
n = $CONNECTIONS
summary = {
    "connections": n, "clientProcesses": $processes, "openSeconds": $open_seconds, "heldSeconds": $HOLD,
    "pingInterval": "$PING_INTERVAL", "openAfterHold": $still_open,
    "heapBytesPerConnection": round(($heap1 - $heap0) / n), "directBytesPerConnection": round(($direct1 - $direct0) / n),
    # the heap is pre-touched: this is what grew outside it (native buffers, Netty's and the JVM's)
    "nonHeapRssBytesPerConnection": round(($rss1 - $rss0) / n),
    # loopback: the kernel's memory covers both ends of every connection (and the client processes' epoll)
    "kernelTcpBufferBytesPerConnectionBothEnds": round(($tcp1 - $tcp0) / n),
    "kernelSlabBytesPerConnectionBothEnds": round(($slab1 - $slab0) / n),
    "healthMs": [float(x) for x in "${health_ms[*]}".split()],
    "chat": json.loads('''$chat'''),
}
per = (summary["heapBytesPerConnection"] + summary["nonHeapRssBytesPerConnection"]
       + (summary["kernelTcpBufferBytesPerConnectionBothEnds"] + summary["kernelSlabBytesPerConnectionBothEnds"]) / 2)
summary["serverBytesPerConnection"] = round(per)
summary["for1MConnectionsGiB"] = round(per * 1_000_000 / 2**30, 1)
json.dump(summary, open(sys.argv[1], "w"), indent=2)
print(json.dumps(summary, indent=2))
PY
for i in $(seq 0 $(( processes - 1 ))); do
  kill "${client_pids[$i]}" 2>/dev/null || true
done
[ "$still_open" -ge "$CONNECTIONS" ] || fail "only $still_open of $CONNECTIONS connections were open after the hold"
echo "== results in $out"
