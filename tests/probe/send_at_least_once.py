#!/usr/bin/env python3
"""--send is at-least-once: a collector killed mid-stream loses nothing and counts nothing twice.

A synthetic capture (1,500 calls, every outcome) is read by `rexian-probe -r FILE --speed 3 --send URL`
into a real rexiand with a journal. Mid-stream rexiand is stopped (SIGSTOP) for a second, so lines the
probe hands over pile up unread in its socket, then killed with SIGKILL: those lines, and any it had
read but not yet journaled, are gone from the collector. rexiand is restarted on the same port (it
replays its journal) and the probe, on reconnecting, sends its last --send-resend-s seconds again.
At the end rexiand's figures (all-time window: global, outbound, every queue, seat and platform)
must equal `rexian replay` of the probe's own -r output for the capture: nothing lost, nothing counted
twice, and rexiand must have seen duplicates (the re-sent lines it already had). Run over plain TCP
and over TLS with a token. The TCP run uses a 3 s window, shorter than the stream before the stop, so old lines must not
be re-sent. A control run with --send-resend-s 0 must lose events, so the scenario
does hit the loss it claims to cover.

usage: send_at_least_once.py PROBE REXIAND REXIAN
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from feedlib import (CALL_KEYS, Rexiand, check, diff_figures, finish, make_cert, probe_events, replay,
                     settled, summary, wait_for, write_capture)

CALLS, SPAN_S, SPEED = 1500, 20, "3"


def scenario(bins, tmp, cap, want, total, label, tls=False, resend=None):
    probe, rexiand, _ = bins
    journal = os.path.join(tmp, label + "-journal")
    os.mkdir(journal)
    extra, send = ["--journal", journal], []
    if tls:
        cert, key = make_cert(tmp, label, "IP:127.0.0.1")
        tok = os.path.join(tmp, label + ".token")
        with open(tok, "w") as f:
            f.write("at-least-once token\n")
        extra += ["--tls-cert", cert, "--tls-key", key, "--feed-token-file", tok]
        send += ["--send-ca", cert, "--send-token-file", tok]
    if resend is not None:
        send += ["--send-resend-s", str(resend)]
    d = Rexiand(rexiand, tmp, label, "tls" if tls else "tcp", extra).start()
    err_path = os.path.join(tmp, label + "-probe.err")
    env = {k: v for k, v in os.environ.items() if k != "REXIAN_FEED_TOKEN"}
    p = subprocess.Popen(["timeout", "120", probe, "--all-calls", "-r", cap, "--speed", SPEED,
                          "--send", d.url, *send], stderr=open(err_path, "w"), env=env)
    log = lambda: open(err_path, errors="replace").read()
    try:
        check("%s: rexiand receives the stream" % label,
              wait_for(lambda: d.live()["ingest"]["events"] >= total // 2, 30), log())
        before_stop = d.live()["ingest"]["events"]
        d.kill(signal.SIGSTOP)
        time.sleep(1.0)                     # the probe goes on handing lines to the kernel
        d.kill(signal.SIGKILL)
        check("%s: the probe sees the connection lost" % label,
              wait_for(lambda: "connection lost" in log(), 10), log())
        d.start()
        p.wait(90)
        s = summary(log())
        if resend == 0:
            # settled = the figures no longer move
            last = [None]

            def still():
                g = d.live()["windows"]["all"]["global"]
                same, last[0] = g == last[0], g
                return same
            wait_for(still, 30, step=1.0)
            g = d.live()["windows"]["all"]["global"]
            check("%s: without re-send, events are lost" % label,
                  sum(g[k] for k in CALL_KEYS) < sum(want["global"][k] for k in CALL_KEYS) and
                  s.get("send_resent") == 0, "%s vs %s; %s" % (g, want["global"], log()[-1500:]))
            return
        wait_for(lambda: settled(d, want), 60)
        diffs = diff_figures(d.live()["windows"]["all"], want)
        check("%s: figures equal rexian replay of the probe's own output" % label, not diffs, diffs[:20])
        check("%s: the probe re-sent lines (send_resent=%s), none dropped or cut" % (label, s.get("send_resent")),
              s.get("send_resent", 0) > 0 and s.get("send_dropped") == 0 and s.get("send_cut") == 0, log()[-1500:])
        if resend is not None:
            check("%s: lines older than the window are not re-sent (%d re-sent, %d read before the stop)" %
                  (label, s.get("send_resent", 0), before_stop), s.get("send_resent", 0) < before_stop)
        dup = d.metric("rexian_ingest_duplicates_total")
        check("%s: rexiand recognised re-sent lines it had (%s duplicates)" % (label, dup), (dup or 0) > 0)
        check("%s: the probe says it is connected again" % label, "connected again" in log(), log()[-1500:])
        check("%s: rexiand restored its journal" % label, "journal: restored" in d.read_log(), d.read_log()[-1500:])
    finally:
        if p.poll() is None:
            p.terminate()
            p.wait(30)
        d.stop()


def main():
    bins = [os.path.abspath(b) for b in sys.argv[1:4]]
    with tempfile.TemporaryDirectory(prefix="rx-probe-alo-") as tmp:
        cap = os.path.join(tmp, "calls.pcap")
        write_capture(cap, CALLS, SPAN_S)
        ref = os.path.join(tmp, "probe-w.ndjson")
        with open(ref, "wb") as f:
            f.write(probe_events(bins[0], cap))
        want = replay(bins[2], ref)
        total = want["ingest"]["events"]
        check("reference: %d events, %d calls offered" % (total, want["global"]["offered"]),
              want["global"]["offered"] == CALLS and want["ingest"]["errors"] == 0, want["ingest"])
        scenario(bins, tmp, cap, want, total, "tcp", resend=3)
        scenario(bins, tmp, cap, want, total, "tls-token", tls=True)
        scenario(bins, tmp, cap, want, total, "control-no-resend", resend=0)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
