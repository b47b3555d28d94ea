#!/usr/bin/env python3
"""--send with a token and over TLS, into a real rexiand.

Token (rexiand --feed-token-file): the probe with the right token (from --send-token-file, and from
REXIAN_FEED_TOKEN) delivers every event of a few captures, and rexiand's figures equal `rexian replay`
of the probe's own output; the token holds a quote and a backslash, so the auth line must be JSON-
escaped. With a wrong token, or none, rexiand counts auth failures and ingests nothing, and the probe
says once, clearly, what is likely wrong, and at the end how much it could not deliver.
TLS (rexiand --listen tls://, certificate made now with the openssl CLI): the probe trusting that
certificate (--send-ca) delivers everything; trusting another one, or connecting by an address the
certificate does not name, it fails the handshake with a one-line reason and rexiand ingests nothing.

usage: send_auth_tls.py PROBE REXIAND REXIAN FIXTURE_DIR
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from feedlib import (Rexiand, check, diff_figures, finish, make_cert, replay, settled, summary, wait_for)

TOKEN = 'feed "token" with \\ and spaces'
CAPTURES = ["sngrep__aaa.pcap", "sipnab__b2bua-asterisk.pcapng", "isa__real_call.pcap", "sipnab__sip-proxy.pcap"]


class Probe:
    def __init__(self, probe, tmp, label, url, args, env_token=None):
        self.err = os.path.join(tmp, label + "-probe.err")
        env = {k: v for k, v in os.environ.items() if k != "REXIAN_FEED_TOKEN"}
        if env_token is not None:
            env["REXIAN_FEED_TOKEN"] = env_token
        self.p = subprocess.Popen(["timeout", "120", probe, "--all-calls", *args, "--send", url],
                                  stderr=open(self.err, "w"), env=env)

    def log(self):
        return open(self.err, errors="replace").read()

    def stop(self):
        """Stops a probe still waiting for its backlog: the drain gives up at the third signal."""
        for _ in range(3):
            if self.p.poll() is not None:
                break
            self.p.send_signal(signal.SIGTERM)
            time.sleep(0.3)
        self.p.wait(30)
        return self.log()


def delivered(ctx, label, d, probe_args, send_args, env_token=None):
    """The probe runs to its end; rexiand must have every event, figures equal to the reference."""
    probe, tmp, reads, want, total = ctx
    pr = Probe(probe, tmp, label, d.url, reads + send_args, env_token)
    pr.p.wait(90)
    log = pr.log()
    check("%s: rexiand ingests all %d events" % (label, total),
          wait_for(lambda: d.live()["ingest"]["events"] == total, 20),
          "%s; probe: %s" % (d.live()["ingest"], log[-1500:]))
    wait_for(lambda: settled(d, want), 30)
    diffs = diff_figures(d.live()["windows"]["all"], want)
    check("%s: figures equal rexian replay of the probe's own output" % label, not diffs, diffs[:20])
    check("%s: no outage, one connection" % label,
          "reconnecting" not in log and summary(log).get("send_connects") == 1, log[-1500:])


def refused(ctx, label, d, send_args, expect, env_token=None, auth=True):
    """The probe cannot deliver: it says `expect` once; rexiand ingests nothing."""
    probe, tmp, reads, _, _ = ctx
    pr = Probe(probe, tmp, label, d.url, reads + send_args, env_token)
    ok = wait_for(lambda: expect in pr.log(), 20)
    if auth:
        ok = wait_for(lambda: (d.metric("rexian_feed_auth_failures_total") or 0) >= 1, 20) and ok
    time.sleep(1.0)                 # a few reconnects with backoff
    log = pr.stop()
    s = summary(log)
    check("%s: the probe says '%s' once" % (label, expect), ok and log.count(expect) == 1, log[-2000:])
    check("%s: and that the events were not delivered" % label,
          "not delivered" in log and s.get("send_connected") == 0 and s.get("send_backlog", 0) > 0, log[-800:])
    check("%s: rexiand ingests nothing" % label, d.live()["ingest"]["events"] == 0, d.live()["ingest"])
    if auth:
        check("%s: rexiand counts the refusal" % label, (d.metric("rexian_feed_auth_failures_total") or 0) >= 1,
              d.read_log()[-1000:])


def main():
    probe, rexiand, rexian = (os.path.abspath(b) for b in sys.argv[1:4])
    fixtures = sys.argv[4]
    with tempfile.TemporaryDirectory(prefix="rx-probe-auth-") as tmp:
        reads = []
        for c in CAPTURES:
            reads += ["-r", os.path.join(fixtures, c)]
        ref = os.path.join(tmp, "probe-w.ndjson")
        subprocess.run(["timeout", "60", probe, "--all-calls", *reads, "-w", ref], check=True, capture_output=True)
        want = replay(rexian, ref)
        total = want["ingest"]["events"]
        check("reference: %d events" % total, total > 20 and want["ingest"]["errors"] == 0, want["ingest"])
        ctx = (probe, tmp, reads, want, total)
        tok, wrong = os.path.join(tmp, "feed.token"), os.path.join(tmp, "wrong.token")
        with open(tok, "w") as f:
            f.write(TOKEN + "\n")
        with open(wrong, "w") as f:
            f.write(TOKEN + "x\n")
        auth = ["--feed-token-file", tok]

        runs = [
            ("token-file", [], ["--send-token-file", tok], None),
            ("token-env", [], [], TOKEN),
        ]
        for label, extra, send, env_token in runs:
            d = Rexiand(rexiand, tmp, label, "tcp", auth + extra).start()
            try:
                delivered(ctx, label, d, [], send, env_token)
            finally:
                d.stop()
        for label, send, expect in [("wrong-token", ["--send-token-file", wrong], "wrong token?"),
                                    ("no-token", [], "does it require a token?")]:
            d = Rexiand(rexiand, tmp, label, "tcp", auth).start()
            try:
                refused(ctx, label, d, send, expect)
            finally:
                d.stop()

        cert, key = make_cert(tmp, "collector", "IP:127.0.0.1")
        other, _ = make_cert(tmp, "other", "IP:127.0.0.1")
        named, named_key = make_cert(tmp, "named", "DNS:collector.example")
        tls = ["--tls-cert", cert, "--tls-key", key] + auth
        d = Rexiand(rexiand, tmp, "tls", "tls", tls).start()
        try:
            delivered(ctx, "tls", d, [], ["--send-ca", cert, "--send-token-file", tok])
        finally:
            d.stop()
        d = Rexiand(rexiand, tmp, "tls-wrong-ca", "tls", tls).start()
        try:
            refused(ctx, "tls-wrong-ca", d, ["--send-ca", other, "--send-token-file", tok],
                    "server certificate not accepted", auth=False)
        finally:
            d.stop()
        d = Rexiand(rexiand, tmp, "tls-wrong-name", "tls", ["--tls-cert", named, "--tls-key", named_key] + auth).start()
        try:
            refused(ctx, "tls-wrong-name", d, ["--send-ca", named, "--send-token-file", tok],
                    "IP address mismatch", auth=False)
        finally:
            d.stop()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
