#!/usr/bin/env python3
"""rexian-probe benchmark: one capture, three readers, one run.

  1. bare libpcap read loop (bench/probe/bare_read.c): the floor, reading the file and nothing else;
  2. rexian-probe --all-calls -r FILE -w /dev/null: the whole pipeline to NDJSON events;
  3. tshark -r FILE -Y sip (SDP off): what an analyst would otherwise run, on the first TSHARK_FRAMES.

The probe and the bare loop run REPEAT times and the run with the least CPU time is kept (the file is in
the page cache after the first read; on a shared machine CPU time is steadier than wall time). Prints
frames/s, SIP messages/s and calls/s per CPU second (one core), the ratios, and peak RSS.
usage: run.py PROBE CAPTURE [REPEAT]   (build the capture with make_capture.sh)
"""
import os
import re
import subprocess
import sys
import tempfile
import time

# tshark gets slower per packet as a sipp capture grows (its SIP call tracking): 10,000 frames/s on the
# first 20,000 frames, 7,500/s on 60,000, no end in sight after 13 CPU minutes on 600,000. It reads
# this many frames, which flatters it.
TSHARK_FRAMES = 60000


def timed(cmd):
    """(wall s, CPU s = user + sys, peak RSS KiB, stdout, stderr) of one run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (cmd[0], e[-500:]))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, o, e


def best(cmd, repeat):
    """The run with the least CPU time: on a shared machine CPU time is steadier than wall time."""
    return min((timed(cmd) for _ in range(repeat)), key=lambda r: r[1])


def main():
    probe, cap = os.path.abspath(sys.argv[1]), sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        bare = os.path.join(tmp, "bare_read")
        subprocess.run(["cc", "-O2", "-o", bare, os.path.join(here, "bare_read.c"), "-lpcap"], check=True)
        rb = best([bare, cap], repeat)
        frames = int(re.search(r"frames=(\d+)", rb[3]).group(1))
        rp = best([probe, "--all-calls", "-r", cap, "-w", "/dev/null"], repeat)
        stats = dict(kv.split("=") for kv in re.search(r"summary (.*)", rp[4]).group(1).split())
        sip, offers = int(stats["sip"]), int(stats["offers"])
        tframes = min(frames, TSHARK_FRAMES)
        rt = best(["tshark", "-r", cap, "-c", str(tframes), "-Y", "sip", "--disable-protocol", "sdp",
                   "-T", "fields", "-e", "sip.Call-ID"], 1)
        tshark_msgs = len(rt[3].splitlines())
        tcalls = offers * tframes / frames
    print("capture: %s: %d frames, %d SIP messages, %d calls (offers)" % (cap, frames, sip, offers))
    print("%-26s %8s %8s %13s %13s %11s %9s" % ("reader", "wall s", "CPU s", "frames/s", "SIP msgs/s",
                                                "calls/s", "RSS MiB"))
    rows = (("bare libpcap loop (floor)", rb, frames, sip, offers), ("rexian-probe -r", rp, frames, sip, offers),
            ("tshark -Y sip (%d frames)" % tframes, rt, tframes, tshark_msgs, tcalls))
    for name, r, f, m, c in rows:
        print("%-26s %8.3f %8.3f %13.0f %13.0f %11.0f %9.1f" % (name, r[0], r[1], f / r[1], m / r[1], c / r[1],
                                                             r[2] / 1024))
    print("(rates per CPU second = one core; probe and bare loop: best of %d runs; tshark: 1 run on the"
          " first %d frames, as it slows down as the file grows)" % (repeat, tframes))
    print("rexian-probe vs tshark: %.0fx the SIP messages per CPU second; vs the bare loop: %.2fx its CPU time"
          % ((sip / rp[1]) / (tshark_msgs / rt[1]), rp[1] / rb[1]))


if __name__ == "__main__":
    main()
