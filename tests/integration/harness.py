"""Throwaway real services for rexian's integration tests.

Each test starts its own redis-server (persistence off, data in a temp dir) and rexiand on
free loopback ports, talks to them over real sockets, and stops them by PID. Only the
Python standard library is used; Redis is read with a small RESP client.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BUILD = os.environ.get("REXIAN_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
REXIAND = os.path.join(BUILD, "src", "rexiand")
REXIAN = os.path.join(BUILD, "src", "rexian")

failures = []


def check(cond, what):
    """Records a failed expectation; the test exits non-zero at the end if any failed."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def finish():
    if failures:
        print(f"{len(failures)} expectation(s) failed", flush=True)
        sys.exit(1)
    print("ok", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except OSError:
            pass
        time.sleep(step)
    return False


class Redis:
    """A private redis-server and a minimal RESP client for it."""

    def __init__(self, port=None, password=None):
        self.port = port or free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="rexian-redis-")
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--enable-debug-command", "local"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: self.cmd("PING") in ("PONG", b"PONG")):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cmd(self, *args):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            f = s.makefile("rb")
            if self.password:
                s.sendall(_resp(["AUTH", self.password]))
                _read(f)
            s.sendall(_resp(args))
            return _read(f)

    def hgetall(self, key):
        flat = self.cmd("HGETALL", key) or []
        return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}

    def hgetall_many(self, keys):
        """{key: hash} of many keys over one pipelined connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            f = s.makefile("rb")
            if self.password:
                s.sendall(_resp(["AUTH", self.password]))
                _read(f)
            s.sendall(b"".join(_resp(["HGETALL", k]) for k in keys))
            out = {}
            for k in keys:
                flat = _read(f) or []
                out[k] = {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}
            return out

    def keys(self, pattern="*"):
        return sorted(k.decode() for k in self.cmd("KEYS", pattern) or [])

    def dump(self):
        """Every key and everything in it, whatever its type, as one byte string."""
        read = {"hash": ("HGETALL",), "string": ("GET",), "list": ("LRANGE", 0, -1),
                "set": ("SMEMBERS",), "zset": ("ZRANGE", 0, -1, "WITHSCORES"),
                "stream": ("XRANGE", "-", "+")}
        out = []

        def flat(v):
            if isinstance(v, list):
                for x in v:
                    flat(x)
            elif v is not None:
                out.append(v if isinstance(v, bytes) else str(v).encode())

        for k in self.keys():
            kind = self.cmd("TYPE", k)
            if kind not in read:
                raise RuntimeError(f"Redis key {k} of unknown type {kind}")
            out.append(k.encode())
            flat(self.cmd(read[kind][0], k, *read[kind][1:]))
        return b"\n".join(out)


class Subscriber(threading.Thread):
    """A Redis Pub/Sub command (SUBSCRIBE ch, PSUBSCRIBE *) on its own connection; keeps
    every raw byte received while the test runs, in .data."""

    def __init__(self, port, *command):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(_resp(command))
        self.data = b""

    def run(self):
        try:
            while chunk := self.sock.recv(65536):
                self.data += chunk
        except OSError:
            pass


def _resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _read(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise RuntimeError("bad RESP reply %r" % line)


def metric_of(text, name):
    """The value of an unlabelled sample in a Prometheus text exposition (bytes), or None."""
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


class Rexiand:
    """A rexiand on free loopback ports, its log in a temp file."""

    def __init__(self, redis_url, extra=()):
        self.feed_port = free_port()
        self.http_port = free_port()
        self.log_path = tempfile.mktemp(prefix="rexiand-", suffix=".log")
        self.args = [REXIAND, "--listen", f"tcp://127.0.0.1:{self.feed_port}",
                     "--redis", redis_url, "--http", f"127.0.0.1:{self.http_port}",
                     "--flush-ms", "100", *extra]
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        # generous: under valgrind, starting (and replaying a journal) is 20-50 times slower
        up = wait_for(lambda: self.proc.poll() is not None or self.get("/healthz") is not None,
                      timeout=120)
        if not up or self.proc.poll() is not None:
            raise RuntimeError("rexiand did not start: " + self.read_log())
        return self

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=5) as r:
            return r.read()

    def live(self):
        return json.loads(self.get("/api/live"))

    def metric(self, name):
        return metric_of(self.get("/metrics"), name)

    def send(self, data, chunk=65536, conns=1):
        """Sends the feed split across `conns` connections, line-aligned, in order."""
        lines = data.splitlines(keepends=True)
        per = (len(lines) + conns - 1) // conns
        for i in range(conns):
            part = b"".join(lines[i * per:(i + 1) * per])
            with socket.create_connection(("127.0.0.1", self.feed_port)) as s:
                for j in range(0, len(part), chunk):
                    s.sendall(part[j:j + chunk])

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=120)
            self.proc = None
            self.log.close()
            return code
        return None

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def replay(path, *args):
    out = subprocess.run([REXIAN, "replay", "--json", *args, path], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return json.loads(out.stdout)


def make_feed(seed=7, calls=400, start=1772409600, dirt=True):
    """A hotline feed with known dirt: repeated lines, events displaced by a few seconds,
    skewed clocks, bad lines, outbound calls, seat events, caller numbers."""
    rnd = random.Random(seed)
    events = []
    seats = [f"s{i}" for i in range(12)]
    for s in seats:
        events.append((start - 60, {"ts": start - 60, "event": "seat", "seat": s, "state": "login"}))
        events.append((start - 59, {"ts": start - 59, "event": "seat", "seat": s, "state": "ready"}))
    t = start
    for i in range(calls):
        t += rnd.expovariate(1 / 9.0)
        call = f"c{seed}-{i}"
        q = rnd.choice(["12345", "12345", "12345", "一企来", "尚贤"])
        out = rnd.random() < 0.1
        offer = {"ts": round(t, 3), "event": "offer", "call": call, "queue": q,
                 "platform": rnd.choice(["lyg", "zj"]), "caller": f"1380013{i:04d}"}
        if out:
            offer["direction"] = "out"
        events.append((t, offer))
        if rnd.random() < 0.9:
            wait = rnd.choice([rnd.uniform(0, 60), 30.0, 29.999, 30.001])
            talk = rnd.choice([rnd.expovariate(1 / 180.0), 600.0, 600.001])
            seat = rnd.choice(seats)
            ans = {"ts": round(t + wait, 3), "event": "answer", "call": call, "seat": seat}
            hang = {"ts": round(t + wait + talk, 3), "event": "hangup", "call": call,
                    "outcome": rnd.choice(["online", "ticket", "transfer110"])}
            events += [(t + wait, ans), (t + wait + talk, hang)]
        else:
            patience = rnd.uniform(1, 90)
            events.append((t + patience, {"ts": round(t + patience, 3), "event": "hangup", "call": call}))
    events.sort(key=lambda e: e[0])
    lines = [json.dumps(e[1], ensure_ascii=rnd.random() < 0.5) for e in events]
    if dirt:
        # displace events by a few places (a few seconds at most), repeat some, add bad lines
        for i in range(len(lines) - 3):
            if rnd.random() < 0.05:
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
        for i in rnd.sample(range(len(lines)), 10):
            lines.insert(i, lines[i])
        for i, bad in zip(rnd.sample(range(len(lines)), 4),
                          ["not json", "[1,2]", '{"event":"offer","call":"x"}', '{"ts":1,"event":"bogus","call":"y"}']):
            lines.insert(i, bad)
    return ("\n".join(lines) + "\n").encode()


def figure_diffs(a, b, where):
    """The differences between two scope objects of metric name -> value; reals to 1e-9."""
    out = []
    for k in set(a) | set(b):
        x, y = a.get(k), b.get(k)
        if isinstance(x, float) or isinstance(y, float):
            ok = x is not None and y is not None and abs(float(x) - float(y)) <= 1e-9 * max(1, abs(float(y)))
        else:
            ok = x == y
        if not ok:
            out.append(f"{where}.{k}: {x!r} != {y!r}")
    return out


def same_figures(a, b, where):
    """Records a failure for each difference between two scope objects (figure_diffs)."""
    for d in figure_diffs(a, b, where):
        check(False, d)


def redis_hash_as_metrics(h):
    """A Redis metrics hash back into the JSON shape: ints, floats, absent = null."""
    out = {}
    for k, v in h.items():
        if k.startswith("outcome:"):
            out.setdefault("outcomes", {})[k[8:]] = int(v)
        else:
            out[k] = float(v) if any(c in v for c in ".e") else int(v)
    return out


def json_metrics_for_redis(m):
    out = {k: v for k, v in m.items() if v is not None and k != "outcomes"}
    if m.get("outcomes"):
        out["outcomes"] = m["outcomes"]
    return out
