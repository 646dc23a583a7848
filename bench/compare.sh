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
# SKIP_BUILD=1, SKIP_JMH=1 (JMH is separate: see bench/RESULTS.md), SERVERS ("pulse netty"; "" to
# run the peers alone).
#
# Peers, optional: PEER_<NAME>="command {port}" adds a server of your own build (uWebSockets, say:
# PEER_UWS="/path/to/uws_echo {port}") to every round, pinned and measured like the others, as a
# column of its own. It must echo WebSocket messages on /echo and on / (where uWS's load generator
# connects) and answer GET /health; its CPU is
# read from /proc by pid. With PEER_<NAME>_FANOUT=1 it also gets the fan-out rows (it must then
# speak the /ws subset the fan-out load uses: welcome, join, joined, publish, ack, message; it then
# gets a handshake row on /ws too). Handshake rows measure after 30,000 unmeasured handshakes (the
# JVM servers compile their handshake path meanwhile). Memory rows
# are for JVM servers only.
# UWS_LOAD_TEST=/path/to/load_test (uWebSockets' benchmarks/load_test.c, built by you) adds the
# echo cells of issue 13 measured with that generator (one binary message in flight per
# connection): 100 and 1,000 connections × 16 B and 1 KiB, C_DURATION seconds each (12) after
# C_WARMUP (5), with the server's user and system CPU per message.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
WARMUP="${WARMUP:-2}"
PULSE_PORT=18081
NETTY_PORT=18082
BENCH_JAR=bench/target/pulse-bench.jar
SERVER_JAR=server/target/pulse-server.jar
# Parallel GC by default: the collector with the least work per allocation and no concurrent threads;
# SERVER_JVM_OPTS="-Xms1g -Xmx1g -XX:+UseZGC" measures the collector ./pulse and the image run. Pauses
# are logged (gc-<server>-<round>.log) and summed up at the end.
read -r -a SERVER_JVM <<< "${SERVER_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseParallelGC}"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  echo "== building (./mvnw -q -B -DskipTests install)"
  ./mvnw -q -B -DskipTests install
fi
out="bench/results/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
raw="$out/raw.jsonl"
: > "$raw"
server_pid=""
pid_args=()
PEERS_PORT=18083
C_DURATION="${C_DURATION:-12}"
C_WARMUP="${C_WARMUP:-5}"
peers=()
for var in $(compgen -v PEER_ || true); do
  case "$var" in *_FANOUT) ;; *) peers+=("$var") ;; esac
done

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
    taskset -c 0 java "${SERVER_JVM[@]}" -Xlog:gc,gc+phases:file="$out/gc-$name-$round.log" -jar "$SERVER_JAR" --host 127.0.0.1 --port $port --io-threads 1 \
      --message-rate 1000000000 --message-burst 1000000000 --max-connections 0 \
      --ping-interval 10m --ping-timeout 20m --max-queued-bytes 4MiB >"$out/server-$name.log" 2>&1 &
  else
    port=$NETTY_PORT
    taskset -c 0 java "${SERVER_JVM[@]}" -Xlog:gc,gc+phases:file="$out/gc-$name-$round.log" -jar "$BENCH_JAR" reference-server --port $port --io-threads 1 \
      >"$out/server-$name.log" 2>&1 &
  fi
  server_pid=$!
  pid_args=()
  await_health "$name" "$port"
}

start_peer() { # variable
  local var=$1 name command
  name=$(echo "${var#PEER_}" | tr 'A-Z' 'a-z')
  command=${!var}
  taskset -c 0 bash -c "exec ${command//\{port\}/$PEERS_PORT}" >"$out/server-$name.log" 2>&1 &
  server_pid=$!
  pid_args=(-Dpulse.bench.serverPid=$server_pid)
  await_health "$name" "$PEERS_PORT"
}

await_health() { # name port
  local name=$1 port=$2
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server $name did not start"; cat "$out/server-$name.log"; exit 1
}

load() { # name shape args...
  local name=$1 shape=$2
  shift 2
  taskset -c 1 java "${pid_args[@]}" -jar "$BENCH_JAR" "$shape" --label "$name" "$@" | tee -a "$out/load.log" | grep '^{' >> "$raw" || {
    echo "load $shape $* against $name failed"; tail -5 "$out/load.log"; exit 1; }
}

ticks() { # pid -> "user system" clock ticks
  awk '{print $14, $15}' "/proc/$1/stat"
}

c_echo() { # name port connections size: one echo cell with uWebSockets' C load generator
  local name=$1 port=$2 connections=$3 size=$4 log="$out/c-echo-$1-$3-$4.log" gen before after lines
  # Line-buffered: its Msg/sec line every 4 s must reach the log before the generator is stopped.
  taskset -c 1 stdbuf -oL "$UWS_LOAD_TEST" "$connections" 127.0.0.1 "$port" 0 0 "$size" >"$log" 2>&1 &
  gen=$!
  sleep "$C_WARMUP"
  lines=$(grep -c '^Msg/sec' "$log" || true)
  before=$(ticks "$server_pid")
  sleep "$C_DURATION"
  after=$(ticks "$server_pid")
  kill "$gen" 2>/dev/null || true
  wait "$gen" 2>/dev/null || true
  python3 - "$log" "$lines" "$before" "$after" "$name" "$connections" "$size" "$C_DURATION" <<'PY' >> "$raw"
import json, sys
log, skip, before, after, name, connections, size, seconds = sys.argv[1:]
rates = [float(l.split()[1]) for l in open(log) if l.startswith("Msg/sec")][int(skip):]
if not rates:
    sys.exit("no Msg/sec lines from the C load generator in " + log)
user = (int(after.split()[0]) - int(before.split()[0])) / 100
system = (int(after.split()[1]) - int(before.split()[1])) / 100
rate = sum(rates) / len(rates)
messages = rate * float(seconds)
cpu = max(user + system, 0.01)
print(json.dumps({"shape": "echo-c", "server": name, "connections": int(connections), "size": int(size),
                  "seconds": float(seconds), "messagesPerSecond": round(rate),
                  "serverCpuSeconds": round(cpu, 2), "serverCpuShare": round(cpu / float(seconds), 4),
                  "messagesPerServerCpuSecond": round(messages / cpu),
                  "userMicrosPerMessage": round(1e6 * user / messages, 3),
                  "systemMicrosPerMessage": round(1e6 * system / messages, 3)}))
PY
}

run_rows() { # name port [peer variable]
  local name=$1 port=$2 peer=${3:-}
  if [ -n "${UWS_LOAD_TEST:-}" ]; then
    for connections in 100 1000; do
      for size in 16 1024; do
        c_echo "$name" "$port" $connections $size
      done
    done
  fi
  for connections in 1 100 1000; do
    for size in 16 1024 65536; do
      load "$name" echo --url "ws://127.0.0.1:$port/echo" --connections $connections --size $size \
        --window 1 --warmup "$WARMUP" --duration "$DURATION"
    done
  done
  local fanout_var="${peer}_FANOUT"
  if [ -z "$peer" ] || [ "${!fanout_var:-}" = 1 ]; then
    # One unrecorded run first, as for handshakes: a JVM server compiles its fan-out path meanwhile.
    taskset -c 1 java "${pid_args[@]}" -jar "$BENCH_JAR" fanout --label "$name" --url "ws://127.0.0.1:$port/ws" \
      --subscribers 1000 --messages 2000 --size 64 --window 8 >/dev/null 2>&1 || true
    load "$name" fanout --url "ws://127.0.0.1:$port/ws" --subscribers 1000 --messages 2000 --size 64 --window 8
    load "$name" fanout --url "ws://127.0.0.1:$port/ws" --subscribers 10000 --messages 200 --size 64 --window 8
    load "$name" connect --url "ws://127.0.0.1:$port/ws" --count 10000 --concurrency 50 --warmup 30000
  fi
  load "$name" connect --url "ws://127.0.0.1:$port/echo" --count 10000 --concurrency 50 --warmup 30000
  if [ -z "$peer" ]; then
    load "$name" idle --url "ws://127.0.0.1:$port/echo" --connections 10000
  fi
}

for round in $(seq 1 "$ROUNDS"); do
  for name in ${SERVERS-pulse netty}; do
    echo "== round $round/$ROUNDS: $name"
    start_server "$name"
    if [ "$name" = pulse ]; then run_rows pulse $PULSE_PORT; else run_rows netty $NETTY_PORT; fi
    stop_server
  done
  for var in "${peers[@]}"; do
    name=$(echo "${var#PEER_}" | tr 'A-Z' 'a-z')
    echo "== round $round/$ROUNDS: $name"
    start_peer "$var"
    run_rows "$name" $PEERS_PORT "$var"
    stop_server
  done
done

echo "== results ($out)"
java -jar "$BENCH_JAR" report "$raw"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
echo "garbage collection pauses (${SERVER_JVM[*]}, over every row of every round):"
python3 - "$out" <<'PY'
import glob, os, re, sys
for server in sorted({os.path.basename(p).split('-')[1] for p in glob.glob(sys.argv[1] + '/gc-*-*.log')}):
    pauses = [float(m.group(1)) for p in glob.glob(f"{sys.argv[1]}/gc-{server}-*.log")
              for m in re.finditer(r'Pause .* (\d+\.\d+)ms', open(p).read())]
    if pauses:
        print(f"  {server}: {len(pauses)} pauses, longest {max(pauses):.1f} ms, "
              f"{sum(1 for x in pauses if x > 10)} over 10 ms, {sum(pauses):.0f} ms in all")
PY
