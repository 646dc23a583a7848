#!/usr/bin/env python3
"""The floods of issue 20, one after the other, against one Pulse server on loopback.

    python3 bench/floods.py                       # the jar of this checkout, server/target/pulse-server.jar
    python3 bench/floods.py --jar /tmp/old/server/target/pulse-server.jar --label base

Starts `java -Xmx128m -jar JAR --host 127.0.0.1 --port P --tcp-port Q` (P 18931, Q 18932 unless
told), then runs each flood, bounded in count and in time:

  1. polling-pings   a socket.io polling session POSTs bodies of seven Engine.IO pings of
                     `2` + 8 KB and never GETs (up to 2,000 POSTs or 30 s);
  2. probe-flood     the upgrade WebSocket of a polling session sends `2probe` nonstop and reads
                     `3probe` (up to 600,000 probes or 30 s);
  3. pipelined-opens pipelined `GET /socket.io/?EIO=4&transport=polling` on one keep-alive
                     connection (up to 100,000 or 30 s), then a fresh /ws upgrade must get 101;
  4. relay-burst     a socket.io client in no channel sends 150 events of 60 KB while 10 polling
                     clients in another channel poll; how many of the 10 are disconnected;
  5. line-not-utf8   the line door: 1,000 lines of b"\\xff\\n" in one write; closed or not, after
                     how many answers.

Three snapshots per flood: before it, at its end while the flooding connections are still open
("endOfFlood"), and a second after they closed ("after"). Each is a full GC (`jcmd PID GC.run`)
and the heap used after it (`jcmd PID GC.heap_info`), Netty's direct memory in use and the answer
of `GET /health` on a fresh connection (status, milliseconds) from /health, and the server's RSS
(/proc). During each flood /health is also asked once a second. One JSON line per flood goes to
stdout (and to --out, appended). One server serves all floods, so one flood's leftovers meet the
next; --restart-each gives each flood a fresh server. A server that no longer answers /health
after a flood is replaced for the next one ("restartedBefore": true). Every server started is
stopped at the end. Python 3 standard library only; all traffic to 127.0.0.1.
"""
import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- HTTP over a raw socket

def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """Buffered reads of HTTP responses and WebSocket frames from one socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("connection closed by the server")
        self.buf += chunk

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def until(self, marker, limit=1 << 20):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out = bytes(self.buf[:i + len(marker)])
                del self.buf[:i + len(marker)]
                return out
            if len(self.buf) > limit:
                raise ValueError("no %r within %d bytes" % (marker, limit))
            self._fill()

    def response(self):
        """(status, headers, body) of the next HTTP response."""
        head = self.until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = self.exact(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.until(b"\r\n").strip().split(b";")[0], 16)
                body += self.exact(size)
                self.exact(2)
                if size == 0:
                    break
        else:
            body = b""
        return status, headers, body

    def frame(self):
        """(opcode, payload) of the next WebSocket frame (the server's are unmasked)."""
        b0, b1 = self.exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(self.exact(2), "big")
        elif n == 127:
            n = int.from_bytes(self.exact(8), "big")
        mask = self.exact(4) if b1 & 0x80 else None
        payload = self.exact(n)
        if mask:
            payload = xor(payload, mask)
        return b0 & 0x0F, payload


def request(method, path, body=b"", extra=""):
    head = "%s %s HTTP/1.1\r\nHost: %s\r\n%s" % (method, path, HOST, extra)
    if body or method == "POST":
        head += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


def health(port, timeout=5.0):
    """(status or None, milliseconds, parsed JSON or None) of GET /health on a fresh connection."""
    start = time.perf_counter()
    try:
        s = connect(port, timeout)
        try:
            s.sendall(request("GET", "/health", extra="Connection: close\r\n"))
            status, _, body = Reader(s).response()
        finally:
            s.close()
        ms = (time.perf_counter() - start) * 1000
        try:
            report = json.loads(body)
        except ValueError:
            report = None
        return status, round(ms, 1), report
    except (OSError, EOFError, ValueError) as e:
        return None, round((time.perf_counter() - start) * 1000, 1), {"error": repr(e)}


class HealthSampler:
    """Asks /health once a second while a flood runs."""

    def __init__(self, port):
        self.port = port
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            status, ms, _ = health(self.port, timeout=5.0)
            self.samples.append((status, ms))
            self.stop.wait(1.0)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)

    def summary(self):
        ok = [ms for status, ms in self.samples if status == 200]
        return {"asked": len(self.samples), "answered200": len(ok),
                "maxMs": max(ok) if ok else None,
                "failed": len(self.samples) - len(ok)}


# ---------------------------------------------------------------- WebSocket, client side

def xor(data, mask):
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def ws_frame(payload, opcode=0x1, mask=b"\x11\x22\x33\x44"):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + xor(payload, mask)


def ws_open(port, path, timeout=5.0):
    """(socket, Reader, status): the socket upgraded when status is 101."""
    s = connect(port, timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(request("GET", path, extra="Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % key))
    r = Reader(s)
    status, _, _ = r.response()
    return s, r, status


def close_code(payload):
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None


# ---------------------------------------------------------------- Engine.IO over polling

EIO = "/socket.io/?EIO=4&transport=polling"


class Polling:
    """One polling session: GETs on the connection that opened it, POSTs on a second one (reopened
    when the server has closed it for idling), so that a POST never waits behind a long poll."""

    def __init__(self, port):
        self.port = port
        self.sock = connect(port, 10.0)
        self.reader = Reader(self.sock)
        self.sock.sendall(request("GET", EIO))
        status, _, body = self.reader.response()
        if status != 200 or not body.startswith(b"0"):
            raise RuntimeError("open: %d %r" % (status, body[:200]))
        self.sid = json.loads(body[1:])["sid"]
        self.path = EIO + "&sid=" + self.sid
        self.post_sock = None
        self.post_reader = None
        self.post_lock = threading.Lock()

    def post(self, text):
        data = request("POST", self.path, text.encode() if isinstance(text, str) else text)
        with self.post_lock:
            for attempt in (1, 2):
                if self.post_sock is None:
                    self.post_sock = connect(self.port, 10.0)
                    self.post_reader = Reader(self.post_sock)
                try:
                    self.post_sock.sendall(data)
                    status, _, body = self.post_reader.response()
                    return status, body
                except (OSError, EOFError):
                    self.post_sock.close()
                    self.post_sock = None
                    if attempt == 2:
                        raise

    def get(self):
        self.sock.sendall(request("GET", self.path))
        status, _, body = self.reader.response()
        return status, body

    def close(self):
        try:
            self.post("1")
        except (OSError, EOFError, ValueError):
            pass
        for s in (self.post_sock, self.sock):
            if s:
                s.close()


# ---------------------------------------------------------------- the server

class Server:
    def __init__(self, jar, port, tcp_port, log):
        self.jar, self.port, self.tcp_port, self.log = jar, port, tcp_port, log
        self.proc = None

    def start(self):
        for p in (self.port, self.tcp_port):
            with socket.socket() as probe:
                if probe.connect_ex((HOST, p)) == 0:
                    sys.exit("port %d is in use: pass --port/--tcp-port" % p)
        out = open(self.log, "ab")
        self.command = ["java", "-Xmx128m", "-jar", self.jar, "--host", HOST,
                        "--port", str(self.port), "--tcp-port", str(self.tcp_port)]
        self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit("the server exited at start; see " + self.log)
            if health(self.port, 1.0)[0] == 200:
                return
            time.sleep(0.1)
        self.stop()
        sys.exit("the server did not answer /health within 30 s; see " + self.log)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def jcmd(self, *args):
        try:
            return subprocess.run(["jcmd", str(self.proc.pid)] + list(args), capture_output=True,
                                  text=True, timeout=30).stdout
        except subprocess.TimeoutExpired:
            return ""

    def rss(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
            return int(m.group(1)) * 1024 if m else None
        except OSError:
            return None

    def snapshot(self):
        """Heap used after a full GC, direct memory and RSS of the server, and /health's answer."""
        if self.proc is None or self.proc.poll() is not None:
            return {"alive": False}
        heap = self.heap_after_gc()
        status, ms, report = health(self.port)
        report = report or {}
        return {"heapAfterGc": heap, "directBytes": report.get("directMemoryBytes"), "rssBytes": self.rss(),
                "health": status, "healthMs": ms, "connections": report.get("connections"),
                "byKind": report.get("connectionsByKind")}

    def heap_after_gc(self):
        """Heap used after a full GC, in bytes (None when jcmd got no answer)."""
        self.jcmd("GC.run")
        info = self.jcmd("GC.heap_info")
        m = re.search(r"garbage-first heap\s+total \d+K, used (\d+)K", info)
        if m:
            return int(m.group(1)) * 1024
        used = [int(x) for x in re.findall(
            r"^\s*(?:PSYoungGen|ParOldGen|def new generation|tenured generation|ZHeap|Shenandoah)\b.*?used (\d+)K",
            info, re.M)]
        return sum(used) * 1024 if used else None


# ---------------------------------------------------------------- the floods

def flood_polling_pings(port, tcp_port, measure, max_posts=2000, seconds=30.0):
    """Seven pings of 2 + 8 KB per POST, never a GET: the pongs queue for a poll that never comes."""
    session = Polling(port)
    body = "\x1e".join(["2" + "p" * 8192] * 7)
    answers = {}
    first_refusal = None
    ok = sent = 0
    deadline = time.time() + seconds
    try:
        while sent < max_posts and time.time() < deadline:
            try:
                status, text = session.post(body)
            except (OSError, EOFError) as e:
                first_refusal = first_refusal or {"afterPosts": sent, "answer": "connection closed: " + repr(e)}
                break
            sent += 1
            key = "%d %s" % (status, text[:60].decode("utf-8", "replace"))
            answers[key] = answers.get(key, 0) + 1
            if status == 200:
                ok += 1
            elif first_refusal is None:
                first_refusal = {"afterPosts": sent - 1, "answer": key}
            if first_refusal and sent - first_refusal["afterPosts"] >= 5:
                break   # the session is gone; more refusals say nothing new
        peak = measure()
    finally:
        session.close()
    return {"sent": "%d POSTs of 7 pings x 8 KB (%d bytes each)" % (sent, len(body)),
            "posts": sent, "accepted": ok, "firstRefusal": first_refusal, "answers": answers,
            "endOfFlood": peak}


def flood_probes(port, tcp_port, measure, max_probes=600_000, seconds=30.0):
    """The upgrade WebSocket of a polling session sends 2probe without pause and reads 3probe."""
    session = Polling(port)
    s, r, status = ws_open(port, "/socket.io/?EIO=4&transport=websocket&sid=" + session.sid)
    if status != 101:
        session.close()
        return {"sent": "0 probes", "answer": "upgrade refused with %d" % status}
    s.settimeout(5.0)
    frame = ws_frame(b"2probe")
    batch = 1000
    state = {"sent": 0, "probes": 0, "other": {}, "close": None, "eof": False}
    done = threading.Event()
    deadline = time.time() + seconds

    def read():
        try:
            while not done.is_set() or time.time() < deadline + 3:
                try:
                    op, payload = r.frame()
                except socket.timeout:
                    if done.is_set():
                        return
                    continue
                if op == 0x8:
                    state["close"] = close_code(payload)
                    return
                if payload == b"3probe":
                    state["probes"] += 1
                else:
                    k = payload[:40].decode("utf-8", "replace")
                    state["other"][k] = state["other"].get(k, 0) + 1
        except (OSError, EOFError):
            state["eof"] = True

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while state["sent"] < max_probes and time.time() < deadline and reader.is_alive():
            n = min(batch, max_probes - state["sent"])
            try:
                s.sendall(frame * n)
            except (OSError, socket.timeout):
                break
            state["sent"] += n
    finally:
        done.set()
        reader.join(10)
        peak = measure()
        s.close()
        session.close()
    if state["close"] is not None:
        how = "closed with %s after %d 3probe answers" % (state["close"], state["probes"])
    elif state["eof"]:
        how = "connection dropped after %d 3probe answers" % state["probes"]
    else:
        how = "still open; %d 3probe answers" % state["probes"]
    return {"sent": "%d probes" % state["sent"], "answered": state["probes"], "closeCode": state["close"],
            "answer": how, "otherFrames": state["other"], "endOfFlood": peak}


def flood_pipelined_opens(port, tcp_port, measure, max_requests=100_000, seconds=30.0):
    """Pipelined session opens on one keep-alive connection, then a fresh /ws upgrade."""
    s = connect(port, 5.0)
    r = Reader(s)
    one = request("GET", EIO)
    batch = 500
    state = {"sent": 0, "statuses": {}, "eof": False, "answered": 0}
    deadline = time.time() + seconds
    writer_done = threading.Event()

    def write():
        try:
            while state["sent"] < max_requests and time.time() < deadline:
                n = min(batch, max_requests - state["sent"])
                s.sendall(one * n)
                state["sent"] += n
        except (OSError, socket.timeout):
            pass
        finally:
            writer_done.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        while state["answered"] < max_requests and time.time() < deadline + 5:
            try:
                status, _, _ = r.response()
            except socket.timeout:
                if writer_done.is_set():
                    break
                continue
            except (OSError, EOFError, ValueError):
                state["eof"] = True
                break
            state["answered"] += 1
            state["statuses"][status] = state["statuses"].get(status, 0) + 1
        peak = measure()
    finally:
        s.close()
        writer.join(10)
    try:
        ws, _, ws_status = ws_open(port, "/ws")
        ws.close()
    except (OSError, EOFError, ValueError) as e:
        ws_status = "no answer: " + repr(e)
    st = state["statuses"]
    return {"sent": "%d pipelined opens" % state["sent"], "answered": state["answered"], "statuses": st,
            "answer": "%d opened (200), %d refused with 429, others %s, connection %s" % (
                st.get(200, 0), st.get(429, 0), {k: v for k, v in st.items() if k not in (200, 429)},
                "closed by the server" if state["eof"] else "open until we closed it"),
            "wsUpgradeAfter": ws_status, "endOfFlood": peak}


def flood_relay_burst(port, tcp_port, measure, events=150, size=60_000, pollers=10, seconds=30.0):
    """A socket.io socket in no channel emits big events while pollers in another channel poll."""
    stop = threading.Event()
    results = [None] * pollers
    sessions = []

    def connect_socketio(session):
        status, _ = session.post("40")
        st, body = session.get()            # 40{"sid":...} and, behind it, the welcome event
        status, _ = session.post('420["join","other"]')
        got = body
        deadline = time.time() + 5
        while b'"joined"' not in got and time.time() < deadline:
            st, body = session.get()
            got += body
        return b'"joined"' in got

    def poll(i, session):
        received = 0
        try:
            while not stop.is_set():
                status, body = session.get()
                if status != 200:
                    results[i] = "GET answered %d %s" % (status, body[:60].decode("utf-8", "replace"))
                    return
                packets = body.split(b"\x1e")
                if b"1" in packets:
                    results[i] = "close packet (1)"
                    return
                received += sum(1 for p in packets if p.startswith(b"42"))
                if b"2" in packets:
                    session.post("3")
            results[i] = None
        except (OSError, EOFError, ValueError) as e:
            # After stop, a poll answered just then runs into the socket this script has closed: not a drop.
            results[i] = None if stop.is_set() else "connection lost: " + repr(e)

    for _ in range(pollers):
        session = Polling(port)
        session.sock.settimeout(40.0)
        if not connect_socketio(session):
            raise RuntimeError("a poller could not join")
        sessions.append(session)
    threads = [threading.Thread(target=poll, args=(i, sessions[i]), daemon=True) for i in range(pollers)]
    for t in threads:
        t.start()

    s, r, status = ws_open(port, "/socket.io/?EIO=4&transport=websocket")
    if status != 101:
        raise RuntimeError("sender's WebSocket refused: %d" % status)
    s.settimeout(5.0)
    r.frame()                              # 0{"sid":...}
    s.sendall(ws_frame(b"40"))
    state = {"big": 0, "errors": {}, "other": 0, "close": None, "eof": False}
    sender_done = threading.Event()

    def read():
        try:
            while True:
                try:
                    op, payload = r.frame()
                except socket.timeout:
                    if sender_done.is_set():
                        return
                    continue
                if op == 0x8:
                    state["close"] = close_code(payload)
                    return
                if payload.startswith(b'42["big"'):
                    state["big"] += 1
                elif payload.startswith(b'42["error"'):
                    m = re.search(rb'"code":"([a-z_]+)"', payload)
                    k = m.group(1).decode() if m else "?"
                    state["errors"][k] = state["errors"].get(k, 0) + 1
                elif payload == b"2":
                    s.sendall(ws_frame(b"3"))
                else:
                    state["other"] += 1
        except (OSError, EOFError):
            state["eof"] = True

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    event = ('42["big","' + "y" * size + '"]').encode()
    frame = ws_frame(event)
    sent = 0
    deadline = time.time() + seconds
    try:
        while sent < events and time.time() < deadline and reader.is_alive():
            s.sendall(frame)
            sent += 1
    except (OSError, socket.timeout):
        pass
    time.sleep(5)                          # let what was admitted reach the pollers
    peak = measure()
    sender_done.set()
    reader.join(10)
    stop.set()
    for session in sessions:               # a waiting poll is released by its session's close
        session.close()
    for t in threads:
        t.join(10)
    s.close()
    dropped = [x for x in results if x]
    if state["close"] is not None:
        sender = "closed with %s" % state["close"]
    elif state["eof"]:
        sender = "connection dropped"
    else:
        sender = "still open"
    return {"sent": "%d events of %d bytes from a socket in no channel; %d pollers in channel 'other'" % (
                sent, len(event), pollers),
            "senderGotBack": state["big"], "senderErrors": state["errors"], "sender": sender,
            "pollersDisconnected": len(dropped), "pollersHow": sorted(set(dropped)),
            "answer": "%d of %d pollers disconnected; sender got %d of its events back, errors %s, %s" % (
                len(dropped), pollers, state["big"], state["errors"], sender),
            "endOfFlood": peak}


def flood_line_not_utf8(port, tcp_port, measure, lines=1000):
    """1,000 lines of 0xFF, one write: is the connection closed, and after how many answers?"""
    s = connect(tcp_port, 5.0)
    r = Reader(s)
    welcome = [r.until(b"\n"), r.until(b"\n")]
    s.sendall(b"\xff\n" * lines)
    s.settimeout(3.0)
    answers, kinds, closed, last = 0, {}, False, None
    deadline = time.time() + 20
    try:
        while time.time() < deadline:
            try:
                line = r.until(b"\n").decode("utf-8", "replace").strip()
            except socket.timeout:
                break
            answers += 1
            last = line
            m = re.match(r"! error (\S+):", line)
            k = m.group(1) if m else line[:40]
            kinds[k] = kinds.get(k, 0) + 1
    except (OSError, EOFError):
        closed = True
    peak = measure()
    s.close()
    return {"sent": "%d lines of b'\\xff\\n' in one write" % lines, "answers": answers, "answerKinds": kinds,
            "closed": closed, "lastLine": last, "welcomeLines": len(welcome),
            "answer": ("closed after %d answers" if closed else "still open after %d answers") % answers,
            "endOfFlood": peak}


FLOODS = [
    ("polling-pings", flood_polling_pings),
    ("probe-flood", flood_probes),
    ("pipelined-opens", flood_pipelined_opens),
    ("relay-burst", flood_relay_burst),
    ("line-not-utf8", flood_line_not_utf8),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jar", default=os.path.join(REPO, "server", "target", "pulse-server.jar"))
    ap.add_argument("--label", default="head")
    ap.add_argument("--port", type=int, default=18931)
    ap.add_argument("--tcp-port", type=int, default=18932)
    ap.add_argument("--only", help="comma-separated flood names")
    ap.add_argument("--restart-each", action="store_true",
                    help="a fresh server for each flood (default: one server for all, restarted only if it stops answering)")
    ap.add_argument("--out", help="append the JSON lines to this file too")
    ap.add_argument("--log", default=None, help="the server's output (default: a file beside --out, else /tmp)")
    args = ap.parse_args()
    log = args.log or (os.path.splitext(args.out)[0] + "-server-%s.log" % args.label if args.out
                       else "/tmp/pulse-floods-%s.log" % args.label)
    server = Server(os.path.abspath(args.jar), args.port, args.tcp_port, log)
    chosen = [f for f in FLOODS if not args.only or f[0] in args.only.split(",")]
    out = open(args.out, "a") if args.out else None
    server.start()
    restarted = False
    try:
        for name, flood in chosen:
            if args.restart_each and not restarted and flood is not chosen[0][1]:
                server.stop()
                server.start()
                restarted = True
            before = server.snapshot()
            started = time.time()
            with HealthSampler(args.port) as sampler:
                try:
                    result = flood(args.port, args.tcp_port, server.snapshot)
                except Exception as e:  # a flood that could not run says why, and the run goes on
                    result = {"error": repr(e)}
            seconds = round(time.time() - started, 1)
            time.sleep(1)
            after = server.snapshot()
            line = {"server": args.label, "flood": name, **result, "seconds": seconds,
                    "before": before, "after": after, "healthDuring": sampler.summary(),
                    "restartedBefore": restarted, "command": " ".join(server.command)}
            print(json.dumps(line), flush=True)
            if out:
                out.write(json.dumps(line) + "\n")
                out.flush()
            restarted = False
            if after.get("health") != 200:
                server.stop()
                server.start()
                restarted = True
    finally:
        server.stop()
        if out:
            out.close()


if __name__ == "__main__":
    main()
