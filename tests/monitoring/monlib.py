"""Helpers for rexian's monitoring tests: real prometheus and prometheus-alertmanager servers
on loopback, a parser for the Prometheus text exposition format, and feeds.

Builds on tests/integration/harness.py (imported, not modified). Python standard library only.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402  (tests/integration/harness.py)
from harness import check, finish, free_port, wait_for  # noqa: E402,F401

RULES = os.path.join(ROOT, "dashboards", "prometheus", "rexian-rules.yml")
PROM_CONFIG = os.path.join(ROOT, "dashboards", "prometheus", "prometheus.yml")
DASHBOARD = os.path.join(ROOT, "dashboards", "grafana", "rexian.json")
RULES_TEST = os.path.join(HERE, "rules_test.yml")

# A fixed weekday morning (Asia/Shanghai) for simulated feeds: 10:00 is the sim's peak hour.
SIM_START = "2026-03-02T10:00:00+08:00"


def need(*programs):
    """Exits with a clear message when a program the test needs is not installed."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        print("missing programs: %s (scripts/deps/monitoring.txt; run scripts/install-deps)"
              % ", ".join(missing), flush=True)
        sys.exit(1)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def http_json(url, timeout=5):
    return json.loads(http_get(url, timeout)[2])


# ---- the text exposition format (version 0.0.4) ----

class Exposition:
    """types: family -> type; helps: family -> text; samples: [(name, {label: value}, float)]."""

    def __init__(self, text):
        self.types, self.helps, self.samples, self.errors = {}, {}, [], []
        # The format wants each family as one group: HELP / TYPE first, then all its samples.
        done, current = set(), None

        def enter(family, no):
            nonlocal current
            if family == current:
                return
            if family in done:
                self.errors.append("line %d: %s resumes after other families (a family must be "
                                   "one group)" % (no, family))
            if current is not None:
                done.add(current)
            current = family

        for no, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 3 and parts[1] == "TYPE":
                    if parts[2] in self.types:
                        self.errors.append("line %d: second TYPE for %s" % (no, parts[2]))
                    self.types[parts[2]] = parts[3].strip() if len(parts) > 3 else ""
                    enter(parts[2], no)
                elif len(parts) >= 3 and parts[1] == "HELP":
                    self.helps[parts[2]] = parts[3] if len(parts) > 3 else ""
                    enter(parts[2], no)
                continue
            try:
                sample = _sample(line)
            except ValueError as e:
                self.errors.append("line %d: %s: %r" % (no, e, line[:200]))
                continue
            self.samples.append(sample)
            name = sample[0]
            family = name
            if name not in self.types:
                for suffix in ("_bucket", "_sum", "_count"):
                    if name.endswith(suffix) and name[:-len(suffix)] in self.types:
                        family = name[:-len(suffix)]
            enter(family, no)

    def find(self, name, /, **labels):
        """Samples of `name` whose labels are exactly `labels`."""
        return [v for n, l, v in self.samples if n == name and l == labels]

    def value(self, name, /, **labels):
        """The one value of name{labels}, or None when absent (or repeated: recorded)."""
        vals = self.find(name, **labels)
        if len(vals) > 1:
            self.errors.append("%s%r appears %d times" % (name, labels, len(vals)))
        return vals[0] if vals else None

    def series(self, name):
        return [(l, v) for n, l, v in self.samples if n == name]


def _sample(line):
    i = 0
    while i < len(line) and (line[i].isalnum() or line[i] in "_:"):
        i += 1
    name = line[:i]
    if not name or name[0].isdigit():
        raise ValueError("bad metric name")
    labels = {}
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            while i < len(line) and line[i] in " ,":
                i += 1
            if i < len(line) and line[i] == "}":
                i += 1
                break
            j = i
            while j < len(line) and (line[j].isalnum() or line[j] == "_"):
                j += 1
            key = line[i:j]
            if not key or line[j:j + 2] != '="':
                raise ValueError("bad label")
            j += 2
            val = []
            while True:
                if j >= len(line):
                    raise ValueError("unterminated label value")
                c = line[j]
                if c == "\\":
                    nxt = line[j + 1:j + 2]
                    val.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
                    j += 2
                elif c == '"':
                    j += 1
                    break
                else:
                    val.append(c)
                    j += 1
            if key in labels:
                raise ValueError("repeated label " + key)
            labels[key] = "".join(val)
            i = j
    rest = line[i:].split()
    if len(rest) not in (1, 2):
        raise ValueError("bad value field")
    value = float(rest[0])  # accepts NaN, +Inf, -Inf as the format does
    return name, labels, value


def close(a, b, rel=1e-9, abs_=0.0):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= max(abs_, rel * max(1.0, abs(float(b))))


# ---- servers ----

class _Server:
    """A child process with a temp dir and a log file, stopped by PID."""

    name = "server"

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rexian-%s-" % self.name)
        self.log_path = os.path.join(self.dir, "log.txt")
        self.proc = None

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _start(self, args, ready_path, timeout=60):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.dir)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited: %s" % (self.name, self.read_log()[-3000:]))
            try:
                return http_get(self.url(ready_path), timeout=2)[0] == 200
            except urllib.error.HTTPError:
                return False
        if not wait_for(ready, timeout=timeout, step=0.2):
            raise RuntimeError("%s not ready in %d s: %s" % (self.name, timeout, self.read_log()[-3000:]))
        return self

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=15)
            self.proc = None
            self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Prometheus(_Server):
    """prometheus with the given config text; extra files are written next to it."""

    name = "prometheus"

    def __init__(self, config_text, files=None):
        super().__init__()
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(config_text)
        for fname, text in (files or {}).items():
            with open(os.path.join(self.dir, fname), "w") as f:
                f.write(text)

    def start(self):
        return self._start(["prometheus", "--config.file=" + self.config,
                            "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                            "--web.listen-address=127.0.0.1:%d" % self.port,
                            "--log.level=warn"], "/-/ready")

    def query(self, expr):
        """The result list of an instant query; raises on an API error."""
        url = self.url("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        try:
            body = http_json(url, timeout=10)
        except urllib.error.HTTPError as e:
            raise RuntimeError("query %r: HTTP %d %s" % (expr, e.code, e.read()[:300]))
        if body.get("status") != "success":
            raise RuntimeError("query %r: %s" % (expr, body))
        return body["data"]["result"]

    def api(self, path):
        return http_json(self.url("/api/v1/" + path), timeout=10)["data"]


class Alertmanager(_Server):
    name = "alertmanager"

    CONFIG = """\
route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""

    def start(self):
        self.config = os.path.join(self.dir, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(self.CONFIG)
        return self._start(["prometheus-alertmanager", "--config.file=" + self.config,
                            "--storage.path=" + os.path.join(self.dir, "data"),
                            "--web.listen-address=127.0.0.1:%d" % self.port,
                            "--cluster.listen-address=", "--log.level=warn"], "/-/ready")

    def alerts(self, **labels):
        """Alerts of GET /api/v2/alerts (active ones by Alertmanager's default filters)
        whose labels include `labels`."""
        out = json.loads(http_get(self.url("/api/v2/alerts"), timeout=5)[2])
        return [a for a in out if all(a.get("labels", {}).get(k) == v for k, v in labels.items())]


# ---- feeds ----

def sim(*args):
    """The NDJSON feed of `rexian sim ARGS` (to stdout, as fast as possible)."""
    out = subprocess.run([harness.REXIAN, "sim", *args], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=120)
    return out.stdout


def line_ts(line):
    """A feed line's ts as epoch seconds, or None (bad lines from --dirt)."""
    try:
        ts = json.loads(line)["ts"]
        return float(ts) if isinstance(ts, (int, float)) else None
    except (ValueError, KeyError, TypeError):
        return None


def send_paced(rexiand, data, step_s=30.0, pause=0.1):
    """Sends the feed on one connection in slices of `step_s` seconds of event time, pausing
    `pause` s of wall time between them, so an event-clock rexiand sees its clock advance
    through the feed (its flushes, and rules with a hold time, run in between)."""
    import socket
    lines = data.splitlines(keepends=True)
    with socket.create_connection(("127.0.0.1", rexiand.feed_port), timeout=30) as s:
        chunk, edge = [], None
        for line in lines:
            ts = line_ts(line)
            if ts is not None and edge is None:
                edge = ts + step_s
            if ts is not None and ts >= edge:
                s.sendall(b"".join(chunk))
                chunk = []
                time.sleep(pause)
                while ts >= edge:
                    edge += step_s
            chunk.append(line)
        s.sendall(b"".join(chunk))


def settle(rexiand, expect_lines, timeout=30.0):
    """Waits until rexiand has read `expect_lines` lines and its snapshot stops changing
    (clock, ingest, live gauges and windows); returns that snapshot, or None."""
    end = time.time() + timeout
    prev = None
    while time.time() < end:
        try:
            live = rexiand.live()
        except OSError:
            live = None
        if live is not None and live["ingest"]["lines"] >= expect_lines:
            key = json.dumps([live.get(k) for k in ("clock", "ingest", "live", "windows")],
                             sort_keys=True)
            if key == prev:
                return live
            prev = key
        time.sleep(0.6)
    return None


def scopes(windows_w):
    """(labels, metrics) for every scope of one window of /api/live: the label set the
    contract gives each scope on /metrics."""
    out = [({"scope": "global"}, windows_w["global"])]
    if windows_w.get("outbound") is not None:
        out.append(({"scope": "outbound"}, windows_w["outbound"]))
    for kind, key in (("queue", "queues"), ("seat", "seats"), ("platform", "platforms")):
        for name, m in (windows_w.get(key) or {}).items():
            out.append(({"scope": kind, "name": name}, m))
    return out


def stop_rexiand(d):
    """Stops rexiand (its exit status must be 0) and shows its log's tail if a check failed."""
    if d.proc is not None:
        code = d.stop()
        check(code == 0, "rexiand exit status %r" % code)
    if harness.failures:
        print("rexiand log (tail):", d.read_log()[-3000:])


def run(main):
    """Runs a test's main, turning an exception into a failed check, then reports."""
    try:
        main()
    except Exception as e:
        traceback.print_exc()
        check(False, "%s: %s" % (type(e).__name__, e))
    finish()
