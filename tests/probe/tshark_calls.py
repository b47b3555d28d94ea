#!/usr/bin/env python3
"""Cross-check rexian-probe against tshark on capture files.

For each capture, tshark dissects the SIP messages (PDML, one <proto name="sip"> per message, so
several messages in one TCP segment stay apart) and this script derives the calls from tshark's
reading with the rules of issue 3: an initial INVITE (no To tag) opens a call; the first 2xx to INVITE
answers it; BYE ends an answered call; before the answer CANCEL ends it as "cancel", a final failure of
the current INVITE transaction as busy (486/600), cancel (487) or rejected:<code>, and a 401/407 that
is never retried as rejected:<code>. It then runs `rexian-probe --all-calls -r FILE` and requires the
same calls: Call-ID, INVITE time, answer time, end time (milliseconds) and final status.

usage: tshark_calls.py PROBE FILE|DIR...   (exit 0 when every file matches)
"""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

FIELDS = ("sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.CSeq.seq", "sip.CSeq.method",
          "sip.to.tag", "sip.r-uri.user", "sip.Via.branch")


def ms(epoch):
    """'1311857686.562096000' -> '1311857686.562' (truncated, like the probe)."""
    sec, _, frac = epoch.partition(".")
    return "%s.%s" % (sec, (frac + "000")[:3])


def tshark_messages(path):
    cmd = ["timeout", "120", "tshark", "-r", path, "-Y", "sip", "-T", "pdml",
           "--disable-protocol", "rtp", "--disable-protocol", "rtcp", "--disable-protocol", "sdp"]
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    for packet in ET.fromstring(out).iter("packet"):
        ts = None
        for proto in packet.iter("proto"):
            if proto.get("name") == "frame":
                for f in proto.iter("field"):
                    if f.get("name") == "frame.time_epoch":
                        ts = ms(f.get("show"))
            if proto.get("name") != "sip":
                continue
            msg = {"ts": ts}
            for f in proto.iter("field"):
                name = f.get("name")
                if name in FIELDS and name not in msg:     # first occurrence: the top Via
                    msg[name] = f.get("show")
            if "sip.Call-ID" in msg and "sip.CSeq.method" in msg:
                yield msg


def fail_outcome(code):
    if code in (486, 600):
        return "busy"
    if code == 487:
        return "cancel"
    return "rejected:%d" % code


def on_response(c, m):
    code = int(m["sip.Status-Code"])
    if code < 200 or c["state"] not in ("ringing", "challenged"):
        return
    if code < 300:
        c.update(state="answered", answer=m["ts"])
        return
    branch = m.get("sip.Via.branch")
    if int(m["sip.CSeq.seq"]) != c["cseq"] or (branch and c["branch"] and branch != c["branch"]):
        return
    if code in (401, 407):
        c.update(state="challenged", chal_ts=m["ts"], chal=code)
    else:
        c.update(state="ended", end=m["ts"], outcome=fail_outcome(code))


def on_invite(calls, m):
    cid, cseq = m["sip.Call-ID"], int(m["sip.CSeq.seq"])
    c = calls.get(cid)
    if c is None:
        calls[cid] = dict(state="ringing", invite=m["ts"], answer=None, end=None, outcome=None,
                          cseq=cseq, branch=m.get("sip.Via.branch"), queue=m.get("sip.r-uri.user"))
    elif c["state"] in ("ringing", "challenged") and cseq > c["cseq"]:
        c.update(state="ringing", cseq=cseq, branch=m.get("sip.Via.branch"))


def tshark_calls(path):
    calls = {}
    for m in tshark_messages(path):
        c = calls.get(m["sip.Call-ID"])
        method = m.get("sip.Method")
        if method == "INVITE" and not m.get("sip.to.tag"):
            on_invite(calls, m)
        elif c is None:
            continue
        elif "sip.Status-Code" in m and m["sip.CSeq.method"] == "INVITE":
            on_response(c, m)
        elif method == "CANCEL" and c["state"] in ("ringing", "challenged"):
            c.update(state="ended", end=m["ts"], outcome="cancel")
        elif method == "BYE" and c["state"] in ("ringing", "challenged", "answered"):
            outcome = None if c["state"] == "answered" else "bye_before_answer"
            c.update(state="ended", end=m["ts"], outcome=outcome)
    for c in calls.values():
        if c["state"] == "challenged":
            c.update(end=c["chal_ts"], outcome="rejected:%d" % c["chal"])
    return {cid: (c["invite"], c["answer"], c["end"], c["outcome"], c["queue"]) for cid, c in calls.items()}


def probe_calls(probe, path):
    out = subprocess.run(["timeout", "60", probe, "--all-calls", "-r", path], check=True,
                         capture_output=True, text=True).stdout
    calls = {}
    for line in out.splitlines():
        ev = json.loads(line)
        c = calls.setdefault(ev["call"], [None, None, None, None, None])
        ts = "%.3f" % ev["ts"]
        if ev["event"] == "offer":
            c[0], c[4] = ts, ev["queue"]
        elif ev["event"] == "answer":
            c[1] = ts
        else:
            c[2], c[3] = ts, ev.get("outcome")
    return {cid: tuple(c) for cid, c in calls.items()}


def capture_files(args):
    for a in args:
        if os.path.isdir(a):
            yield from sorted(os.path.join(a, f) for f in os.listdir(a)
                              if f.endswith((".pcap", ".pcapng", ".cap")))
        else:
            yield a


def main():
    probe, files = sys.argv[1], list(capture_files(sys.argv[2:]))
    if shutil.which("tshark") is None:
        print("FAIL: tshark is not installed (Debian package tshark, listed in scripts/deps/probe.txt)")
        return 1
    if not files:
        print("FAIL: no capture files given")
        return 1
    bad = 0
    for path in files:
        want, got = tshark_calls(path), probe_calls(probe, path)
        if not want:
            print("FAIL %s: tshark found no call: the check would prove nothing" % path)
            bad += 1
        elif want != got:
            bad += 1
            print("FAIL %s" % path)
            for cid in sorted(set(want) | set(got)):
                if want.get(cid) != got.get(cid):
                    print("  %s\n    tshark %s\n    probe  %s" % (cid, want.get(cid), got.get(cid)))
        else:
            print("ok   %s: %d calls" % (path, len(want)))
    print("%d passed, %d failed" % (len(files) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
