"""Chaos scenarios for scripts/chaos: load with recorded acknowledgements, faults, checks, one table.

scripts/chaos sets up Redis, SecantusDB, routes and keys and passes them in CHAOS_* variables.
Every load loop here is bounded in time and count and targets 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import hmac
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from free_port import free_port  # noqa: E402  (scripts/lib/free_port.py)

import httpx
import pymongo
from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

ENV = os.environ
WORK = ENV["CHAOS_DIR"]
BIN = ENV["CHAOS_BIN"]
REDIS_PORT = int(ENV["CHAOS_REDIS_PORT"])
MONGO_PORT = int(ENV["CHAOS_MONGO_PORT"])
WRITE_KEY = ENV["CHAOS_WRITE_KEY"]
PARTNER_KEY = ENV["CHAOS_PARTNER_KEY"]
TWILIO_TOKEN = ENV["CHAOS_TWILIO_AUTH_TOKEN"]
TENANT = "chaos"


def log(msg: str) -> None:
    print(f"[chaos] {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(cond, limit: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def record_pid(pid: int) -> None:
    with open(os.path.join(WORK, "pids"), "a") as f:
        f.write(f"{pid}\n")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# Services: inlet, Redis and SecantusDB, stopped and restarted on the same ports and data dirs.

class Inlet:
    """The release binary on free ports; restartable on the same ports."""

    def __init__(self) -> None:
        self.port = free_port()
        self.admin = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = open(os.path.join(WORK, "inlet.log"), "ab")

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(ENV)
        env.update({
            "INLET_LISTEN": f"127.0.0.1:{self.port}",
            "INLET_ADMIN_LISTEN": f"127.0.0.1:{self.admin}",
            "INLET_TLS_CERT": os.path.join(WORK, "certs/dev.pem"),
            "INLET_TLS_KEY": os.path.join(WORK, "certs/dev-key.pem"),
            "INLET_PUBLIC_URL": f"https://localhost:{self.port}",
        })
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=self.log, stderr=self.log)
        record_pid(self.proc.pid)
        if not wait_until(lambda: port_open(self.port) and port_open(self.admin), 30):
            raise RuntimeError("inlet did not start; see inlet.log")

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else -1

    def rss(self) -> float:
        return rss_mb(self.pid)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Service:
    """Redis or SecantusDB: first started by services.sh (pid given), restarted here."""

    def __init__(self, name: str, port: int, pid: int, argv: list[str], logfile: str) -> None:
        self.name, self.port, self.pid, self.argv, self.logfile = name, port, pid, argv, logfile
        self.proc: subprocess.Popen | None = None

    def stop(self) -> None:
        log(f"stopping {self.name} (pid {self.pid})")
        os.kill(self.pid, signal.SIGTERM)
        if not wait_until(lambda: not pid_alive(self.pid), 20):
            os.kill(self.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        wait_until(lambda: not port_open(self.port), 10)

    def start(self) -> None:
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=out)
        self.pid = self.proc.pid
        record_pid(self.pid)
        if not wait_until(lambda: port_open(self.port), 60):
            raise RuntimeError(f"{self.name} did not restart on {self.port}")
        log(f"{self.name} back on {self.port} (pid {self.pid})")


REDIS = Service("redis", REDIS_PORT, int(ENV["CHAOS_REDIS_PID"]),
                ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", os.path.join(WORK, "redis"),
                 "--save", "", "--appendonly", "no", "--daemonize", "no"], os.path.join(WORK, "redis-restart.log"))
MONGO = Service("secantusdb", MONGO_PORT, int(ENV["CHAOS_MONGO_PID"]),
                [ENV["CHAOS_SECANTUS"], "--host", "127.0.0.1", "--port", str(MONGO_PORT), "--storage-path",
                 os.path.join(WORK, "mongo"), "--enable-test-commands", "--log-level", "WARNING"],
                os.path.join(WORK, f"secantus-{MONGO_PORT}.log"))


def mongo() -> pymongo.MongoClient:
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{MONGO_PORT}/?serverSelectionTimeoutMS=20000",
                               retryWrites=False)


def fail_point(mode, data: dict | None = None) -> None:
    with mongo() as client:
        cmd = {"configureFailPoint": "failCommand", "mode": mode}
        if data is not None:
            cmd["data"] = data
        client.admin.command(cmd)


def stored_counts(prefix: str) -> collections.Counter:
    """messageId -> number of documents in `events`, for this tenant's ids starting with prefix."""
    with mongo() as client:
        events = client["chaos"]["events"]
        cursor = events.find({"tenantId": TENANT, "messageId": {"$regex": f"^{prefix}"}}, {"messageId": 1, "_id": 0})
        return collections.Counter(doc["messageId"] for doc in cursor)


# ---------------------------------------------------------------------------------------------
# Load: /v1/batch and /v1/track with unique messageIds, recorded when a 2xx comes back.

class Load:
    def __init__(self, base: str, prefix: str, workers: int = 4, batch: int = 10, max_requests: int = 200_000,
                 max_seconds: float = 900, pause: float = 0.0) -> None:
        self.base, self.prefix, self.workers, self.batch = base, prefix, workers, batch
        self.max_requests, self.max_seconds, self.pause = max_requests, max_seconds, pause
        self.sent = 0
        self.statuses: collections.Counter = collections.Counter()
        self.errors = 0
        self.acked: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> "Load":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def snapshot(self) -> tuple[collections.Counter, int]:
        return collections.Counter(self.statuses), self.errors

    @property
    def fivexx(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    @property
    def twoxx(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    async def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        async with httpx.AsyncClient(http2=True, verify=False, timeout=15.0, limits=limits) as client:
            await asyncio.gather(*(self._worker(client, w, deadline) for w in range(self.workers)))

    async def _worker(self, client: httpx.AsyncClient, w: int, deadline: float) -> None:
        seq = 0
        auth = (WRITE_KEY, "")
        while not self._stop.is_set() and time.monotonic() < deadline and self.sent < self.max_requests:
            seq += 1
            if w % 2 == 0:
                ids = [f"{self.prefix}{w}-{seq}-{i}" for i in range(self.batch)]
                path, body = "/v1/batch", {"batch": [
                    {"type": "track", "userId": f"u{w}", "event": "Chaos", "messageId": m, "properties": {"seq": seq}}
                    for m in ids]}
            else:
                ids = [f"{self.prefix}{w}-{seq}"]
                path, body = "/v1/track", {"userId": f"u{w}", "event": "Chaos", "messageId": ids[0]}
            # Like an SDK: the same payload is retried on 5xx, 429 or a broken connection.
            for attempt in range(4):
                if self._stop.is_set() and attempt > 0:
                    break
                self.sent += 1
                try:
                    r = await client.post(self.base + path, json=body, auth=auth)
                except Exception:
                    self.errors += 1
                    await asyncio.sleep(0.2)
                    continue
                self.statuses[r.status_code] += 1
                if 200 <= r.status_code < 300:
                    self.acked.update(ids)
                    break
                if r.status_code >= 500 or r.status_code == 429:
                    await asyncio.sleep(0.2)
                    continue
                break
            if self.pause:
                await asyncio.sleep(self.pause)


def legit_request(inlet: Inlet, tag: str) -> int:
    """One well-behaved HTTP/2 request on its own connection; returns its status (0 on error)."""
    try:
        with httpx.Client(http2=True, verify=False, timeout=10) as client:
            r = client.post(inlet.base + "/v1/track", auth=(WRITE_KEY, ""),
                            json={"userId": "legit", "event": "Legit", "messageId": f"legit-{tag}-{time.time_ns()}"})
            return r.status_code
    except Exception as error:
        log(f"legit request ({tag}) failed: {type(error).__name__}: {error}")
        return 0


# ---------------------------------------------------------------------------------------------
# Results

class Row:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent = self.acked = self.missing = self.dups = self.fivexx = 0
        self.rss_before = self.rss_after = float("nan")
        self.seconds = 0.0
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.started = time.monotonic()

    @property
    def ok(self) -> bool:
        return not self.problems

    def check(self, cond: bool, problem: str) -> None:
        if not cond:
            self.problems.append(problem)
            log(f"{self.name}: FAIL {problem}")

    def from_load(self, load: Load) -> None:
        self.sent, self.acked, self.fivexx = load.sent, load.twoxx, load.fivexx
        counts = stored_counts(load.prefix)
        self.missing = sum(1 for m in load.acked if counts.get(m, 0) == 0)
        self.dups = sum(1 for n in counts.values() if n > 1)
        self.notes.append(f"{len(load.acked)} ids acked, statuses {dict(sorted(load.statuses.items()))}, "
                          f"transport errors {load.errors}")
        self.check(self.missing == 0, f"{self.missing} acknowledged messageIds missing in MongoDB")
        self.check(self.dups == 0, f"{self.dups} messageIds stored more than once")


# ---------------------------------------------------------------------------------------------
# Scenarios

def scenario_kill9(row: Row) -> None:
    inlet = Inlet()
    inlet.start()
    load = Load(inlet.base, "kill9-").start()
    time.sleep(2)
    row.rss_before = inlet.rss()
    for i in range(10):
        time.sleep(1.5)
        inlet.kill9()
        log(f"kill9: killed inlet ({i + 1}/10), {len(load.acked)} ids acked so far")
        time.sleep(0.3)
        inlet.start()
    time.sleep(2)
    load.stop()
    row.rss_after = inlet.rss()
    inlet.stop()
    row.from_load(load)
    row.check(load.twoxx > 0, "no request was acknowledged")


def scenario_mongo_faults(row: Row) -> None:
    inlet = Inlet()
    inlet.start()
    load = Load(inlet.base, "mongo-", pause=0.02).start()
    time.sleep(2)
    row.rss_before = inlet.rss()
    phases = [
        ("errorCode 91", {"failCommands": ["insert", "update"], "errorCode": 91}),
        ("writeConcernError", {"failCommands": ["insert", "update"],
                               "writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}}),
        ("closeConnection", {"failCommands": ["insert", "update"], "closeConnection": True}),
        ("blockConnection 7 s", {"failCommands": ["insert", "update"], "blockConnection": True, "blockTimeMS": 7000}),
    ]
    for name, data in phases:
        before, _ = load.snapshot()
        fail_point("alwaysOn", data)
        time.sleep(8)  # longer than the store's 5 s retry deadline, so some writes must give up
        fail_point("off")
        time.sleep(3 if "block" not in name else 9)
        after, _ = load.snapshot()
        row.notes.append(f"{name}: {dict(sorted((after - before).items()))}")
    MONGO.stop()
    before, _ = load.snapshot()
    time.sleep(30)
    MONGO.start()
    time.sleep(10)
    after, _ = load.snapshot()
    row.notes.append(f"SecantusDB down 30 s: {dict(sorted((after - before).items()))}")
    load.stop()
    row.rss_after = inlet.rss()
    inlet.stop()
    row.from_load(load)
    other5xx = sum(n for code, n in load.statuses.items() if code >= 500 and code != 503)
    row.check(other5xx == 0, f"{other5xx} 5xx other than 503")
    row.check(load.twoxx > 0, "no request was acknowledged")


def scenario_redis_down(row: Row) -> None:
    inlet = Inlet()
    inlet.start()
    load = Load(inlet.base, "redis-", pause=0.02).start()
    time.sleep(3)
    row.rss_before = inlet.rss()
    REDIS.stop()
    time.sleep(30)
    REDIS.start()
    time.sleep(5)
    before, errors_before = load.snapshot()
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "SCRIPT", "FLUSH"], check=True, capture_output=True)
    time.sleep(5)
    after, errors_after = load.snapshot()
    load.stop()
    row.rss_after = inlet.rss()
    inlet.stop()
    row.from_load(load)
    flush = after - before
    bad = sum(n for code, n in flush.items() if not 200 <= code < 300) + (errors_after - errors_before)
    row.notes.append(f"after SCRIPT FLUSH: {dict(sorted(flush.items()))}")
    row.check(load.fivexx == 0, f"{load.fivexx} 5xx while Redis was down or flushed")
    row.check(load.errors == 0, f"{load.errors} transport errors")
    row.check(bad == 0, f"{bad} failed requests after SCRIPT FLUSH")
    row.check(sum(flush.values()) > 0, "no request after SCRIPT FLUSH")


# --- raw HTTP/2 for h2-abuse ------------------------------------------------------------------

def tls_socket(port: int, alpn: list[str] | None) -> ssl.SSLSocket:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


class RawH2:
    """Hand-written frames over TLS; a reader thread records what the server sends and ACKs SETTINGS."""

    def __init__(self, port: int) -> None:
        self.sock = tls_socket(port, ["h2"])
        assert self.sock.selected_alpn_protocol() == "h2"
        self.sock.settimeout(None)
        self.frames: list[Frame] = []
        self.closed = False
        self.lock = threading.Lock()
        self.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        wait_until(lambda: any(isinstance(f, SettingsFrame) for f in self.frames), 5, 0.01)

    def send(self, data: bytes) -> bool:
        try:
            with self.lock:
                self.sock.sendall(data)
            return True
        except OSError:
            return False

    def flood(self, frames: list[bytes], per_write: int = 20) -> int:
        for i in range(0, len(frames), per_write):
            if not self.send(b"".join(frames[i:i + per_write])):
                return i
        return len(frames)

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 9:
                    frame, length = Frame.parse_frame_header(memoryview(buf[:9]))
                    if len(buf) < 9 + length:
                        break
                    frame.parse_body(memoryview(buf[9:9 + length]))
                    buf = buf[9 + length:]
                    self.frames.append(frame)
                    if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                        self.send(SettingsFrame(0, flags=["ACK"]).serialize())
        except (OSError, ValueError):
            pass
        self.closed = True

    def goaway(self):
        return next((f for f in self.frames if isinstance(f, GoAwayFrame)), None)

    def wait(self, pred, limit: float) -> bool:
        return wait_until(lambda: self.closed or pred(), limit, 0.02)

    def close(self) -> None:
        # shutdown first: a plain close() while the reader thread sits in recv() leaves the
        # socket open in the kernel (the blocked call holds it), so no FIN reached the server and
        # "closed" connections stayed open there until its idle timeout. Then wait for the
        # reader to leave before the descriptor is freed: the next socket (the legit client's)
        # gets the same number, and a reader still inside OpenSSL would read or write that one.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.reader is not threading.current_thread():
            self.reader.join(5)
        try:
            self.sock.close()
        except OSError:
            pass

    def summary(self) -> str:
        out = []
        for f in self.frames:
            code = getattr(f, "error_code", None)
            out.append(f"{type(f).__name__.replace('Frame', '')}({f.stream_id}{'' if code is None else f', code {code}'})")
        return ", ".join(out[-6:]) + (", closed" if self.closed else "")


def request_headers(path: str, method: str = "POST", extra: list | None = None) -> list:
    return [(":method", method), (":scheme", "https"), (":path", path), (":authority", "localhost"),
            ("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()),
            ("content-type", "application/json")] + (extra or [])


def headers_frame(stream: int, block: bytes, end_stream: bool = False, end_headers: bool = True) -> bytes:
    f = HeadersFrame(stream, data=block)
    f.flags = set((["END_STREAM"] if end_stream else []) + (["END_HEADERS"] if end_headers else []))
    return f.serialize()


def hpack_literal(name: str, value: str, indexed: bool = False) -> bytes:
    def integer(v: int, prefix: int, first: int) -> bytes:
        mx = (1 << prefix) - 1
        if v < mx:
            return bytes([first | v])
        out, v = [first | mx], v - mx
        while v >= 128:
            out.append(v % 128 + 128)
            v //= 128
        return bytes(out + [v])
    n, v = name.encode(), value.encode()
    return bytes([0x40 if indexed else 0x00]) + integer(len(n), 7, 0) + n + integer(len(v), 7, 0) + v


def scenario_h2_abuse(row: Row) -> None:
    inlet = Inlet()
    inlet.start()
    time.sleep(1)
    row.rss_before = inlet.rss()
    results: list[tuple[str, bool, str]] = []
    lock = threading.Lock()

    def case(name: str, fn) -> None:
        started = time.monotonic()
        try:
            ok, detail = fn()
        except Exception as e:  # a crash of the probe is a failed case, not a crash of the run
            ok, detail = False, f"probe error: {e!r}"
        legit = legit_request(inlet, name)
        with lock:
            row.sent += 1
            results.append((name, ok and legit == 200, f"{detail}; legit client {legit}; {time.monotonic() - started:.1f}s"))
            if legit == 200:
                row.acked += 1

    def goaway_case(frames: list[bytes], want: set[int], per_write: int = 20):
        c = RawH2(inlet.port)
        c.flood(frames, per_write)
        c.wait(lambda: c.goaway() is not None, 10)
        c.wait(lambda: False, 2)
        g = c.goaway()
        ok = g is not None and g.error_code in want and c.closed
        detail = c.summary()
        c.close()
        return ok, detail

    enc = Encoder()

    def rapid_reset():
        frames = []
        for i in range(1000):
            s = 2 * i + 1
            frames += [headers_frame(s, enc.encode(request_headers("/v1/track"))), RstStreamFrame(s, error_code=8).serialize()]
        return goaway_case(frames, {0xB}, per_write=2)

    def ping_flood():
        return goaway_case([PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize() for i in range(1000)], {0xB})

    def settings_flood():
        return goaway_case([SettingsFrame(0, settings={3: 100}).serialize() for _ in range(1000)], {0xB})

    def continuation_flood():
        e = Encoder()
        frames = [headers_frame(1, e.encode(request_headers("/v1/track")), end_headers=False)]
        frames += [ContinuationFrame(1, data=hpack_literal(f"x-c{i}", "v")).serialize() for i in range(50)]
        return goaway_case(frames, {0xB}, per_write=10)

    def refused_headers(block: bytes):
        c = RawH2(inlet.port)
        c.send(headers_frame(1, block, end_stream=True))
        c.wait(lambda: c.goaway() is not None or any(f.stream_id == 1 for f in c.frames), 10)
        answered = [f for f in c.frames if isinstance(f, HeadersFrame) and f.stream_id == 1]
        refused = c.goaway() is not None or c.closed or any(isinstance(f, RstStreamFrame) and f.stream_id == 1 for f in c.frames)
        detail = c.summary()
        c.close()
        return refused and not answered, detail

    def big_header_list():
        return refused_headers(Encoder().encode(request_headers("/v1/track", extra=[("x-big", "a" * 20000)])))

    def hpack_bomb():
        block = Encoder().encode(request_headers("/v1/track")) + hpack_literal("x-bomb", "b" * 1000, indexed=True)
        block += bytes([0x80 | 62]) * 30  # 30 one-byte references: ~31 KB decoded from ~1 KB
        return refused_headers(block)

    def too_many_streams():
        c = RawH2(inlet.port)
        e = Encoder()
        c.flood([headers_frame(2 * i + 1, e.encode(request_headers("/v1/track"))) for i in range(101)])
        c.wait(lambda: c.goaway() is not None or any(isinstance(f, RstStreamFrame) and f.stream_id == 201 for f in c.frames), 10)
        rst = next((f for f in c.frames if isinstance(f, RstStreamFrame) and f.stream_id == 201), None)
        g = c.goaway()
        ok = (rst is not None and rst.error_code in (1, 7)) or (g is not None and g.error_code == 1)
        detail = c.summary()
        c.close()
        return ok, detail

    def slow_body_h2():
        c = RawH2(inlet.port)
        c.send(headers_frame(1, Encoder().encode(request_headers("/v1/track", extra=[("content-length", "100")])))
               + DataFrame(1, data=b'{"userId":').serialize())
        answered = lambda: next((f for f in c.frames if isinstance(f, HeadersFrame) and f.stream_id == 1), None)
        c.wait(lambda: answered() is not None, 30)
        from hpack import Decoder
        h = answered()
        status = dict(Decoder().decode(h.data)).get(":status") if h else None
        detail = f":status {status}; {c.summary()}"
        c.close()
        return status == "408", detail

    def slow_headers_h1():
        s = tls_socket(inlet.port, ["http/1.1"])
        s.sendall(b"POST /v1/track HTTP/1.1\r\nHost: lo")
        s.settimeout(25)
        started = time.monotonic()
        try:
            data = s.recv(4096)
            while data and not data.startswith(b"HTTP/1.1 2"):
                more = s.recv(4096)
                if not more:
                    break
                data += more
        except OSError:
            data = b"timeout"
        s.close()
        took = time.monotonic() - started
        return data != b"timeout" and not data.startswith(b"HTTP/1.1 2"), f"closed after {took:.1f}s ({data[:20]!r})"

    def unfinished_headers_h2():
        # No request completes: the idle timeout (60 s) should close it (HTTP2ConnectionCloser).
        c = RawH2(inlet.port)
        c.send(headers_frame(1, Encoder().encode(request_headers("/v1/track")), end_headers=False))
        started = time.monotonic()
        c.wait(lambda: False, 75)
        ok, detail = c.closed, f"closed={c.closed} after {time.monotonic() - started:.0f}s; {c.summary()}"
        c.close()
        return ok, detail

    def oversized_body():
        # A body with no content-length, sent as fast as HTTP/2 flow control allows, past the
        # 500 KB limit: the 413 must come while it streams in.
        c = RawH2(inlet.port)
        c.send(headers_frame(1, Encoder().encode(request_headers("/v1/batch")), end_stream=False))
        answer = lambda: next((f for f in c.frames if isinstance(f, HeadersFrame) and f.stream_id == 1), None)
        credit = lambda sid: 65535 + sum(f.window_increment for f in list(c.frames)
                                         if isinstance(f, WindowUpdateFrame) and f.stream_id == sid)
        sent, total, stalled = 0, 700_000, False
        while sent < total and not c.closed and answer() is None:
            room = min(credit(0), credit(1)) - sent
            if room <= 0:
                if not c.wait(lambda: answer() is not None or min(credit(0), credit(1)) > sent, 5):
                    stalled = True
                    break
                continue
            n = min(16384, room, total - sent)
            if not c.send(DataFrame(1, data=b"x" * n).serialize()):
                break
            sent += n
        c.wait(lambda: answer() is not None, 10)
        from hpack import Decoder
        status = dict(Decoder().decode(answer().data)).get(":status") if answer() else None
        detail = f":status {status} after {sent} bytes sent{' (window stalled)' if stalled else ''}; {c.summary()}"
        c.close()
        return status == "413", detail

    def open_connections() -> str:
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{inlet.admin}/metrics", timeout=5).read().decode()
        except Exception as error:
            return f"? ({error})"
        return next((line.split()[-1] for line in text.splitlines() if line.startswith("inlet_open_connections ")), "?")

    def idle_connections():
        # Three rounds of 500 opened and closed: a leak of what a connection holds while open
        # (~40 KB) would add ~20 MB per round; memory the allocator keeps for reuse stays level.
        held, open_rss, closed_rss, legit, still_open = [], [], [], None, []
        for _ in range(3):
            conns = []
            for _ in range(500):
                try:
                    conns.append(RawH2(inlet.port))
                except Exception:
                    break
            held.append(len(conns))
            open_rss.append(inlet.rss())
            legit = legit_request(inlet, "idle")
            for c in conns:
                c.close()
            time.sleep(12)
            still_open.append(open_connections())
            closed_rss.append(inlet.rss())
        # After the first round the allocator has the memory it needs; what a later round adds
        # per connection is the leak, if any: bounded at 20 KB, half of what an open one holds
        # (the allocator's own drift measured −2.3 to 7.2 KB).
        per_connection_kb = (closed_rss[-1] - closed_rss[0]) * 1024 / (2 * 500)
        level = per_connection_kb <= 20
        rounds = ", ".join(f"{o:.0f}→{c:.0f}" for o, c in zip(open_rss, closed_rss))
        # The slow cases running alongside hold up to three connections of their own.
        closed_on_server = all(not n.startswith("?") and float(n) <= 3 for n in still_open)
        return legit == 200 and held == [500] * 3 and level and closed_on_server, (
            f"{held[0]} idle h2 connections held, 3 rounds, RSS MB open→closed {rounds}, "
            f"{per_connection_kb:.1f} KB kept per connection after the first round{'' if level else ' (LEAK?)'}, "
            f"open on the server 12 s after each close {still_open}, served alongside: {legit}; "
            f"cap 10,000 is not settable by env")

    # The slow cases wait on server timeouts: run them side by side with the fast ones.
    slow = [threading.Thread(target=case, args=(n, f)) for n, f in
            [("slow body h2 (408)", slow_body_h2), ("slow headers h1", slow_headers_h1),
             ("unfinished header block h2", unfinished_headers_h2)]]
    for t in slow:
        t.start()
    for n, f in [("rapid reset x1000", rapid_reset), ("PING flood x1000", ping_flood),
                 ("SETTINGS flood x1000", settings_flood), ("CONTINUATION x50", continuation_flood),
                 ("header list 20 KB", big_header_list), ("HPACK bomb 31 KB", hpack_bomb),
                 ("101 streams", too_many_streams), ("streamed body 700 KB (413)", oversized_body),
                 ("500 idle connections", idle_connections)]:
        case(n, f)
    for t in slow:
        t.join()
    time.sleep(1)
    row.rss_after = inlet.rss()
    inlet.stop()
    for name, ok, detail in results:
        row.notes.append(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        row.check(ok, name)
    row.check(row.rss_after < row.rss_before + 64, f"RSS grew {row.rss_after - row.rss_before:.0f} MB")


def scenario_tls(row: Row) -> None:
    inlet = Inlet()
    inlet.start()
    row.rss_before = inlet.rss()

    def s_client(*args: str) -> tuple[bool, str]:
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{inlet.port}", "-servername", "localhost",
                            *args], input=b"", capture_output=True, timeout=20)
        out = p.stdout.decode(errors="replace")
        m = re.search(r"^New, (TLSv[\d.]+), Cipher is (\S+)", out, re.M)
        return bool(m) and m.group(2) != "(NONE)", (m.group(1) if m else "no handshake") + " " + alpn_line(out)

    def alpn_line(out: str) -> str:
        for line in out.splitlines():
            if line.startswith("ALPN protocol") or line.startswith("No ALPN"):
                return line.strip()
        return "?"

    checks = []
    for version in ("-tls1", "-tls1_1"):
        ok, out = s_client(version, "-cipher", "DEFAULT@SECLEVEL=0")
        checks.append((f"{version} refused", not ok, out))
    for version in ("-tls1_2", "-tls1_3"):
        ok, out = s_client(version)
        checks.append((f"{version} accepted", ok, out))
    for alpn, want in (("h2", "ALPN protocol: h2"), ("http/1.1", "ALPN protocol: http/1.1")):
        ok, out = s_client("-alpn", alpn)
        checks.append((f"ALPN {alpn}", ok and out.endswith(want), out))
    # No ALPN at all: HTTP/1.1.
    s = tls_socket(inlet.port, None)
    s.sendall(b"GET /v1/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    s.settimeout(10)
    answer = s.recv(64)
    s.close()
    checks.append(("no ALPN -> HTTP/1.1", answer.startswith(b"HTTP/1.1 "), answer[:16].decode(errors="replace")))
    row.rss_after = inlet.rss()
    inlet.stop()
    for name, ok, detail in checks:
        row.sent += 1
        row.acked += 1 if ok else 0
        row.notes.append(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        row.check(ok, name)


def twilio_signature(url: str, params: dict) -> str:
    message = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), message.encode(), hashlib.sha1).digest()).decode()


def scenario_bad_input(row: Row) -> None:
    import gzip as gz
    inlet = Inlet()
    inlet.start()
    row.rss_before = inlet.rss()
    basic = {"authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
    js = {**basic, "content-type": "application/json"}
    bearer = {"authorization": f"Bearer {PARTNER_KEY}", "content-type": "text/csv"}
    hook = f"/v1/hooks/chaos-twilio"
    hook_url = f"https://localhost:{inlet.port}{hook}"

    def form(sid: str) -> dict:
        return {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "ACchaos", "To": "+15550001111",
                "From": "+15550002222"}

    good = form("SMgood1")
    bad = form("SMbad1")
    flipped = bytearray(base64.b64decode(twilio_signature(hook_url, bad)))
    flipped[0] ^= 1
    ev = lambda n, extra="": '{"type":"track","userId":"u","event":"E","messageId":"bad-%d"%s}' % (n, extra)
    cases = [
        ("batch: not JSON", "/v1/batch", js, b'{"batch":[', {400}),
        ("batch: invalid UTF-8", "/v1/batch", js, b'{"batch":[{"type":"track","userId":"\xff\xfe","event":"E","messageId":"bad-1"}]}', {400}),
        ("batch: nesting depth 600", "/v1/batch", js,
         ('{"batch":[' + ev(2, ',"properties":' + "[" * 600 + "]" * 600) + "]}").encode(), {400}),
        ("batch: duplicate keys", "/v1/batch", js,
         b'{"batch":[{"type":"track","userId":"u","event":"E","messageId":"bad-3","messageId":"bad-3b"}]}', {400}),
        ("batch: number 1e400", "/v1/batch", js, ('{"batch":[' + ev(4, ',"properties":{"n":1e400}') + "]}").encode(), {400}),
        ("batch: 2,501 events", "/v1/batch", js,
         ('{"batch":[' + ",".join(ev(10_000 + i) for i in range(2501)) + "]}").encode(), {400, 413}),
        ("batch: event over 32 KB", "/v1/batch", js,
         ('{"batch":[' + ev(5, ',"properties":{"x":"%s"}' % ("y" * 40_000)) + "]}").encode(), {400, 413}),
        ("batch: gzip bomb", "/v1/batch", {**js, "content-encoding": "gzip"},
         gz.compress(b'{"batch":[' + b" " * 50_000_000 + b"]}"), {413}),
        ("batch: wrong content type", "/v1/batch", {**basic, "content-type": "application/xml"}, ev(6).encode(), {415}),
        ("batch: no key", "/v1/batch", {"content-type": "application/json"}, ('{"batch":[' + ev(7) + "]}").encode(), {401}),
        ("batch: unknown key", "/v1/batch", {"content-type": "application/json",
                                             "authorization": "Basic " + base64.b64encode(b"nope:").decode()},
         ('{"batch":[' + ev(8) + "]}").encode(), {401}),
        ("batch: event without userId", "/v1/batch", js, b'{"batch":[{"type":"track","event":"E","messageId":"bad-9"}]}', {400}),
        ("hook: no signature", hook, {"content-type": "application/x-www-form-urlencoded"},
         urllib.parse.urlencode(bad).encode(), {401}),
        ("hook: wrong secret", hook, {"content-type": "application/x-www-form-urlencoded",
                                      "x-twilio-signature": base64.b64encode(hmac.new(b"wrong", hook_url.encode() + b"x", hashlib.sha1).digest()).decode()},
         urllib.parse.urlencode(bad).encode(), {401}),
        ("hook: one bit flipped", hook, {"content-type": "application/x-www-form-urlencoded",
                                         "x-twilio-signature": base64.b64encode(bytes(flipped)).decode()},
         urllib.parse.urlencode(bad).encode(), {401}),
        ("hook: malformed signature", hook, {"content-type": "application/x-www-form-urlencoded",
                                             "x-twilio-signature": "not base64!!"}, urllib.parse.urlencode(bad).encode(), {401}),
        ("hook: valid (control)", hook, {"content-type": "application/x-www-form-urlencoded",
                                         "x-twilio-signature": twilio_signature(hook_url, good)},
         urllib.parse.urlencode(good).encode(), {200, 201, 202, 204}),
        ("import: no key", "/v1/imports/users", {"content-type": "text/csv"}, b"userId,plan\nbadcsv-1,pro\n", {401}),
        ("import: no userId column", "/v1/imports/users", bearer, b"plan,name\npro,x\n", {400, 422}),
        ("import: broken gzip", "/v1/imports/users", {**bearer, "content-encoding": "gzip"}, b"\x1f\x8b\x08\x00garbage", {400}),
        ("import: empty body", "/v1/imports/users", bearer, b"", {400, 422}),
    ]
    results = []
    with httpx.Client(http2=True, verify=False, timeout=30) as client:
        for name, path, headers, body, want in cases:
            try:
                status = client.post(inlet.base + path, headers=headers, content=body).status_code
            except Exception as e:
                status = f"error {type(e).__name__}"
            results.append((name, status in want, f"{status} (want {'/'.join(map(str, sorted(want)))})", status))
    # CR/LF inside a header value: HTTP/1.1 raw, and HTTP/2 through HPACK (which carries any byte).
    s = tls_socket(inlet.port, ["http/1.1"])
    body = ev(20).encode()
    s.sendall(b"POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + js["authorization"].encode()
              + b"\r\nContent-Type: application/json\r\nX-Bad: a\rb\r\nContent-Length: " + str(len(body)).encode()
              + b"\r\nConnection: close\r\n\r\n" + body)
    s.settimeout(10)
    try:
        answer = s.recv(64)
    except OSError:
        answer = b""
    s.close()
    results.append(("header with bare CR (h1)", not answer.startswith(b"HTTP/1.1 2"), repr(answer[:16])))
    # A declared body over 500 KB: 413 from the head alone, before the body is sent.
    c = RawH2(inlet.port)
    c.send(headers_frame(1, Encoder().encode(request_headers("/v1/batch", extra=[("content-length", "600000")])))
           + DataFrame(1, data=b'{"batch":[').serialize())
    c.wait(lambda: any(isinstance(f, HeadersFrame) and f.stream_id == 1 for f in c.frames), 10)
    answered = [f for f in c.frames if isinstance(f, HeadersFrame) and f.stream_id == 1]
    from hpack import Decoder
    status = dict(Decoder().decode(answered[0].data)).get(":status") if answered else None
    results.append(("batch: declared 600 KB body (h2)", status == "413", f":status {status}"))
    c.close()
    c = RawH2(inlet.port)
    block = Encoder().encode(request_headers("/v1/track")) + hpack_literal("x-bad", "a\r\nx-injected: 1")
    c.send(headers_frame(1, block, end_stream=False) + DataFrame(1, data=ev(21).encode(), flags=["END_STREAM"]).serialize())
    c.wait(lambda: c.goaway() is not None or any(f.stream_id == 1 for f in c.frames), 10)
    answered = [f for f in c.frames if isinstance(f, HeadersFrame) and f.stream_id == 1]
    from hpack import Decoder
    status = dict(Decoder().decode(answered[0].data)).get(":status") if answered else None
    results.append(("header with CR/LF (h2)", status is None or not status.startswith("2"), f":status {status}; {c.summary()}"))
    c.close()
    row.rss_after = inlet.rss()
    inlet.stop()
    # Nothing from the bad requests may be stored; the control delivery exactly once.
    with mongo() as client:
        db = client["chaos"]
        stored_events = db["events"].count_documents({"tenantId": TENANT, "messageId": {"$regex": "^bad-"}})
        bad_deliveries = db["deliveryEvents"].count_documents({"providerMessageId": {"$regex": "^SMbad"}})
        good_deliveries = db["deliveryEvents"].count_documents({"providerMessageId": "SMgood1"})
        bad_users = db["userDetails"].count_documents({"userId": {"$regex": "^badcsv"}})
    for name, ok, detail, *_ in results:
        row.sent += 1
        row.acked += 1 if str(detail).startswith("2") else 0
        row.fivexx += 1 if str(detail).startswith("5") else 0
        row.notes.append(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        row.check(ok, name)
    row.missing = 0
    row.notes.append(f"stored: events bad-* {stored_events}, deliveries SMbad* {bad_deliveries}, "
                     f"control delivery {good_deliveries}, users badcsv* {bad_users}")
    row.check(stored_events == 0 and bad_deliveries == 0 and bad_users == 0, "a refused request was stored")
    row.check(good_deliveries == 1, f"control delivery stored {good_deliveries} times")
    row.check(row.fivexx == 0, f"{row.fivexx} 5xx")


def scenario_soak(row: Row) -> None:
    seconds = int(ENV.get("CHAOS_SOAK_SECONDS", "600"))
    inlet = Inlet()
    inlet.start()
    load = Load(inlet.base, "soak-", max_seconds=seconds + 30).start()
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(10)
        samples.append((time.monotonic() - started, inlet.rss()))
        log(f"soak: {samples[-1][0]:.0f}s RSS {samples[-1][1]:.1f} MB, {load.twoxx} acked requests")
    load.stop()
    inlet.stop()
    warm = [r for t, r in samples if t >= 60][:3] or [samples[0][1]]
    tail = [r for _, r in samples[-3:]]
    row.rss_before, row.rss_after = sum(warm) / len(warm), sum(tail) / len(tail)
    growth = (row.rss_after - row.rss_before) / row.rss_before * 100
    row.notes.append("RSS samples (MB): " + " ".join(f"{r:.0f}" for _, r in samples))
    row.notes.append(f"growth after 60 s warm-up: {growth:+.1f} %")
    row.from_load(load)
    row.check(growth < 5, f"RSS grew {growth:.1f} % after warm-up")
    row.check(load.fivexx == 0, f"{load.fivexx} 5xx")


SCENARIOS = {
    "kill9": scenario_kill9,
    "mongo-faults": scenario_mongo_faults,
    "redis-down": scenario_redis_down,
    "h2-abuse": scenario_h2_abuse,
    "tls": scenario_tls,
    "bad-input": scenario_bad_input,
    "soak": scenario_soak,
}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {' '.join(unknown)}; known: {' '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        log(f"--- {name}")
        row = Row(name)
        try:
            SCENARIOS[name](row)
        except Exception as e:
            row.problems.append(f"scenario crashed: {e!r}")
            log(f"{name}: crashed: {e!r}")
        row.seconds = time.monotonic() - row.started
        rows.append(row)
        for note in row.notes:
            log(f"{name}: {note}")
    header = f"| {'scenario':<13}| {'sent':>6} | {'2xx':>6} | {'missing':>7} | {'dups':>4} | {'5xx':>5} | {'RSS before':>10} | {'RSS after':>9} | {'seconds':>7} | result"
    lines = [header, "|" + "|".join("-" * n for n in (14, 8, 8, 9, 6, 7, 12, 11, 9, 8)) + "|"]
    for r in rows:
        lines.append(f"| {r.name:<13}| {r.sent:>6} | {r.acked:>6} | {r.missing:>7} | {r.dups:>4} | {r.fivexx:>5} | "
                     f"{r.rss_before:>7.1f} MB | {r.rss_after:>6.1f} MB | {r.seconds:>7.0f} | "
                     f"{'ok' if r.ok else 'FAIL: ' + '; '.join(r.problems)}")
    print("\n".join(lines))
    with open(os.path.join(WORK, "..", f"inlet-chaos-last.md"), "w") as f:
        f.write("\n".join(lines) + "\n\n" + "\n".join(f"{r.name}: {n}" for r in rows for n in r.notes) + "\n")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
