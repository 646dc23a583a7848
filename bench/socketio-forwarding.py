#!/usr/bin/env python3
"""The cost of a socket.io polling request that lands on the wrong node of a cluster.

    python3 bench/socketio-forwarding.py        (about a minute; builds nothing: run ./pulse once first)

Starts its own redis-server and two Pulse nodes (server/target/pulse-server.jar) on loopback,
opens a long-polling session on node A, then sends POSTs of one noop packet ("6") on one
keep-alive connection, alternating rounds: straight to A (the owner), or to B, which forwards each
to A and relays the answer. Prints each round's median and p99 round trip, and the CPU time each
node spent per request (utime + stime from /proc, 10 ms ticks). A fresh session each round.

Knobs (environment): ROUNDS (3), REQUESTS (3000 per round).
"""
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "server", "target", "pulse-server.jar")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
REQUESTS = int(os.environ.get("REQUESTS", "3000"))
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_ready(port, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"node on {port} not ready")


def open_session(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/socket.io/?EIO=4&transport=polling")
    body = c.getresponse().read().decode()
    return re.search(r'"sid":"([^"]+)"', body).group(1)


def round_trip_micros(port, sid, count):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=40)
    path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    times = []
    for _ in range(count):
        start = time.perf_counter_ns()
        c.request("POST", path, body="6", headers=headers)
        answer = c.getresponse()
        body = answer.read()
        times.append((time.perf_counter_ns() - start) / 1000)
        if answer.status != 200 or body != b"ok":
            sys.exit(f"POST answered {answer.status} {body!r}")
    c.close()
    return times


def main():
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: run ./pulse --help once to build it")
    processes = []
    logs = tempfile.mkdtemp(prefix="pulse-forwarding-")
    try:
        redis_port = free_port()
        processes.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                           "--appendonly", "no"], stdout=subprocess.DEVNULL))
        ports = [free_port(), free_port()]
        nodes = []
        for i, port in enumerate(ports):
            log = open(os.path.join(logs, f"node-{i}.log"), "w")
            node = subprocess.Popen(["java", "-Xms256m", "-Xmx256m", "-jar", JAR, "--host", "127.0.0.1", "--port", str(port),
                                     "--redis", f"redis://127.0.0.1:{redis_port}", "--node-address", f"127.0.0.1:{port}",
                                     "--message-rate", "100000", "--message-burst", "100000"],
                                    stdout=log, stderr=subprocess.STDOUT)
            processes.append(node)
            nodes.append(node)
        for port in ports:
            wait_ready(port)
        owner, other = ports
        rows = []
        for r in range(ROUNDS + 1):
            for kind, port in (("direct", owner), ("forwarded", other)):
                sid = open_session(owner)
                before = [cpu_seconds(n.pid) for n in nodes]
                times = round_trip_micros(port, sid, REQUESTS)
                after = [cpu_seconds(n.pid) for n in nodes]
                if r == 0:
                    continue  # warm-up
                times.sort()
                rows.append({"round": r, "kind": kind, "median_us": round(statistics.median(times)),
                             "p99_us": round(times[int(len(times) * 0.99)]),
                             "owner_cpu_us": round((after[0] - before[0]) * 1e6 / REQUESTS),
                             "forwarder_cpu_us": round((after[1] - before[1]) * 1e6 / REQUESTS)})
                print(json.dumps(rows[-1]), flush=True)
        print()
        print("| round | request | median round trip | p99 | owner's CPU per request | other node's CPU per request |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print(f"| {row['round']} | {row['kind']} | {row['median_us']} µs | {row['p99_us']} µs | "
                  f"{row['owner_cpu_us']} µs | {row['forwarder_cpu_us']} µs |")
    finally:
        for p in reversed(processes):
            p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
