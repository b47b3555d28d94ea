#!/usr/bin/env python3
"""B2BUA topology with real sipp legs on loopback, captured live by rexian-probe on `lo`.

Leg A: the caller (sipp UAC) calls the hotline 12345 at an "ACD" (sipp UAS) that answers itself after
ACD_ANSWER_MS (its IVR) and is hung up by the caller TALK_A_MS after that. Leg B: SEAT_DELAY_MS after
the probe has reported the offers, the ACD side (another sipp UAC) calls seat 8001 (sipp UAS) with
X-Queue-Call-ID naming leg A's Call-ID; the seat rings RING_MS and answers. With
`correlate-header = X-Queue-Call-ID` and `b2bua = yes`, the probe must report one call per caller:
offered at leg A's INVITE, answered by the seat (not by the ACD's own 200) after
SEAT_DELAY_MS + RING_MS (within [that, that + SLACK_MS]), hung up by leg A's BYE, and leg B must not
appear as a call of its own.

usage: b2bua_sipp.py PROBE
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True         # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipp_scenarios import cleanup, free_ports, need, spawn, wait_for, write  # noqa: E402

CALLS, ACD_ANSWER_MS, TALK_A_MS, SEAT_DELAY_MS, RING_MS, TALK_B_MS = 2, 100, 4000, 1000, 700, 1500
SLACK_MS = 1000         # includes noticing the offers and starting the second sipp process

UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{from_user}@[local_ip]:[local_port]>
{extra}Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Content-Length: 0

]]></send>
  <pause milliseconds="{talk}"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""

UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <pause milliseconds="{ring}"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]s[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{user}@[local_ip]:[local_port]>
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


def sipp(tmp, name, args):
    log = open(os.path.join(tmp, name + ".log"), "w")
    common = ["-i", "127.0.0.1", "-m", str(CALLS), "-nostdin", "-timeout", "40s", "-timeout_error"]
    return spawn(["timeout", "60", "sipp"] + args + common, stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp)


def main():
    try:
        return run(os.path.abspath(sys.argv[1]))
    finally:
        cleanup()


def run(probe):
    need("sipp")
    ok = True
    with tempfile.TemporaryDirectory(prefix="rx-probe-b2bua-") as tmp:
        acd, seat, ua, ub = free_ports(4)
        # sipp's call number pairs the legs: call N of leg B (Call-ID legB-N) names call N of leg A (legA-N).
        a_id = "legA-[call_number]@b2bua.test"
        files = {
            "acd": write(os.path.join(tmp, "acd.xml"), UAS.format(name="acd", ring=ACD_ANSWER_MS, user="ivr")),
            "seat": write(os.path.join(tmp, "seat.xml"), UAS.format(name="seat", ring=RING_MS, user="8001")),
            "caller": write(os.path.join(tmp, "caller.xml"), UAC.format(
                name="caller", from_user="13800138000", extra="", talk=TALK_A_MS)),
            "leg_b": write(os.path.join(tmp, "leg_b.xml"), UAC.format(
                name="leg_b", from_user="acd", extra="X-Queue-Call-ID: %s\n" % a_id, talk=TALK_B_MS)),
        }
        conf = write(os.path.join(tmp, "probe.conf"), "[probe]\ncorrelate-header = X-Queue-Call-ID\n"
                     "b2bua = yes\n[queues]\n12345 = 12345\n[seats]\nA01 = 8001\n")
        out, err = os.path.join(tmp, "events.ndjson"), os.path.join(tmp, "probe.err")
        p = spawn(["timeout", "60", probe, "-i", "lo", "--ports", "%d,%d" % (acd, seat), "-c", conf,
                              "-w", out], stderr=open(err, "w"))
        wait_for(err, "capturing on lo", p, 10)
        procs = [sipp(tmp, "acd", ["-sf", files["acd"], "-p", str(acd)]),
                 sipp(tmp, "seat", ["-sf", files["seat"], "-p", str(seat)])]
        time.sleep(0.3)
        procs.append(sipp(tmp, "caller", ["-sf", files["caller"], "127.0.0.1:%d" % acd, "-p", str(ua), "-s",
                                          "12345", "-r", "10", "-recv_timeout", "15000",
                                          "-cid_str", "legA-%u@b2bua.test"]))
        # Leg B starts SEAT_DELAY_MS after the probe has reported every offer, so the delay is a strict
        # lower bound however slowly the sipp processes start.
        deadline = time.time() + 10
        while time.time() < deadline and open(out).read().count('"event":"offer"') < CALLS:
            time.sleep(0.02)
        time.sleep(SEAT_DELAY_MS / 1000)
        procs.append(sipp(tmp, "leg_b", ["-sf", files["leg_b"], "127.0.0.1:%d" % seat, "-p", str(ub), "-s",
                                         "8001", "-r", "10", "-recv_timeout", "15000",
                                         "-cid_str", "legB-%u@b2bua.test"]))
        for q, name in zip(procs, ("acd", "seat", "caller", "leg_b")):
            if q.wait() != 0:
                print("FAIL sipp %s exited %d:\n%s" % (name, q.returncode,
                      open(os.path.join(tmp, name + ".log"), errors="replace").read()[-1500:]))
                ok = False
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait()
        events = [json.loads(l) for l in open(out)]
    calls = {}
    for ev in events:
        calls.setdefault(ev["call"], {})[ev["event"]] = ev
    lo, hi = SEAT_DELAY_MS + RING_MS, SEAT_DELAY_MS + RING_MS + SLACK_MS
    if sorted(calls) != sorted("legA-%d@b2bua.test" % n for n in range(1, CALLS + 1)):
        print("FAIL calls reported: %s (want leg A's Call-IDs only)" % sorted(calls))
        ok = False
    for cid, c in sorted(calls.items()):
        if set(c) != {"offer", "answer", "hangup"}:
            print("FAIL %s: events %s" % (cid, sorted(c)))
            ok = False
            continue
        wait = round((c["answer"]["ts"] - c["offer"]["ts"]) * 1000)
        good = lo <= wait <= hi and c["answer"]["seat"] == "A01" and "outcome" not in c["hangup"]
        print("%s %s: answered by %s after %d ms (want %d..%d), hangup %s" % (
            "ok  " if good else "FAIL", cid, c["answer"]["seat"], wait, lo, hi, c["hangup"].get("outcome", "-")))
        ok &= good
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
