#!/usr/bin/env python3
"""rexian-probe benchmark: one capture, three readers, one run.

  1. bare libpcap read loop (bench/probe/bare_read.c): the floor, reading the file and nothing else;
  2. rexian-probe --all-calls -r FILE -w /dev/null: the whole pipeline to NDJSON events;
  3. tshark -r FILE -Y sip (SDP off, as in shared notes): what an analyst would otherwise run.

Each is run REPEAT times (best wall time kept; the file is in the page cache after the first read).
Prints frames/s, SIP messages/s and calls/s per reader, the ratios, and the probe's peak RSS.
usage: run.py PROBE CAPTURE [REPEAT]   (build the capture with make_capture.sh)
"""
import os
import re
import subprocess
import sys
import tempfile
import time


def timed(cmd):
    """(wall seconds, stdout, stderr) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (cmd[0], err.decode()[-500:]))
    return wall, out.decode(), err.decode()


def best(cmd, repeat):
    runs = [timed(cmd) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def peak_rss_kib(cmd):
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execvp(cmd[0], cmd)
    _, _, ru = os.wait4(pid, 0)
    return ru.ru_maxrss


def main():
    probe, cap = os.path.abspath(sys.argv[1]), sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        bare = os.path.join(tmp, "bare_read")
        subprocess.run(["cc", "-O2", "-o", bare, os.path.join(here, "bare_read.c"), "-lpcap"], check=True)
        wb, out, _ = best([bare, cap], repeat)
        frames = int(re.search(r"frames=(\d+)", out).group(1))
        wp, _, err = best([probe, "--all-calls", "-r", cap, "-w", "/dev/null"], repeat)
        summary = re.search(r"summary (.*)", err).group(1)
        stats = dict(kv.split("=") for kv in summary.split())
        sip, offers = int(stats["sip"]), int(stats["offers"])
        rss = peak_rss_kib([probe, "--all-calls", "-r", cap, "-w", "/dev/null"])
        wt, out, _ = best(["tshark", "-r", cap, "-Y", "sip", "--disable-protocol", "sdp", "-T", "fields",
                           "-e", "sip.Call-ID"], 1)
        tshark_msgs = len(out.splitlines())
    print("capture: %s, %d frames, %d SIP messages, %d calls" % (cap, frames, sip, offers))
    print("%-28s %10s %14s %14s %12s" % ("reader", "wall s", "frames/s", "SIP msgs/s", "calls/s"))
    for name, w in (("bare libpcap loop (floor)", wb), ("rexian-probe -r", wp), ("tshark -Y sip", wt)):
        print("%-28s %10.3f %14.0f %14.0f %12.0f" % (name, w, frames / w, sip / w, offers / w))
    print("rexian-probe vs tshark: %.1fx faster; vs bare loop: %.2fx the floor's time" % (wt / wp, wp / wb))
    print("rexian-probe peak RSS: %.1f MiB; tshark listed %d SIP messages" % (rss / 1024, tshark_msgs))


if __name__ == "__main__":
    main()
