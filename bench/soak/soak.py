#!/usr/bin/env python3
"""bench/soak/soak.py: the soak benchmark. An hour of simulated hotline traffic is paced at
50x real time over TCP NDJSON into a real rexiand (event clock, journal on) that writes to a
real redis-server; every few simulated minutes (seeded) Redis is killed and started again on
the same port, or the feed connection is cut and the sender reconnects and re-sends its last
seconds (the at-least-once contract). It prints rexiand's RSS curve, the event-to-Redis
latency, and at the end checks that Redis holds exactly what `rexian replay` of rexiand's
journal computes: every window hash of every scope, every day bucket, every minute bucket.

A benchmark run on demand, never a test: figures depend on the machine and its load.
docs/soak.md records ours and explains the method.

usage: bench/soak/soak.py [options] [BUILD_DIR]      (default: build)
       bench/soak/soak.py --help
Needs: python3 (stdlib only), redis-server, and rexian + rexiand built in BUILD_DIR.

Why the event clock: the feed's timestamps are replayed 50 times faster than they were
stamped, so the wall clock and the feed disagree by hours within minutes of the run; with
--clock wall the rolling windows would be cut by wall time and calls would be aged out by it.
With --clock event, time is the newest event time, which is exactly what `rexian replay`
uses, so the end state is comparable to replay in every window, not only `all`.
"""
import argparse
import bisect
import collections
import json
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PREFIX = "rexian"
WINDOWS = ("15m", "1h", "today", "shift", "all")
TZ = ZoneInfo("Asia/Shanghai")   # rexiand's and replay's default --timezone
SHIFTS = ((8, 0), (16, 0), (0, 0))   # rexiand's default --shifts
mono = time.monotonic


def log(*a):
    print("soak:", *a, file=sys.stderr, flush=True)


# The integration tests' RESP client and port picker; the soak adds a reconnecting wrapper.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from harness import _read, _resp, free_port  # noqa: E402


class Resp:
    """One persistent connection; reconnects on the next command after an error."""

    def __init__(self, port):
        self.port, self.s, self.f = port, None, None

    def cmd(self, *args):
        try:
            if self.s is None:
                self.s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                self.f = self.s.makefile("rb")
            self.s.sendall(_resp(args))
            return _read(self.f)
        except (OSError, ConnectionError):
            self.close()
            raise

    def close(self):
        if self.s is not None:
            try:
                self.s.close()
            except OSError:
                pass
        self.s = self.f = None

    def hgetall(self, key):
        flat = self.cmd("HGETALL", key) or []
        return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}


# ---- the services ----

class RedisServer:
    """redis-server on a fixed loopback port; no automatic persistence."""

    def __init__(self, tmp, port):
        self.tmp, self.port, self.proc, self.n = tmp, port, None, 0
        self.dir = None

    def start(self, fresh):
        if fresh or self.dir is None:
            self.n += 1
            self.dir = os.path.join(self.tmp, f"redis-{self.n}")
            os.makedirs(self.dir)
        logf = open(os.path.join(self.tmp, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--dbfilename", "dump.rdb"],
            stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        c = Resp(self.port)
        end = mono() + 10
        while mono() < end:
            try:
                if c.cmd("PING") == "PONG":
                    c.close()
                    return
            except (OSError, ConnectionError, RuntimeError):
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Rexiand:
    def __init__(self, exe, tmp, redis_port, flush_ms):
        self.feed_port, self.http_port = free_port(), free_port()
        self.journal = os.path.join(tmp, "journal")
        os.makedirs(self.journal)
        self.log_path = os.path.join(tmp, "rexiand.log")
        self.args = [exe, "--listen", f"tcp://127.0.0.1:{self.feed_port}",
                     "--redis", f"redis://127.0.0.1:{redis_port}",
                     "--http", f"127.0.0.1:{self.http_port}", "--clock", "event",
                     "--journal", self.journal, "--flush-ms", str(flush_ms)]
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.args, stdout=logf, stderr=subprocess.STDOUT)
        end = mono() + 15
        while mono() < end:
            try:
                self.get("/healthz")
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("rexiand did not start:\n" + self.read_log()[-2000:])

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=5) as r:
            return r.read()

    def live(self):
        return json.loads(self.get("/api/live"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the feed sender ----

class Sender(threading.Thread):
    """Sends each line when its timestamp, divided by the speed, comes due in wall time, on
    one connection. A cut (asked for by the controller) tears a line in half and closes the
    connection, with a FIN or a RST; after a pause the sender reconnects and first re-sends
    every line it sent in the last resend_s seconds."""

    def __init__(self, a, port, lines, ts_ms, answer_idx):
        super().__init__(daemon=True)
        self.a, self.port, self.lines, self.ts_ms = a, port, lines, ts_ms
        self.answer_idx = answer_idx          # line index -> inbound answer number, or -1
        self.answer_sent = [None] * (max(answer_idx) + 1 if answer_idx else 0)
        self.cut_req = None                   # (pause_s, rst, done_event)
        self.cuts = []                        # (cut_wall, reconnected_wall, resent_lines, rst)
        self.resent = 0
        self.sent_lines = 0
        self.t0 = None
        self.done_at = None
        self.error = None
        self.lock = threading.Lock()

    def due(self, i):
        return self.t0 + (self.ts_ms[i] - self.ts_ms[0]) / 1000 / self.a.speed

    def connect(self):
        for _ in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return s
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("cannot reconnect to rexiand's feed port")

    def run(self):
        try:
            self._run()
        except Exception as e:   # reported by the main thread
            self.error = e

    def _run(self):
        lines, n = self.lines, len(self.lines)
        hist = collections.deque()    # (send wall time, first, end) of recent batches
        sock = self.connect()
        i = 0
        while i < n:
            with self.lock:
                req, self.cut_req = self.cut_req, None
            if req is not None:
                sock = self._cut(sock, hist, i, *req)
            now = mono()
            if self.due(i) > now:
                time.sleep(min(self.due(i) - now, 0.02))
                continue
            j = i + 1
            while j < n and self.due(j) <= now:
                j += 1
            t = mono()
            try:
                sock.sendall(b"".join(lines[i:j]))
            except OSError:   # not expected: the cuts are ours; recover as a sender would
                sock.close()
                sock = self.connect()
                sock.sendall(b"".join(l for _, a, b in hist for l in lines[a:b]) + b"".join(lines[i:j]))
            for k in range(i, j):
                if self.answer_idx[k] >= 0:
                    self.answer_sent[self.answer_idx[k]] = t
            hist.append((t, i, j))
            while hist and hist[0][0] < t - self.a.resend_s:
                hist.popleft()
            self.sent_lines = j
            i = j
        sock.close()
        self.done_at = mono()

    def _cut(self, sock, hist, i, pause_s, rst, done):
        cut_at = mono()
        if i < len(self.lines):
            sock.sendall(self.lines[i][:len(self.lines[i]) // 2])   # a torn line
        if rst:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        time.sleep(pause_s)
        sock = self.connect()
        keep = [(a, b) for t, a, b in hist if t >= cut_at - self.a.resend_s]
        again = b"".join(l for a, b in keep for l in self.lines[a:b])
        sock.sendall(again)
        nlines = sum(b - a for a, b in keep)
        self.resent += nlines
        self.cuts.append((cut_at, mono(), nlines, rst))
        done.set()
        return sock

    def request_cut(self, pause_s, rst):
        done = threading.Event()
        with self.lock:
            self.cut_req = (pause_s, rst, done)
        return done


# ---- latency: poll the answered count of the whole hotline ----

class Poller(threading.Thread):
    """Polls HGET rexian:all:global answered. The feed is sorted and clean, so the k-th
    inbound answer sent is the k-th answered call counted: when the count first passes k,
    that answer has reached Redis; its latency is that moment minus its first send."""

    def __init__(self, port, sender, every_s):
        super().__init__(daemon=True)
        self.c, self.sender, self.every_s = Resp(port), sender, every_s
        self.seen = 0
        self.samples = []     # (answer number, sent, visible)
        self.stop = threading.Event()
        self.polls = 0

    def run(self):
        while not self.stop.is_set():
            try:
                v = self.c.cmd("HGET", f"{PREFIX}:all:global", "answered")
                self.polls += 1
            except (OSError, ConnectionError, RuntimeError):
                v = None
            t = mono()
            if v is not None and int(v) > self.seen:
                for k in range(self.seen, int(v)):
                    sent = self.sender.answer_sent[k] if k < len(self.sender.answer_sent) else None
                    self.samples.append((k, sent, t))
                self.seen = int(v)
            time.sleep(self.every_s)
        self.c.close()


class RssSampler(threading.Thread):
    def __init__(self, d, every_s, sim_at):
        super().__init__(daemon=True)
        self.d, self.every_s, self.sim_at = d, every_s, sim_at
        self.samples = []     # (wall, simulated ms or None, rss_kb)
        self.stop = threading.Event()

    def run(self):
        t0 = mono()
        while True:
            try:
                self.samples.append((mono() - t0, self.sim_at(), self.d.rss_kb()))
            except OSError:
                return
            if self.stop.wait(self.every_s):
                return


# ---- the disruptions ----

def schedule(a, span_ms, rnd):
    """Simulated offsets (ms) and kinds; none in the last few simulated minutes, so the end
    state is reached with Redis up and the feed connected."""
    out, t = [], 0.0
    end = span_ms / 60000 - a.quiet_end_min
    while True:
        t += rnd.uniform(a.every_min[0], a.every_min[1])
        if t >= end:
            return out
        kind = rnd.choice(("cut", "cut", "redis-empty", "redis-stale"))
        out.append((int(t * 60000), kind))


class Controller(threading.Thread):
    def __init__(self, a, plan, sender, redis, rnd):
        super().__init__(daemon=True)
        self.a, self.plan, self.sender, self.redis, self.rnd = a, plan, sender, redis, rnd
        self.outages = []    # (kind, killed, up, recovered or None)
        self.error = None
        self.c = Resp(redis.port)

    def clock(self):
        """rexiand's clock as last written to Redis (near the end of each flush): once it
        is back to where it was before the kill, a flush after the reconnect is in."""
        try:
            v = self.c.cmd("HGET", f"{PREFIX}:live", "clock_ms")
            return None if v is None else int(v)
        except (OSError, ConnectionError, RuntimeError):
            return None

    def run(self):
        try:
            for off_ms, kind in self.plan:
                due = self.sender.t0 + off_ms / 1000 / self.a.speed
                while mono() < due and self.sender.done_at is None:
                    time.sleep(min(0.05, due - mono()))
                if self.sender.done_at is not None:
                    break
                if kind == "cut":
                    pause = self.rnd.uniform(*self.a.cut_pause_s)
                    self.sender.request_cut(pause, self.rnd.random() < 0.5).wait(30)
                else:
                    self.restart_redis(kind)
        except Exception as e:
            self.error = e
        self.c.close()

    def restart_redis(self, kind):
        if kind == "redis-stale":
            # a snapshot now; rexiand goes on writing; the restart loads the old snapshot
            self.c.cmd("SAVE")
            time.sleep(self.rnd.uniform(0.3, 1.5))
        before = self.clock() or 0
        killed = mono()
        self.redis.kill()
        self.c.close()
        time.sleep(self.rnd.uniform(*self.a.redis_down_s))
        self.redis.start(fresh=(kind == "redis-empty"))
        up = mono()
        recovered = None
        end = up + 30
        while mono() < end:   # rexiand is back and a whole flush (ending in PUBLISH) is in
            try:
                clients = self.c.cmd("CLIENT", "LIST").decode()
            except (OSError, ConnectionError, RuntimeError):
                clients = ""
            if " cmd=publish " in clients:
                v = self.clock()
                if v is not None and v >= before:
                    recovered = mono()
                    break
            time.sleep(0.01)
        self.outages.append((kind, killed, up, recovered))


# ---- replay and the expected Redis state ----

class Replayer:
    def __init__(self, rexian):
        self.rexian = rexian

    def files(self, paths):
        out = subprocess.run([self.rexian, "replay", "--json", *paths], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return json.loads(out.stdout)

    def data(self, data):
        out = subprocess.run([self.rexian, "replay", "--json", "-"], input=data, check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return json.loads(out.stdout)


def scopes_of(rep):
    """replay --json -> {redis scope name: metrics}"""
    out = {"global": rep["global"], "outbound": rep["outbound"]}
    for kind, pre in (("queues", "queue"), ("seats", "seat"), ("platforms", "platform")):
        for name, m in rep[kind].items():
            out[f"{pre}:{name}"] = m
    return out


ZERO = {"answered": 0, "abandoned": 0, "within_sl": 0, "completed": 0, "long_talks": 0,
        "stale": 0, "wait_ms": 0, "talk_ms": 0, "max_talk_ms": -1, "outcomes": {}}


def raw_of(m):
    """A replay scope's metrics back into rexian's counters (sums are whole milliseconds,
    so avg * n * 1000 rounds back to them exactly)."""
    if m is None:
        return dict(ZERO)
    return {"answered": m["answered"], "abandoned": m["abandoned"],
            "within_sl": m["answered_within_sl"], "completed": m["completed"],
            "long_talks": round(m["long_talk_share"] * m["completed"]) if m["completed"] else 0,
            "stale": m["stale"],
            "wait_ms": round(m["avg_wait_s"] * m["answered"] * 1000) if m["answered"] else 0,
            "talk_ms": round(m["avg_talk_s"] * m["completed"] * 1000) if m["completed"] else 0,
            "max_talk_ms": round(m["max_talk_s"] * 1000) if m["max_talk_s"] is not None else -1,
            "outcomes": dict(m.get("outcomes") or {})}


def raw_minus(a, b):
    """Counters of (cut, end]: all minus before the cut. A maximum does not subtract: it is
    known only when nothing completed before the cut (None: not checked)."""
    out = {k: a[k] - b[k] for k in ZERO if k not in ("max_talk_ms", "outcomes")}
    out["max_talk_ms"] = a["max_talk_ms"] if b["completed"] == 0 else None
    out["outcomes"] = {k: v - b["outcomes"].get(k, 0) for k, v in a["outcomes"].items()}
    return out


def derive(c):
    """rx_metrics_derive in Python: the same doubles, operation for operation."""
    offered = c["answered"] + c["abandoned"]

    def ratio(num, den, scale=1):
        return None if den == 0 else float(num) / float(den) / scale

    out = {"offered": offered, "answered": c["answered"], "abandoned": c["abandoned"],
           "answered_within_sl": c["within_sl"],
           "service_level": ratio(c["within_sl"], offered),
           "connect_rate": ratio(c["answered"], offered),
           "abandon_rate": ratio(c["abandoned"], offered),
           "avg_wait_s": ratio(c["wait_ms"], c["answered"], 1000),
           "completed": c["completed"],
           "avg_talk_s": ratio(c["talk_ms"], c["completed"], 1000),
           "long_talk_share": ratio(c["long_talks"], c["completed"]),
           "max_talk_s": "?" if c["max_talk_ms"] is None else
           (None if c["max_talk_ms"] < 0 else c["max_talk_ms"] / 1000),
           "stale": c["stale"]}
    for k, v in c["outcomes"].items():
        out["outcome:" + k] = v if v else None
    return out


def raw_fields(c):
    """The fields of a day or minute bucket that replay determines."""
    out = {"offered": c["answered"] + c["abandoned"], "answered": c["answered"],
           "abandoned": c["abandoned"], "answered_within_sl": c["within_sl"],
           "completed": c["completed"], "long_talks": c["long_talks"], "stale": c["stale"],
           "wait_ms_sum": c["wait_ms"], "talk_ms_sum": c["talk_ms"]}
    for k, v in c["outcomes"].items():
        out["outcome:" + k] = v if v else None
    return out


BUCKET_UNCHECKED = ("abandon_wait_ms_sum", "max_talk_ms", "seats_logged_in_max",
                    "seats_logged_in_avg")


def compare_hash(key, got, want, diffs, stats, unchecked=()):
    """Field by field: counts exactly, reals as the same double, null = absent."""
    stats["hashes"] += 1
    for f in sorted(set(got) | set(want)):
        if f in unchecked:
            continue
        w = want.get(f)
        if w == "?":
            stats["skipped"] += 1
            continue
        g = got.get(f)
        stats["fields"] += 1
        if w is None:
            ok = g is None
        elif g is None:
            ok = False
        elif isinstance(w, float):
            ok = float(g) == w
        else:
            ok = g == str(w)
        if not ok:
            diffs.append(f"{key} {f}: redis {g!r}, replay {w!r}")


def local(ms):
    return datetime.fromtimestamp(ms / 1000, TZ)


def day_start_ms(ms):
    d = local(ms)
    return int(datetime(d.year, d.month, d.day, tzinfo=TZ).timestamp() * 1000)


def shift_start_ms(ms):
    d = local(ms)
    best = None
    for back in (0, 1):
        day = (d - timedelta(days=back)).date()
        for h, m in SHIFTS:
            s = int(datetime(day.year, day.month, day.day, h, m, tzinfo=TZ).timestamp() * 1000)
            if s <= ms and (best is None or s > best):
                best = s
    return best


def check_redis(a, rx, redis_port, journal_dir, diffs):
    """Redis against replay of the journal; returns counts of what was compared."""
    stats = collections.Counter()
    jfiles = sorted(os.path.join(journal_dir, f) for f in os.listdir(journal_dir)
                    if f.startswith("rexian-") and f.endswith(".ndjson"))
    full = rx.files(jfiles)
    full_sc = {k: raw_of(m) for k, m in scopes_of(full).items()}
    events = []
    for p in jfiles:
        with open(p, "rb") as f:
            for line in f:
                if line.strip():
                    events.append((round(json.loads(line)["ts"] * 1000), line))
    events.sort(key=lambda e: e[0])
    ts = [e[0] for e in events]
    blob = [e[1] for e in events]
    cache = {}

    def before(cut_ms):
        """Counters of every scope for the facts stamped before cut_ms: replay of the
        events before it (a fact is stamped with its call's latest event so far)."""
        k = bisect.bisect_left(ts, cut_ms)
        if k not in cache:
            if k == len(ts):
                cache[k] = full_sc
            else:
                rep = rx.data(b"".join(blob[:k])) if k else None
                cache[k] = {} if rep is None else {s: raw_of(m) for s, m in scopes_of(rep).items()}
        return cache[k]

    r = Resp(redis_port)
    keys = sorted(k.decode() for k in r.cmd("KEYS", f"{PREFIX}:*"))
    live = r.hgetall(f"{PREFIX}:live")
    now = int(live.get("clock_ms", "0"))
    if now != ts[-1]:
        diffs.append(f"{PREFIX}:live clock_ms: redis {now}, newest journal event {ts[-1]}")
    cuts = {"all": None, "today": day_start_ms(now), "shift": shift_start_ms(now),
            "1h": now - 3600000 + 1, "15m": now - 900000 + 1}
    for win in WINDOWS:
        base = before(cuts[win]) if cuts[win] is not None else {}
        for scope, c in full_sc.items():
            want = derive(raw_minus(c, base.get(scope, ZERO)))
            key = f"{PREFIX}:{win}:{scope}"
            compare_hash(key, r.hgetall(key), want, diffs, stats)
    # no hash for a scope replay does not know
    known = {f"{PREFIX}:{w}:{s}" for w in WINDOWS for s in full_sc}
    for k in keys:
        if k.split(":")[1] in WINDOWS and k not in known:
            diffs.append(f"{k}: in Redis, but replay has no such scope")
    # day buckets: (day start, next day start]
    days = sorted({day_start_ms(t) for t in ts})
    for d0 in days:
        d1 = day_start_ms(d0 + 36 * 3600000)
        lo, hi = before(d0), before(d1)
        code = local(d0).strftime("%Y%m%d")
        for scope, c in hi.items():
            want = raw_fields(raw_minus(c, lo.get(scope, ZERO)))
            if want["offered"] == 0 and want["completed"] == 0 and want["stale"] == 0:
                continue
            key = f"{PREFIX}:day:{code}:{scope}"
            compare_hash(key, r.hgetall(key), want, diffs, stats, BUCKET_UNCHECKED)
            stats["day buckets"] += 1
    # minute buckets, unless skipped: every minute the feed covers
    if not a.skip_minutes:
        m0 = ts[0] - ts[0] % 60000
        mins = range(m0, ts[-1] + 60000, 60000)
        minute_keys = {k for k in keys if k.startswith(f"{PREFIX}:min:")}
        seen = set()
        for m in mins:
            lo, hi = before(m), before(m + 60000)
            code = local(m).strftime("%Y%m%d%H%M")
            for scope, c in hi.items():
                want = raw_fields(raw_minus(c, lo.get(scope, ZERO)))
                key = f"{PREFIX}:min:{code}:{scope}"
                if all(v in (0, None) for v in want.values()):
                    got = r.hgetall(key) if key in minute_keys else {}
                    if any(v != "0" for f, v in got.items() if f not in BUCKET_UNCHECKED):
                        diffs.append(f"{key}: replay counts nothing here, redis has {got}")
                    seen.add(key)
                    continue
                compare_hash(key, r.hgetall(key), want, diffs, stats, BUCKET_UNCHECKED)
                stats["minute buckets"] += 1
                seen.add(key)
        for k in sorted(minute_keys - seen):
            got = r.hgetall(k)
            if any(v != "0" for f, v in got.items() if f not in BUCKET_UNCHECKED):
                diffs.append(f"{k}: in Redis, outside the feed's minutes or scopes: {got}")
    r.close()
    stats["replays"] = len(cache) + 1
    return full, stats


def same_replay(x, y, diffs):
    """Two replay outputs with the same figures in every scope."""
    sx, sy = scopes_of(x), scopes_of(y)
    for s in sorted(set(sx) | set(sy)):
        if sx.get(s) != sy.get(s):
            diffs.append(f"scope {s}: journal {sx.get(s)} != sent feed {sy.get(s)}")


# ---- reporting ----

def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def spark(vals):
    bars = "▁▂▃▄▅▆▇█"
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return bars[0] * len(vals)
    return "".join(bars[min(7, int((v - lo) / (hi - lo) * 8))] for v in vals)


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def main():
    p = argparse.ArgumentParser(
        description="Soak rexiand: simulated hotline traffic paced into it, with Redis "
        "restarts and feed cuts; RSS curve, event-to-Redis latency, and Redis == replay "
        "of the journal at the end.")
    p.add_argument("build", nargs="?", default="build", help="build directory (build)")
    p.add_argument("--hours", type=float, default=1.0, help="simulated hours of arrivals (1)")
    p.add_argument("--speed", type=float, default=50.0, help="times real time (50)")
    p.add_argument("--rate", type=int, default=3000,
                   help="rexian sim --rate: inbound calls per hour at the 10:00 peak (3000)")
    p.add_argument("--start", default="2026-03-02T09:00:00+08:00",
                   help="simulated start (a Monday 09:00 in Shanghai)")
    p.add_argument("--seed", type=int, default=1, help="seed of the traffic and of the disruptions (1)")
    p.add_argument("--platforms", default="市区:3,县区:2", help="rexian sim --platforms")
    p.add_argument("--every-min", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"),
                   help="simulated minutes between disruptions, uniform (2 8)")
    p.add_argument("--quiet-end-min", type=float, default=5.0,
                   help="no disruption in the feed's last simulated minutes (5)")
    p.add_argument("--redis-down-s", type=float, nargs=2, default=(0.3, 3.0), metavar=("MIN", "MAX"),
                   help="wall seconds Redis stays down (0.3 3)")
    p.add_argument("--cut-pause-s", type=float, nargs=2, default=(0.05, 1.5), metavar=("MIN", "MAX"),
                   help="wall seconds before the sender reconnects (0.05 1.5)")
    p.add_argument("--resend-s", type=float, default=2.0,
                   help="wall seconds of events re-sent after a reconnect (2)")
    p.add_argument("--flush-ms", type=int, default=1000, help="rexiand --flush-ms (1000)")
    p.add_argument("--poll-ms", type=float, default=10.0, help="latency poll interval (10)")
    p.add_argument("--rss-every-s", type=float, default=2.0, help="RSS sample interval (2)")
    p.add_argument("--skip-minutes", action="store_true",
                   help="do not check the minute buckets (one replay per minute)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = p.parse_args()

    rexian = os.path.join(a.build, "src", "rexian")
    rexiand = os.path.join(a.build, "src", "rexiand")
    for exe in (rexian, rexiand):
        if not os.access(exe, os.X_OK):
            sys.exit(f"soak: no {exe}: build first (meson setup {a.build} && ninja -C {a.build})")
    if shutil.which("redis-server") is None:
        sys.exit("soak: no redis-server (apt-get install redis-server)")
    if a.resend_s * a.speed >= 600:
        sys.exit("soak: --resend-s x --speed must stay well inside rexiand's --dedup-s (600 s)")

    tmp = tempfile.mkdtemp(prefix="rexian-soak-")
    redis = d = None
    load0 = os.getloadavg()
    try:
        # the traffic
        feed_path = os.path.join(tmp, "feed.ndjson")
        sim = [rexian, "sim", "--hours", str(a.hours), "--rate", str(a.rate), "--seed", str(a.seed),
               "--start", a.start, "--platforms", a.platforms]
        with open(feed_path, "wb") as f:
            subprocess.run(sim, stdout=f, check=True)
        with open(feed_path, "rb") as f:
            lines = [l for l in f if l.strip()]
        ts_ms, answer_idx, outbound, nans = [], [], set(), 0
        for l in lines:
            e = json.loads(l)
            ts_ms.append(round(e["ts"] * 1000) if isinstance(e["ts"], (int, float)) else None)
            if e["event"] == "offer" and e.get("direction") == "out":
                outbound.add(e["call"])
            if e["event"] == "answer" and e["call"] not in outbound:
                answer_idx.append(nans)
                nans += 1
            else:
                answer_idx.append(-1)
        if None in ts_ms or any(x > y for x, y in zip(ts_ms, ts_ms[1:])):
            sys.exit("soak: the simulated feed is not sorted by numeric ts")
        rx = Replayer(rexian)
        want_feed = rx.files([feed_path])
        span_ms = ts_ms[-1] - ts_ms[0]
        log(f"{len(lines)} events over {span_ms / 3.6e6:.2f} simulated hours, "
            f"{want_feed['global']['offered']} inbound calls offered; sending at {a.speed:g}x "
            f"takes {span_ms / 1000 / a.speed:.0f} s")

        rnd = random.Random(a.seed)
        plan = schedule(a, span_ms, rnd)
        redis = RedisServer(tmp, free_port())
        redis.start(fresh=True)
        d = Rexiand(rexiand, tmp, redis.port, a.flush_ms)
        d.start()

        sender = Sender(a, d.feed_port, lines, ts_ms, answer_idx)
        poller = Poller(redis.port, sender, a.poll_ms / 1000)

        def sim_at():
            return None if sender.t0 is None else \
                min(ts_ms[-1], ts_ms[0] + (mono() - sender.t0) * a.speed * 1000)

        rss = RssSampler(d, a.rss_every_s, sim_at)
        ctl = Controller(a, plan, sender, redis, random.Random(a.seed * 7919 + 1))
        cpu0 = d.cpu_s()
        rss.start()
        time.sleep(min(a.rss_every_s, 1.0))
        sender.t0 = mono() + 0.2
        poller.start()
        sender.start()
        ctl.start()
        last = mono()
        while sender.is_alive():
            sender.join(1.0)
            if mono() - last >= 15:
                last = mono()
                log(f"{sender.sent_lines}/{len(lines)} events sent, "
                    f"{len(sender.cuts)} cuts, {len(ctl.outages)} Redis restarts, "
                    f"RSS {mb(d.rss_kb())}")
        ctl.join()
        for t in (sender, ctl):
            if t.error:
                raise t.error
        send_s = sender.done_at - sender.t0

        # drain: every event counted, the idle feed settled, Redis caught up
        want_answered = want_feed["global"]["answered"]
        end = mono() + 60
        while mono() < end and poller.seen < want_answered:
            time.sleep(0.05)
        time.sleep(1.5 + 2 * a.flush_ms / 1000)   # idle settle (1 s), then flushes
        live = d.live()
        r = Resp(redis.port)
        end = mono() + 30
        while mono() < end:
            got = r.hgetall(f"{PREFIX}:all:global")
            if got.get("offered") == str(live["windows"]["all"]["global"]["offered"]) and \
                    r.hgetall(f"{PREFIX}:live").get("clock_ms") == str(ts_ms[-1]):
                break
            time.sleep(0.1)
        r.close()
        # a reconnect to an empty Redis rewrites the kept buckets over several flushes
        while mono() < end and b"\nrexian_redis_buckets_behind 0\n" not in d.get("/metrics"):
            time.sleep(0.1)
        time.sleep(a.flush_ms / 1000)
        poller.stop.set()
        poller.join()
        rss.stop.set()
        rss.join()
        cpu = d.cpu_s() - cpu0
        hwm = None
        with open(f"/proc/{d.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        ingest = live["ingest"]
        code = d.stop()
        load1 = os.getloadavg()

        # the checks
        diffs, jdiffs = [], []
        log("checking Redis against rexian replay of the journal")
        full, cstats = check_redis(a, rx, redis.port, d.journal, diffs)
        same_replay(full, want_feed, jdiffs)
        # the journal keeps what arrived, re-sent lines included; replay drops them again
        # (re-sent seat events are applied again, harmlessly: not newer than the seat's state)
        jin = full["ingest"]
        lost = want_feed["ingest"]["events"] + sender.resent - jin["events"]

        # ---- report ----
        print()
        print(f"rexiand RSS (VmRSS every {a.rss_every_s:g} s wall; simulated time of day):")
        smp = [s for s in rss.samples if s[2] is not None]
        rows = 16
        pick = sorted({round(i * (len(smp) - 1) / (rows - 1)) for i in range(rows)}) if len(smp) > rows \
            else range(len(smp))
        print(f"  {'wall s':>7} {'simulated':>9} {'RSS':>9}")
        for i in pick:
            w, sm, kb = smp[i]
            print(f"  {w:7.1f} {local(sm).strftime('%H:%M') if sm else '-':>9} {mb(kb):>9}")
        vals = [s[2] for s in smp]
        print(f"  {spark(vals)}  ({len(vals)} samples, {mb(min(vals))} .. {mb(max(vals))})")
        q = max(1, len(vals) // 4)
        first_q, last_q = statistics.median(vals[:q]), statistics.median(vals[-q:])
        growth = last_q - first_q

        lat = [(k, s, v) for k, s, v in poller.samples if s is not None]
        missing = want_answered - len(lat)
        windows = [(c, r_) for c, r_, _, _ in sender.cuts]
        windows += [(k_, rec if rec else up) for _, k_, up, rec in ctl.outages]
        und = [v - s for _, s, v in lat if not any(s <= e and v >= b for b, e in windows)]
        allv = sorted(v - s for _, s, v in lat)
        und.sort()

        print()
        print("disruptions (wall s from the start; simulated time of day):")
        ev = [(c, f"feed cut ({'RST' if rst else 'FIN'}, torn line), reconnected after "
               f"{r_ - c:.2f} s, {n} events re-sent") for c, r_, n, rst in sender.cuts]
        ev += [(k_, f"Redis {kind[6:]}: killed, up after {up - k_:.2f} s, state rewritten "
                f"{'after %.2f s more' % (rec - up) if rec else 'NOT SEEN'}")
               for kind, k_, up, rec in ctl.outages]
        for t, what in sorted(ev):
            print(f"  {t - sender.t0:7.1f}  {local(ts_ms[0] + (t - sender.t0) * a.speed * 1000).strftime('%H:%M:%S')}  {what}")

        eq = not diffs
        with open(os.path.join(tmp, "rss.tsv"), "w") as f:
            f.write("wall_s\tsimulated_ms\trss_kb\n")
            f.writelines(f"{w:.1f}\t{sm}\t{kb}\n" for w, sm, kb in smp)
        with open(os.path.join(tmp, "differences.txt"), "w") as f:
            f.writelines(x + "\n" for x in diffs + jdiffs)
        print()
        print(f"Redis equals replay: {'yes' if eq else 'no'}")
        for x in diffs[:20]:
            print("  " + x)
        if len(diffs) > 20:
            print(f"  ... {len(diffs) - 20} more differences"
                  + (f" (all in {tmp}/differences.txt)" if a.keep else " (--keep keeps them all)"))
        print(f"journal equals the sent feed (replay of each): {'yes' if not jdiffs else 'no'} "
              f"(journal {jin['events']:,} events: the feed's {want_feed['ingest']['events']:,} + "
              f"{sender.resent:,} re-sent - {lost} lost in cuts; replay finds {jin['duplicates']:,} "
              f"duplicates, {jin['late']} late)")
        for x in jdiffs[:10]:
            print("  " + x)

        n_empty = sum(1 for o in ctl.outages if o[0] == "redis-empty")
        recs = sorted(o[3] - o[2] for o in ctl.outages if o[3])
        g = want_feed["global"]
        print()
        print("== soak figures ==")
        print(f"traffic      {a.hours:g} h of arrivals ({span_ms / 3.6e6:.2f} h feed span), "
              f"{len(lines):,} events, {g['offered']:,} inbound calls offered "
              f"(rexian sim --rate {a.rate} --seed {a.seed}, from {local(ts_ms[0]).strftime('%Y-%m-%d %H:%M')})")
        print(f"speed        {a.speed:g}x asked, {span_ms / 1000 / send_s:.1f}x achieved "
              f"({send_s:.1f} s of sending)")
        print(f"disruptions  {len(ctl.outages)} Redis restarts ({n_empty} empty, "
              f"{len(ctl.outages) - n_empty} from a stale snapshot; state back "
              f"{recs[0] if recs else 0:.2f}-{recs[-1] if recs else 0:.2f} s after Redis was up), "
              f"{len(sender.cuts)} feed cuts ({sender.resent:,} events re-sent, "
              f"{ingest['duplicates']:,} counted duplicates, {lost} lost in a cut and recovered, "
              f"{ingest['errors']} torn lines counted as errors)")
        print(f"RSS          start {mb(vals[0])}, end {mb(vals[-1])}, max {mb(max(vals))} "
              f"(VmHWM {mb(hwm) if hwm else '?'}); median first quarter {mb(first_q)} -> "
              f"last quarter {mb(last_q)}: {growth / 1024:+.2f} MB ({growth / first_q * 100:+.1f}%, "
              f"{growth / (0.75 * span_ms / 3.6e6):+.0f} KB per simulated hour)")
        print(f"latency      sent -> in Redis, {len(allv):,} answered calls: p50 {pct(allv, 50):.3f} s, "
              f"p99 {pct(allv, 99):.3f} s, max {pct(allv, 100):.3f} s"
              + (f" ({missing} not seen)" if missing else ""))
        print(f"             outside disruptions, {len(und):,}: p50 {pct(und, 50):.3f} s, "
              f"p99 {pct(und, 99):.3f} s, max {pct(und, 100):.3f} s "
              f"(--flush-ms {a.flush_ms}, polled every {a.poll_ms:g} ms)")
        print(f"rexiand      {cpu:.2f} s CPU ({cpu / send_s * 100:.1f}% of a core while sending), "
              f"exit status {code}")
        print(f"machine      {os.cpu_count()} cores, load average {load0[0]:.2f} at start, "
              f"{load1[0]:.2f} at end")
        print(f"equality     Redis equals replay: {'yes' if eq else 'no'} ({cstats['hashes']:,} hashes, "
              f"{cstats['fields']:,} fields: 5 windows x {len(scopes_of(full))} scopes, "
              f"{cstats['day buckets']} day and {cstats['minute buckets']:,} minute buckets"
              f"{', minute buckets not checked' if a.skip_minutes else ''}; "
              f"{cstats['skipped']} window maxima not derivable, skipped); journal equals feed: "
              f"{'yes' if not jdiffs else 'no'}")
        ok = eq and not jdiffs and code == 0 and missing == 0
        return 0 if ok else 1
    finally:
        if d is not None and d.proc is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if redis is not None:
            redis.kill()
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
