"""Shared by the probe's feed tests (send_at_least_once.py, send_auth_tls.py): a real rexiand on free
loopback ports, `rexian replay`, figure comparison, and a synthetic SIP capture. Standard library only.
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import urllib.request

FAILED = []


def check(label, cond, detail=""):
    print("%s %s%s" % ("ok  " if cond else "FAIL", label, "" if cond else ": " + str(detail)[:3000]), flush=True)
    if not cond:
        FAILED.append(label)
    return cond


def finish():
    print("%d failed" % len(FAILED) if FAILED else "all passed", flush=True)
    return 1 if FAILED else 0


# The integration harness's port picker, polling wait and figure comparison.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import figure_diffs as _diff, free_port, wait_for  # noqa: E402


class Rexiand:
    """rexiand on free loopback ports (the same ones across restarts), no Redis, event clock."""

    def __init__(self, binary, tmp, name, scheme="tcp", extra=()):
        self.feed_port, self.http_port = free_port(), free_port()
        self.url = "%s://127.0.0.1:%d" % (scheme, self.feed_port)
        self.log_path = os.path.join(tmp, name + ".log")
        self.args = [binary, "--listen", self.url, "--http", "127.0.0.1:%d" % self.http_port,
                     "--redis", "none", "--clock", "event", *extra]
        self.proc = None

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not wait_for(lambda: self.proc.poll() is not None or self.get("/healthz") is not None, 60) \
                or self.proc.poll() is not None:
            raise RuntimeError("rexiand did not start: " + self.read_log())
        return self

    def get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http_port, path), timeout=5) as r:
            return r.read()

    def live(self):
        return json.loads(self.get("/api/live"))

    def metric(self, name):
        for line in self.get("/metrics").decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait()
            self.proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)       # a stopped process cannot act on SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def replay(rexian, path):
    out = subprocess.run(["timeout", "60", rexian, "replay", "--json", path], check=True, capture_output=True)
    return json.loads(out.stdout)


CALL_KEYS = ("offered", "answered", "abandoned", "completed")


def settled(d, want):
    """rexiand's all-time global call figures equal want's (the event clock decides abandons late)."""
    g = d.live()["windows"]["all"]["global"]
    return all(g[k] == want["global"][k] for k in CALL_KEYS)


def diff_figures(live_all, want):
    """Metric differences between rexiand's `all` window and `rexian replay --json` (reals to 1e-9)."""
    diffs = []
    for kind in ("global", "outbound"):
        diffs += _diff(live_all[kind], want[kind], kind)
    for kind in ("queues", "seats", "platforms"):
        for name in set(want[kind]) | set(live_all[kind]):
            diffs += _diff(live_all[kind].get(name, {}), want[kind].get(name, {}), "%s.%s" % (kind, name))
    return diffs


# ---- a synthetic capture: SIP over UDP/IPv4/Ethernet, one hop, calls of every outcome ----

def _frame(src, dst, payload):
    sport = dport = 5060
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp


def _sip(first, call, cseq, branch, to_tag=None, contact=None):
    to = "<sip:%s@10.0.0.2>" % call["queue"] + (";tag=%s" % to_tag if to_tag else "")
    lines = [first, "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s" % branch,
             "From: <sip:%s@10.0.0.1>;tag=f%d" % (call["caller"], call["n"]), "To: " + to,
             "Call-ID: %s" % call["id"], "CSeq: %s" % cseq, "Max-Forwards: 70"]
    if contact:
        lines.append("Contact: <sip:%s@10.0.0.3:5060>" % contact)
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()


def _call_messages(call, t, rnd):
    """(time, src, dst, message) of one call: answered, cancelled by the caller, or busy."""
    n, inv = call["n"], "INVITE sip:%s@10.0.0.2 SIP/2.0" % call["queue"]
    b, tag = "inv%d" % n, "t%d" % n
    up, down = ("10.0.0.1", "10.0.0.2"), ("10.0.0.2", "10.0.0.1")
    msgs = [(t, up, _sip(inv, call, "1 INVITE", b)),
            (t + 0.05, down, _sip("SIP/2.0 180 Ringing", call, "1 INVITE", b, tag))]
    wait = rnd.uniform(0.2, 4.0)
    kind = rnd.random()
    if kind < 0.7:
        talk = rnd.uniform(0.5, 6.0)
        msgs += [(t + wait, down, _sip("SIP/2.0 200 OK", call, "1 INVITE", b, tag, call["seat"])),
                 (t + wait + 0.01, up, _sip("ACK sip:%s@10.0.0.3 SIP/2.0" % call["seat"], call, "1 ACK", "ack%d" % n, tag)),
                 (t + wait + talk, up, _sip("BYE sip:%s@10.0.0.3 SIP/2.0" % call["seat"], call, "2 BYE", "bye%d" % n, tag)),
                 (t + wait + talk + 0.01, down, _sip("SIP/2.0 200 OK", call, "2 BYE", "bye%d" % n, tag))]
    elif kind < 0.9:
        msgs += [(t + wait, up, _sip("CANCEL sip:%s@10.0.0.2 SIP/2.0" % call["queue"], call, "1 CANCEL", b)),
                 (t + wait + 0.01, down, _sip("SIP/2.0 200 OK", call, "1 CANCEL", b, tag)),
                 (t + wait + 0.02, down, _sip("SIP/2.0 487 Request Terminated", call, "1 INVITE", b, tag)),
                 (t + wait + 0.03, up, _sip("ACK sip:%s@10.0.0.2 SIP/2.0" % call["queue"], call, "1 ACK", b, tag))]
    else:
        msgs += [(t + wait, down, _sip("SIP/2.0 486 Busy Here", call, "1 INVITE", b, tag)),
                 (t + wait + 0.01, up, _sip("ACK sip:%s@10.0.0.2 SIP/2.0" % call["queue"], call, "1 ACK", b, tag))]
    return msgs


def write_capture(path, calls, seconds, seed=5, start=1772409600.0):
    """A pcap of `calls` calls starting over `seconds` of capture time; returns the capture's span (s)."""
    rnd = random.Random(seed)
    msgs = []
    for n in range(calls):
        call = {"n": n, "id": "synth-%d-%d@10.0.0.1" % (seed, n), "queue": rnd.choice(["12345", "12345", "96110"]),
                "caller": "1380013%04d" % n, "seat": "800%d" % rnd.randrange(8)}
        msgs += _call_messages(call, start + seconds * n / calls, rnd)
    msgs.sort(key=lambda m: m[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, (src, dst), sip in msgs:
            fr = _frame(src, dst, sip)
            us = int(round(t * 1e6))
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)) + fr)
    return msgs[-1][0] - msgs[0][0]


def probe_events(probe, path):
    """What `rexian-probe -r` writes for a capture: the reference feed."""
    out = subprocess.run(["timeout", "60", probe, "--all-calls", "-r", path], check=True, capture_output=True)
    return out.stdout


def summary(log):
    """The probe's summary line as a dict of its numbers."""
    for line in log.splitlines():
        if " summary " in line:
            return {k: int(v) for k, v in (w.split("=") for w in line.split() if "=" in w)}
    return {}


def make_cert(tmp, name, san):
    """A self-signed server certificate and key made now with the openssl CLI; returns (cert, key)."""
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    subprocess.run(["timeout", "60", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=rexian test " + name, "-addext", "subjectAltName=" + san],
                   check=True, capture_output=True)
    return cert, key
