#!/usr/bin/env python3
"""Startup errors fail loudly: each bad invocation exits with status 2 and exactly one line on stderr
that names the problem; nothing is written to stdout.

usage: cli_errors.py PROBE FIXTURE_DIR
"""
import os
import socket
import subprocess
import sys
import tempfile


def main():
    probe, fixtures = sys.argv[1], sys.argv[2]
    pcap = os.path.join(fixtures, "isa__sip.pcap")
    with tempfile.TemporaryDirectory(prefix="rx-probe-cli-") as tmp:
        bad_conf = os.path.join(tmp, "bad.conf")
        with open(bad_conf, "w") as f:
            f.write("[queues]\n12345 = 12345\nthis is not a rule\n")
        short_key = os.path.join(tmp, "short.key")
        with open(short_key, "w") as f:
            f.write("tooshort\n")
        empty = os.path.join(tmp, "empty.token")
        with open(empty, "w") as f:
            f.write("\n")
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        cases = [
            ([], "no source"),
            (["--bogus"], "unrecognized option"),
            (["-r", pcap], "no queues configured"),
            (["-r", os.path.join(tmp, "missing.pcap"), "--all-calls"], "missing.pcap"),
            (["-r", bad_conf, "--all-calls"], "bad.conf"),
            (["-r", pcap, "-c", bad_conf], "bad.conf:3: expected key = value"),
            (["-r", pcap, "-c", os.path.join(tmp, "none.conf")], "none.conf"),
            (["-r", pcap, "--all-calls", "--caller-key", short_key], "shorter than 16 bytes"),
            (["-r", pcap, "--all-calls", "--send", "http://x"], "expected tcp://HOST:PORT"),
            (["--hep-listen", "tcp://127.0.0.1:9", "--all-calls"], "expected udp://ADDR:PORT"),
            (["--hep-listen", "udp://127.0.0.1:%d" % port, "--all-calls"], "Address already in use"),
            (["-i", "no-such-if0", "--all-calls"], "no-such-if0"),
            (["-i", "lo", "--ports", "50x60", "--all-calls"], "--ports"),
            (["-r", pcap, "--all-calls", "--filter", "port nonsense"], "bad filter"),
            (["-r", pcap, "--all-calls", "--max-calls", "0"], "--max-calls"),
            (["-r", pcap, "--all-calls", "--user", "no-such-user-rx"], "no such user"),
            (["-r", pcap, "--all-calls", "--send-token-file", short_key], "need --send"),
            (["-r", pcap, "--all-calls", "--send", "tcp://127.0.0.1:9", "--send-token-file",
              os.path.join(tmp, "none.token")], "none.token"),
            (["-r", pcap, "--all-calls", "--send", "tcp://127.0.0.1:9", "--send-token-file", empty],
             "the token must be one line"),
            (["-r", pcap, "--all-calls", "--send", "tcp://127.0.0.1:9", "--send-ca", short_key],
             "--send-ca needs a tls:// URL"),
            (["-r", pcap, "--all-calls", "--send", "tls://127.0.0.1:9", "--send-ca",
              os.path.join(tmp, "none.pem")], "none.pem: No such file"),
            (["-r", pcap, "--all-calls", "--send", "tls://127.0.0.1:9", "--send-ca", short_key],
             "cannot load CA certificates"),
            (["-r", pcap, "--all-calls", "--send", "tcp://127.0.0.1:9", "--send-resend-s", "301"], "at most 300"),
        ]
        bad = 0
        for args, want in cases:
            p = subprocess.run(["timeout", "20", probe] + args, capture_output=True, text=True)
            lines = [l for l in p.stderr.splitlines() if l.strip()]
            # usage text follows an unknown option on purpose; every other error is one line
            one_line = len(lines) == 1 or args == ["--bogus"]
            if p.returncode != 2 or not one_line or want not in p.stderr or p.stdout:
                bad += 1
                print("FAIL %s: exit %d, stderr %r, stdout %r" % (args, p.returncode, p.stderr[:400], p.stdout[:200]))
            else:
                print("ok   %s -> %s" % (" ".join(args) or "(no arguments)", lines[0]))
        taken.close()
    print("%d passed, %d failed" % (len(cases) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
