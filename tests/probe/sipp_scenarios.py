#!/usr/bin/env python3
"""sipp scenarios on loopback, seen by rexian-probe live on `lo` and from a capture file.

Seats are sipp UAS processes that ring for a chosen time and then answer, reject (486, 503) or wait
for the caller's CANCEL; callers are sipp UACs that call the hotline number 12345, talk for a chosen
time or give up while it rings. Everything runs over UDP and TCP at once on 127.0.0.1. The probe
captures on `lo` (after dropping root with --user when possible) while dumpcap writes the same traffic
to a file, which the probe then reads with -r. Both event streams must give exactly the calls, seats,
outcomes, waits and talk times the scenarios impose: counts are the scenarios' -m values, waits and
talk times their pauses (a pause is a lower bound; sipp's scheduling and loopback add a little, so
each figure must lie in [pause, pause + SLACK_MS]). Callers are numbered 1380013<call number>; with
--caller-key the probe must never write that number, only HMAC-SHA256(key, number)[:16] in hex, which
this script recomputes. The live probe also prints its health line every second (--stats-s 1).

usage: sipp_scenarios.py PROBE
"""
import collections
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SLACK_MS = 400
HOTLINE = "12345"

UAC_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180"/>
"""

UAC_TALK = """  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="{talk}"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""

UAC_CANCEL = """  <pause milliseconds="{patience}"/>
  <send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
"""

UAC_REJECTED = """  <recv response="{code}"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]
From: <sip:1380013[call_number]@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
"""

UAS_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seat">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{seat}@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
"""

UAS_ANSWER = """  <pause milliseconds="{ring}"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{seat}@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""

UAS_REJECT = """  <pause milliseconds="{ring}"/>
  <send><![CDATA[
SIP/2.0 {code} Rejected
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""

UAS_WAIT_CANCEL = """  <recv request="CANCEL"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
CSeq: 1 INVITE
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""

# name, calls, seat, UAS body, UAC body, expected outcome, ring ms, talk ms, caller patience ms
SCENARIOS = [
    ("answer-fast", 4, "seatA", UAS_ANSWER, UAC_TALK, None, 400, 2200, None),
    ("answer-slow", 3, "seatB", UAS_ANSWER, UAC_TALK, None, 1500, 900, None),
    ("cancel", 3, "seatC", UAS_WAIT_CANCEL, UAC_CANCEL, "cancel", None, None, 1100),
    ("busy", 2, "seatD", UAS_REJECT, UAC_REJECTED, "busy", 300, None, None),
    ("unavailable", 2, "seatE", UAS_REJECT, UAC_REJECTED, "rejected:503", 200, None, None),
]
CODES = {"busy": 486, "rejected:503": 503}
SEAT_IDS = {"seatA": "A01", "seatB": "A02", "seatC": "A03", "seatD": "A04", "seatE": "A05"}


STARTED = []


def spawn(cmd, **kw):
    """Popen that remembers the process, so cleanup() can stop whatever a failed run left behind."""
    p = subprocess.Popen(cmd, **kw)
    STARTED.append(p)
    return p


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            p.terminate()           # the `timeout` wrapper passes SIGTERM on to its child
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def free_ports(n):
    """n ports free for both UDP and TCP on 127.0.0.1 (held until all are picked)."""
    socks, ports = [], []
    while len(ports) < n:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            continue
        socks += [u, t]
        ports.append(port)
    for s in socks:
        s.close()
    return ports


def need(tool):
    if shutil.which(tool) is None:
        sys.exit("FAIL: %s is not installed (see scripts/deps/probe.txt)" % tool)


def wait_for(path, text, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit("FAIL: '%s' never appeared in %s:\n%s" % (text, path, open(path, errors="replace").read()))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def start_sipp(tmp, sc, transport, uas_port, uac_port):
    name, calls, seat, uas_body, uac_body, outcome, ring, talk, patience = sc
    fill = dict(seat=seat, ring=ring, talk=talk, patience=patience, code=CODES.get(outcome))
    tag = "%s-%s" % (name, transport)
    uas_xml = write(os.path.join(tmp, tag + "-uas.xml"), UAS_HEAD.format(**fill) + uas_body.format(**fill))
    uac_xml = write(os.path.join(tmp, tag + "-uac.xml"), UAC_HEAD + uac_body.format(**fill))
    t = ["-t", "t1"] if transport == "tcp" else ["-t", "u1"]
    common = ["-i", "127.0.0.1", "-m", str(calls), "-nostdin", "-timeout", "40s", "-timeout_error"] + t
    log = open(os.path.join(tmp, tag + ".log"), "w")
    uas = spawn(["timeout", "60", "sipp", "-sf", uas_xml, "-p", str(uas_port)] + common,
                           stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    time.sleep(0.3)
    uac = spawn(["timeout", "60", "sipp", "-sf", uac_xml, "127.0.0.1:%d" % uas_port,
                            "-p", str(uac_port), "-s", HOTLINE, "-r", "10", "-recv_timeout", "15000"]
                           + common, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    return tag, uas, uac


def config(tmp):
    seats = "".join("%s = %s\n" % (sid, seat) for seat, sid in SEAT_IDS.items())
    return write(os.path.join(tmp, "probe.conf"),
                 "[probe]\nplatform = test\n[queues]\n12345 = %s\n[seats]\n%s" % (HOTLINE, seats))


KEY = b"rexian-probe-test-key-0123456789"


def caller_hash(call_id):
    """sipp's [call_id] is '<call number>-<pid>@<ip>'; the scenario's caller is 1380013<call number>."""
    number = "1380013" + call_id.split("-")[0]
    return hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()[:32]


def load_calls(path):
    calls = collections.defaultdict(dict)
    for line in open(path):
        if "1380013" in line:
            sys.exit("FAIL: caller number in clear: %s" % line)
        ev = json.loads(line)
        if ev["event"] == "offer" and ev.get("caller") != caller_hash(ev["call"]):
            sys.exit("FAIL: offer caller %s, want HMAC %s: %s" % (ev.get("caller"), caller_hash(ev["call"]), line))
        c = calls[ev["call"]]
        if ev["event"] in c:
            sys.exit("FAIL: %s twice for call %s" % (ev["event"], ev["call"]))
        c[ev["event"]] = ev
    return calls


def classify(calls):
    """Group calls by (seat, outcome) with their waits and talk times in ms."""
    groups = collections.defaultdict(list)
    for cid, c in calls.items():
        if "offer" not in c or "hangup" not in c:
            sys.exit("FAIL: call %s has no offer or no hangup: %s" % (cid, c))
        t0, t2 = c["offer"]["ts"], c["hangup"]["ts"]
        if "answer" in c:
            t1 = c["answer"]["ts"]
            groups[(c["answer"]["seat"], None)].append((round((t1 - t0) * 1000), round((t2 - t1) * 1000)))
        else:
            groups[(None, c["hangup"].get("outcome"))].append((round((t2 - t0) * 1000), None))
    return groups


def check(label, calls, transports):
    groups = classify(calls)
    errors = []
    for name, n, seat, _, _, outcome, ring, talk, patience in SCENARIOS:
        key = (SEAT_IDS[seat], None) if outcome is None else (None, outcome)
        got = groups.pop(key, [])
        want_n = n * len(transports)
        if len(got) != want_n:
            errors.append("%s: %d calls, want %d" % (name, len(got), want_n))
        first = ring if outcome != "cancel" else patience
        for wait, talked in got:
            if not first <= wait <= first + SLACK_MS:
                errors.append("%s: wait %d ms, want %d..%d" % (name, wait, first, first + SLACK_MS))
            if talk is not None and not talk <= talked <= talk + SLACK_MS:
                errors.append("%s: talk %d ms, want %d..%d" % (name, talked, talk, talk + SLACK_MS))
    if groups:
        errors.append("unexpected calls: %s" % dict(groups))
    for e in errors:
        print("FAIL %s: %s" % (label, e))
    if not errors:
        print("ok   %s: %d calls as imposed" % (label, len(calls)))
    return not errors


def same_events(live, read):
    """Live capture and the capture file must give the same events (times within 1 ms)."""
    if set(live) != set(read):
        print("FAIL live vs file: calls differ: %s" % (set(live) ^ set(read)))
        return False
    for cid in live:
        for ev in set(live[cid]) | set(read[cid]):
            a, b = live[cid].get(ev), read[cid].get(ev)
            if a is None or b is None or abs(a["ts"] - b["ts"]) > 0.0015 or \
                    {k: v for k, v in a.items() if k != "ts"} != {k: v for k, v in b.items() if k != "ts"}:
                print("FAIL live vs file: %s %s: %s / %s" % (cid, ev, a, b))
                return False
    print("ok   live capture and capture file give the same events")
    return True


def run(probe, tmp):
    transports = ["udp", "tcp"]
    ports = free_ports(4 * len(SCENARIOS))
    uas_ports = ports[:2 * len(SCENARIOS)]
    plist = ",".join(map(str, uas_ports))
    live_out, live_err = os.path.join(tmp, "live.ndjson"), os.path.join(tmp, "live.err")
    pcap = os.path.join(tmp, "lo.pcapng")
    drop = ["--user", "nobody"] if os.geteuid() == 0 else []
    key = write(os.path.join(tmp, "caller.key"), KEY.decode() + "\n")
    probe_p = spawn(["timeout", "120", probe, "-i", "lo", "--ports", plist, "-c", config(tmp),
                                "-w", live_out, "--caller-key", key, "--stats-s", "1"] + drop,
                               stderr=open(live_err, "w"))
    cap_err = os.path.join(tmp, "dumpcap.err")
    bpf = " or ".join("port %d" % p for p in uas_ports)
    cap = spawn(["timeout", "120", "dumpcap", "-q", "-i", "lo", "-f", bpf, "-w", pcap],
                           stderr=open(cap_err, "w"))
    wait_for(live_err, "capturing on lo", probe_p, 10)
    wait_for(cap_err, "apturing on", cap, 10)
    runs = []
    for i, sc in enumerate(SCENARIOS):
        for j, tr in enumerate(transports):
            runs.append(start_sipp(tmp, sc, tr, uas_ports[2 * i + j], ports[2 * len(SCENARIOS) + 2 * i + j]))
    failed = False
    for tag, uas, uac in runs:
        for p in (uac, uas):
            if p.wait() != 0:
                print("FAIL sipp %s exited %d; log:\n%s" % (tag, p.returncode,
                      open(os.path.join(tmp, tag + ".log"), errors="replace").read()[-2000:]))
                failed = True
    time.sleep(0.5)                     # let both capturers drain the last frames
    for p in (probe_p, cap):
        p.send_signal(signal.SIGTERM)
        p.wait()
    print(open(live_err).read().strip().splitlines()[-1])
    if failed:
        return None                     # sipp itself failed: the probe was not judged
    read_out = os.path.join(tmp, "file.ndjson")
    subprocess.run(["timeout", "60", probe, "-r", pcap, "-c", os.path.join(tmp, "probe.conf"), "-w", read_out,
                    "--caller-key", key], check=True)
    if "rexian-probe: stats " not in open(live_err).read():
        print("FAIL --stats-s 1: no periodic health line on stderr")
        return False
    live, read = load_calls(live_out), load_calls(read_out)
    ok = check("live on lo", live, transports)
    ok = check("capture file", read, transports) and ok
    return same_events(live, read) and ok


def main():
    probe = os.path.abspath(sys.argv[1])
    for tool in ("sipp", "dumpcap"):
        need(tool)
    with tempfile.TemporaryDirectory(prefix="rx-probe-sipp-") as tmp:
        os.chmod(tmp, 0o755)
        try:
            # A sipp that cannot start (a port picked and then taken by another process
            # on a busy machine) says nothing about the probe: try once more, fresh ports.
            ok = run(probe, tmp)
            if ok is None:
                print("sipp failed to run its scenarios; once more with fresh ports")
                cleanup()
                ok = run(probe, tmp)
        finally:
            cleanup()
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
