#!/usr/bin/env python3
"""HEP3 input equals file input.

For each capture, `sngrep -I FILE -H udp:127.0.0.1:PORT -N -q` replays its SIP messages as HEP3
datagrams into `rexian-probe --hep-listen udp://127.0.0.1:PORT`, and the events the probe writes must
equal those of `rexian-probe -r FILE` on the same file: the same events with the same fields, and the
same times to the millisecond, except that a time may differ by TS_SLACK_S: sngrep stamps a message
rebuilt from IP fragments with its first fragment's time, the probe (like tshark) with the last's.

usage: hep_replay.py PROBE FILE|DIR...
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


TS_SLACK_S = 0.002


def same(want, got):
    if got is None or len(want) != len(got):
        return False
    key = lambda ev: (ev["call"], ev["event"])
    want = sorted((json.loads(l) for l in want), key=key)
    got = sorted((json.loads(l) for l in got), key=key)
    for a, b in zip(want, got):
        if abs(a.pop("ts") - b.pop("ts")) > TS_SLACK_S or a != b:
            return False
    return True


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(path, text, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if text in open(path, errors="replace").read():
            return True
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    return False


def events_from_file(probe, path):
    out = subprocess.run(["timeout", "60", probe, "--all-calls", "-r", path], check=True,
                         capture_output=True, text=True).stdout
    return sorted(out.splitlines())


def events_from_hep(probe, path, tmp):
    port = free_udp_port()
    out, err = os.path.join(tmp, "hep.ndjson"), os.path.join(tmp, "hep.err")
    p = subprocess.Popen(["timeout", "60", probe, "--all-calls", "--hep-listen", "udp://127.0.0.1:%d" % port,
                          "-w", out], stderr=open(err, "w"))
    if not wait_for(err, "receiving HEP3", p, 10):
        p.kill()
        return None, open(err).read()
    s = subprocess.run(["timeout", "60", "sngrep", "-I", path, "-H", "udp:127.0.0.1:%d" % port, "-N", "-q"],
                       capture_output=True, text=True)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    p.wait()
    if s.returncode != 0:
        return None, "sngrep exited %d: %s" % (s.returncode, s.stderr)
    return sorted(open(out).read().splitlines()), open(err).read()


def main():
    probe, args = os.path.abspath(sys.argv[1]), sys.argv[2:]
    files = []
    for a in args:
        files += sorted(os.path.join(a, f) for f in os.listdir(a)
                        if f.endswith((".pcap", ".pcapng", ".cap"))) if os.path.isdir(a) else [a]
    if shutil.which("sngrep") is None:
        print("FAIL: sngrep is not installed (see scripts/deps/probe.txt)")
        return 1
    bad = 0
    with tempfile.TemporaryDirectory(prefix="rx-probe-hep-") as tmp:
        for path in files:
            want = events_from_file(probe, path)
            got, log = events_from_hep(probe, path, tmp)
            if not want:
                print("FAIL %s: no events from the file: the check would prove nothing" % path)
                bad += 1
            elif not same(want, got):
                bad += 1
                print("FAIL %s\n  file: %s\n  hep:  %s\n  %s" % (path, want, got, log.strip()))
            else:
                print("ok   %s: %d events" % (path, len(want)))
    print("%d passed, %d failed" % (len(files) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
