#!/usr/bin/env python3
"""--send: events reach a collector over TCP, survive a collector restart, and the backlog is bounded.

A stand-in collector (a TCP listener in this script, with no dedup memory) takes the probe's lines.
Captures are replayed into the probe as HEP3 by sngrep. 1) With the collector up, it receives exactly
the events `rexian-probe -r` gives for the file. 2) With re-send off (--send-resend-s 0) the collector
goes away, a second capture is replayed, the collector comes back on the same port: it receives that
capture's events too, nothing twice, nothing cut. 2b) The same with a 60 s re-send window: the lines
handed over before the outage come again, whole, exactly once more, as many as the probe reports
(send_resent), and before the lines buffered during the outage. 3) With a 4 KiB backlog and no collector, more events than fit are produced: when the collector
comes, every line it gets is whole and expected, and lines received + lines the probe reports dropped
(send_dropped) = lines produced.

usage: send_reconnect.py PROBE FIXTURE_DIR
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Collector:
    def __init__(self, port):
        self.port, self.lines, self.srv, self.conns = port, [], None, []
        self.lock = threading.Lock()

    def start(self):
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(4)
        threading.Thread(target=self._accept, args=(self.srv,), daemon=True).start()

    def _accept(self, srv):
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._read, args=(c,), daemon=True).start()

    def _read(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                data = b""
            if not data:
                if buf:
                    with self.lock:
                        self.lines.append(("CUT", buf))
                return
            buf += data
            *done, buf = buf.split(b"\n")
            with self.lock:
                self.lines += [l.decode() for l in done]

    def stop(self):
        # shutdown wakes the thread blocked in accept(); a bare close would leave the listening
        # socket alive until that accept() returned, taking the probe's next connection
        try:
            self.srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.srv.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.conns = []

    def wait(self, n, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline and len(self.lines) < n:
            time.sleep(0.05)
        time.sleep(0.3)                 # and nothing more arrives
        with self.lock:
            return list(self.lines)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def from_file(probe, path):
    return subprocess.run(["timeout", "60", probe, "--all-calls", "-r", path], check=True,
                          capture_output=True, text=True).stdout.splitlines()


def replay(path, hep_port):
    subprocess.run(["timeout", "60", "sngrep", "-I", path, "-H", "udp:127.0.0.1:%d" % hep_port, "-N", "-q"],
                   check=True, capture_output=True)


STARTED = []


def start_probe(probe, tmp, hep_port, col_port, extra):
    err = os.path.join(tmp, "probe-%d.err" % time.time_ns())
    p = subprocess.Popen(["timeout", "120", probe, "--all-calls", "--hep-listen", "udp://127.0.0.1:%d" % hep_port,
                          "--send", "tcp://127.0.0.1:%d" % col_port] + extra, stderr=open(err, "w"))
    STARTED.append(p)
    deadline = time.time() + 10
    while "receiving HEP3" not in open(err).read():
        if time.time() > deadline or p.poll() is not None:
            sys.exit("FAIL: probe did not start: %s" % open(err).read())
        time.sleep(0.05)
    return p, err


def stop_probe(p, err):
    p.send_signal(signal.SIGTERM)
    p.wait()
    return open(err).read()


def outage(col, err, path, hep_port):
    """Stops the collector, and once the probe has noticed, feeds it path; then restarts the collector.
    The feed has no acknowledgements: lines written before the probe sees the close are lost by
    design (docs/probe.md), so the outage starts when the probe has noticed it."""
    col.stop()
    deadline = time.time() + 10
    while "connection lost" not in open(err).read() and time.time() < deadline:
        time.sleep(0.05)
    replay(path, hep_port)
    time.sleep(1.0)
    col.start()


def check(label, cond, detail=""):
    print("%s %s%s" % ("ok  " if cond else "FAIL", label, "" if cond else ": " + str(detail)[:3000]))
    return cond


def main():
    probe, fixtures = os.path.abspath(sys.argv[1]), sys.argv[2]
    if shutil.which("sngrep") is None:
        print("FAIL: sngrep is not installed (see scripts/deps/probe.txt)")
        return 1
    a = os.path.join(fixtures, "sngrep__aaa.pcap")
    b = os.path.join(fixtures, "sipnab__b2bua-asterisk.pcapng")
    many = [os.path.join(fixtures, f) for f in sorted(os.listdir(fixtures))
            if f.endswith((".pcap", ".pcapng", ".cap")) and "wireshark__sip" not in f]
    want_a, want_b = from_file(probe, a), from_file(probe, b)
    ok = True
    with tempfile.TemporaryDirectory(prefix="rx-probe-send-") as tmp:
        hep, cport = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
        col = Collector(cport)
        col.start()
        p, err = start_probe(probe, tmp, hep, cport, ["--send-resend-s", "0"])
        replay(a, hep)
        got = col.wait(len(want_a), 10)
        ok &= check("collector up: all events of %s" % os.path.basename(a), sorted(got) == sorted(want_a), got)
        outage(col, err, b, hep)
        got = col.wait(len(want_a) + len(want_b), 15)
        ok &= check("collector restarted: events buffered meanwhile arrive once, whole",
                    sorted(got) == sorted(want_a + want_b), got)
        log = stop_probe(p, err)
        ok &= check("outage logged once", log.count("buffering and reconnecting") == 1, log)
        col.stop()

        # 2b) re-send: what went before the outage goes again after it
        col = Collector(free_port(socket.SOCK_STREAM))
        col.start()
        p, err = start_probe(probe, tmp, hep, col.port, ["--send-resend-s", "60"])
        replay(a, hep)
        first = col.wait(len(want_a), 10)
        outage(col, err, b, hep)
        got = col.wait(2 * len(want_a) + len(want_b), 15)[len(first):]
        log = stop_probe(p, err)
        m = re.search(r"summary .* send_resent=(\d+)", log)
        resent = int(m.group(1)) if m else -1
        ok &= check("re-send: %d lines before the outage, %d re-sent, then the buffered ones" % (len(first), resent),
                    sorted(first) == sorted(want_a) and resent == len(want_a) and
                    sorted(got[:resent]) == sorted(want_a) and sorted(got[resent:]) == sorted(want_b),
                    "%s\n%s" % (got, log[-1500:]))
        col.stop()

        # 3) bounded backlog
        col = Collector(free_port(socket.SOCK_STREAM))
        p, err = start_probe(probe, tmp, hep, col.port, ["--send-backlog", "4096"])
        produced = []
        for f in many:
            replay(f, hep)
            produced += from_file(probe, f)
        time.sleep(0.5)
        col.start()
        got = col.wait(len(produced), 15)
        log = stop_probe(p, err)
        m = re.search(r"summary .* send_dropped=(\d+)", log)
        dropped = int(m.group(1)) if m else -1
        ok &= check("backlog bound: %d produced, %d received, %d dropped" % (len(produced), len(got), dropped),
                    dropped > 0 and len(got) + dropped == len(produced) and
                    all(isinstance(l, str) and l in produced for l in got),
                    "%d lines received; probe log: %s" % (len(got), log[-1500:]))
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


def main_cleanly():
    try:
        return main()
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.terminate()       # the `timeout` wrapper passes SIGTERM on to its child
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    sys.exit(main_cleanly())
