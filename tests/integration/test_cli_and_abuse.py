"""The replay command's exit codes and error reports, and rexiand under bad input: an
over-long line, invalid UTF-8, a silent connection, half a line then nothing, a line sent one
byte a second, a Unix socket feed, a refused start."""
import os
import socket
import subprocess
import tempfile
import threading
import time

from harness import REXIAN, REXIAND, Redis, Rexiand, check, finish, wait_for

# replay: unreadable file and bad arguments exit non-zero with one line; bad lines exit 0
r = subprocess.run([REXIAN, "replay", "/nonexistent/feed"], capture_output=True, text=True)
check(r.returncode != 0 and "cannot open" in r.stderr, "replay of a missing file fails")
r = subprocess.run([REXIAN, "replay", "--service-level-s", "abc", "-"], capture_output=True, text=True)
check(r.returncode == 2, "replay with a bad number fails")
bad = b'{"ts":1772409600,"event":"offer","call":"a","caller":"13912345678"}\nnot json\n' + \
      b'{"ts":1772409601,"event":"answer","call":"a","seat":"\xff\xfe"}\n' + b"x" * 70000 + b"\n"
r = subprocess.run([REXIAN, "replay", "--json", "-"], input=bad, capture_output=True)
check(r.returncode == 0, "bad lines do not fail a replay")
check(b":2: invalid JSON" in r.stderr and b":3: invalid UTF-8" in r.stderr and
      b":4: line longer than 64 KiB" in r.stderr, f"bad lines reported by number: {r.stderr!r}")
check(b"13912345678" not in r.stdout + r.stderr, "caller number in replay output")

# rexiand: a port in use is a clear startup error
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    s.listen()
    busy = s.getsockname()[1]
    r = subprocess.run([REXIAND, "--listen", f"tcp://127.0.0.1:{busy}", "--redis", "none",
                        "--http", "none"], capture_output=True, text=True, timeout=10)
    check(r.returncode != 0 and "cannot listen" in r.stderr, f"busy port: {r.stderr}")

redis = Redis().start()
sock = tempfile.mktemp(prefix="rexian-", suffix=".sock")
d = Rexiand(f"redis://127.0.0.1:{redis.port}", ["--clock", "event", "--listen", "unix://" + sock])
d.args = [a for a in d.args]  # keep both listeners: tcp from the harness, unix added
d.start()
try:
    # one byte a second, a whole line: its call counts once the line is complete, and the
    # other feeds are not held up meanwhile
    dribbled = b'{"ts":1772409600,"event":"offer","call":"k4"}\n'
    dribbler = socket.create_connection(("127.0.0.1", d.feed_port))

    def dribble():
        for byte in dribbled:
            dribbler.sendall(bytes([byte]))
            time.sleep(1)
    dribbling = threading.Thread(target=dribble, daemon=True)
    dribbling.start()
    silent = socket.create_connection(("127.0.0.1", d.feed_port))     # says nothing, stays open
    slow = socket.create_connection(("127.0.0.1", d.feed_port))
    slow.sendall(b'{"ts":1772409600,"event":"of')                     # half a line, then nothing
    with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
        s.sendall(b"y" * (3 * 1024 * 1024) + b"\n")                     # 3 MiB without newline
        s.sendall(b'{"ts":1772409600,"event":"offer","call":"k1","queue":"12345"}\n')
        s.sendall(b'{"ts":1772409605,"event":"answer","call":"k1","seat":"s1"}\n')
    with socket.socket(socket.AF_UNIX) as u:
        u.connect(sock)
        u.sendall(b'{"ts":1772409606,"event":"offer","call":"k2","queue":"12345"}\n'
                  b'{"ts":1772409607,"event":"answer","call":"k2","seat":"s2"}\n')
    check(wait_for(lambda: d.live()["windows"]["all"]["global"]["answered"] == 2),
          "feeds go on beside a silent, a slow and a flooding connection")
    live = d.live()
    check(live["ingest"]["errors"] == 1, f"the long line is one error: {live['ingest']}")
    slow.sendall(b'fer","call":"k3","queue":"12345"}\n')
    check(wait_for(lambda: d.live()["live"]["waiting"] == 1), "the slow line completes later")
    check(dribbling.is_alive() and d.live()["live"]["waiting"] == 1,
          "the one-byte-a-second line is not counted before its end")
    dribbling.join()
    check(wait_for(lambda: d.live()["live"]["waiting"] == 2),
          f"the one-byte-a-second line counts when complete ({len(dribbled)} s)")
    check(d.live()["ingest"]["errors"] == 1, "no error from the slow lines")
    silent.close()
    slow.close()
    dribbler.close()
finally:
    code = d.stop()
    check(code == 0, f"exit status {code}")
    check(not os.path.exists(sock), "unix socket removed at exit")
    redis.cleanup()
finish()
