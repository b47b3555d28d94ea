"""A citizen's number never leaves in clear.

Calls are fed over TCP with callers' numbers in every form a switch may send them
(+86..., 0086..., 11-digit mobiles, landlines with an area code, spaced or bracketed, as a
JSON number), in fields rexiand does not know (ani, from, a nested object), and inside bad
lines (invalid JSON, an unknown event, invalid UTF-8, a line over 64 KiB). Then everything
rexiand wrote or said is searched for each number, whole and in part (its digits alone,
its last 8 digits, the first 7 of the national form):

- Redis: every key (SCAN) and, by TYPE, every value (HGETALL, GET, LRANGE, SMEMBERS,
  ZRANGE, XRANGE), plus every Pub/Sub message published during the test (PSUBSCRIBE *);
- the journal files;
- rexiand's log at --log-level debug;
- every HTTP endpoint: /api/live, /api/alerts, /api/config, /metrics, /healthz, the
  wallboard's files, a few seconds of /api/stream;
- `rexian replay` (table and --json) and `rexian staff --from` on the journal and on the
  original feed, stdout and stderr.
A control feeds one number into a field rexiand does publish (a seat id) and checks that
the search finds it, so the search itself can fail. rexiand runs with --caller-key-file:
the journal must hold each caller's keyed hash (HMAC-SHA256, 128 bits in hex) as sent,
recomputed here, and never the number.
"""
import glob
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import REXIAN, Redis, Rexiand, Subscriber, check, finish, wait_for

T0 = 1772409600   # 2026-03-02 08:00 +08:00

# (as sent, the national digits): distinct digit runs that no timestamp or id here contains
NUMBERS = [
    ("+8613897531864", "13897531864"),
    ("008615986420975", "15986420975"),
    ("17719283746", "17719283746"),
    ("0531-88776655", "053188776655"),
    ("(021) 6543 2198", "02165432198"),
    ("+86 139 4682 7513", "13946827513"),
    ("13570316942", "13570316942"),   # sent as a JSON number, not a string
]
IGNORED_FIELDS = ["13755558876", "13966663321", "18833330762"]   # ani, from, nested caller
IN_BAD_LINES = ["13577779931", "13688884426", "13499990637", "13311115824"]
CONTROL = "13211110095"   # fed as a seat id: published on purpose


def needles(sent, national):
    """The number as sent, its digits, its last 8 digits, the first 7 of the national form."""
    digits = "".join(c for c in sent if c.isdigit())
    return {sent, digits, national, national[-8:], national[:7]}


def feed_lines():
    out = []
    t = T0
    for i, (sent, _) in enumerate(NUMBERS):
        caller = int(sent) if sent.isdigit() and i == len(NUMBERS) - 1 else sent
        call = f"n{i}"
        out.append({"ts": t, "event": "offer", "call": call, "queue": "12345", "platform": "jn",
                    "caller": caller})
        if i % 3 != 2:
            out.append({"ts": t + 5 + i, "event": "answer", "call": call, "seat": f"a{i}", "caller": caller})
            out.append({"ts": t + 120 + i, "event": "hangup", "call": call, "outcome": "online", "caller": caller})
        else:
            out.append({"ts": t + 40 + i, "event": "hangup", "call": call, "caller": caller})
        t += 7
    # an outbound callback to a citizen, and seat events carrying a caller field
    out.append({"ts": t, "event": "offer", "call": "cb1", "direction": "out", "queue": "12345",
                "caller": NUMBERS[0][0]})
    out.append({"ts": t + 2, "event": "answer", "call": "cb1", "seat": "a0", "caller": NUMBERS[0][0]})
    out.append({"ts": t + 3, "event": "seat", "seat": "a9", "state": "login", "caller": NUMBERS[1][0]})
    # numbers in fields rexiand does not read
    out.append({"ts": t + 4, "event": "offer", "call": "x1", "queue": "12345", "ani": IGNORED_FIELDS[0],
                "from": f"sip:+86{IGNORED_FIELDS[1]}@carrier.example", "caller": {"number": IGNORED_FIELDS[2]}})
    # the control: a number as a seat id is published (as it should be)
    out.append({"ts": t + 9, "event": "answer", "call": "x1", "seat": CONTROL})
    lines = [json.dumps(o, ensure_ascii=False).encode() for o in out]
    bad = [
        b'{"ts":%d,"event":"offer","call":"b1","caller":"%s"' % (t + 10, IN_BAD_LINES[0].encode()),
        b'{"ts":%d,"event":"bogus","call":"b2","caller":"%s"}' % (t + 11, IN_BAD_LINES[1].encode()),
        b'{"ts":%d,"event":"offer","call":"b3","queue":"\xff\xfe","caller":"%s"}' % (t + 12, IN_BAD_LINES[2].encode()),
        b'{"caller":"%s","ts":%d,"event":"offer","call":"b4","queue":"%s"}' % (
            IN_BAD_LINES[3].encode(), t + 13, b"q" * 70000),
    ]
    return b"\n".join(lines[:5] + bad[:2] + lines[5:] + bad[2:]) + b"\n"


def redis_dump(redis):
    """Every key and value, by type."""
    out, cursor = [], b"0"
    while True:
        cursor, keys = redis.cmd("SCAN", cursor, "COUNT", "1000")
        for k in keys:
            kind = redis.cmd("TYPE", k)
            out.append(k)
            reader = {"hash": ("HGETALL", k), "string": ("GET", k), "list": ("LRANGE", k, 0, -1),
                      "set": ("SMEMBERS", k), "zset": ("ZRANGE", k, 0, -1, "WITHSCORES"),
                      "stream": ("XRANGE", k, "-", "+")}.get(kind)
            check(reader is not None, f"Redis key {k!r} of unexpected type {kind}")
            if reader:
                out.append(repr(redis.cmd(*reader)).encode())
        if cursor in (b"0", "0"):
            return b"\n".join(out)


def sse(d, seconds):
    s = socket.create_connection(("127.0.0.1", d.http_port), timeout=seconds + 2)
    s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    buf, end = b"", time.time() + seconds
    s.settimeout(0.5)
    while time.time() < end:
        try:
            buf += s.recv(65536)
        except socket.timeout:
            pass
    s.close()
    return buf


def run(*args):
    """stdout, then stderr: both are searched."""
    r = subprocess.run([REXIAN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.stdout + b"\n" + r.stderr


def leaks(what, blob):
    """Numbers found in blob, as (needle, where)."""
    found = []
    for sent, national in NUMBERS:
        found += [(n, what) for n in needles(sent, national) if n.encode() in blob]
    for n in IGNORED_FIELDS + IN_BAD_LINES:
        found += [(x, what) for x in (n, n[-8:]) if x.encode() in blob]
    return found


work = tempfile.mkdtemp(prefix="rexian-clear-")
journal = os.path.join(work, "journal")
feed_path = os.path.join(work, "feed.ndjson")
feed = feed_lines()
with open(feed_path, "wb") as f:
    f.write(feed)

KEY = b"journal-pseudonym-key-0123456789"
key_path = os.path.join(work, "caller.key")
with open(key_path, "wb") as f:
    f.write(KEY + b"\n")


def pseudonym(sent):
    return hmac.new(KEY, str(sent).encode(), hashlib.sha256).hexdigest()[:32]


redis = Redis().start()
monitor = Subscriber(redis.port, "PSUBSCRIBE", "*")
monitor.start()
d = Rexiand(f"redis://127.0.0.1:{redis.port}",
            ["--clock", "event", "--journal", journal, "--log-level", "debug",
             "--caller-key-file", key_path,
             "--alert", "waiting_any: waiting global live > 0 for=0",
             "--alert", "sl_low: service_level global all < 0.99 for=0"])
try:
    d.start()
    stream = {}
    t = threading.Thread(target=lambda: stream.setdefault("data", sse(d, 4)))
    t.start()
    d.send(feed)
    check(wait_for(lambda: d.live()["ingest"]["errors"] >= 4 and
                   d.live()["windows"]["all"]["global"]["offered"] == 8, 10),
          f"the feed was counted: {d.live()['ingest']}")
    t.join()
    time.sleep(1.5)   # the event clock's idle settle, a few more flushes and publishes

    outputs = {"redis": redis_dump(redis), "pubsub": monitor.data, "sse": stream.get("data", b"")}
    check(b"event: snapshot" in outputs["sse"], "the stream was read")
    check(b"rexian:updates" in outputs["pubsub"], "Pub/Sub messages were seen")
    check(b"rexian:alerts:log" in outputs["redis"], "the alert stream is in the dump")
    for path in ["/api/live", "/api/alerts", "/api/config", "/metrics", "/healthz", "/",
                 "/wallboard.js", "/wallboard.css"]:
        outputs["http " + path] = d.get(path)
    files = sorted(glob.glob(os.path.join(journal, "*")))
    check(len(files) == 1, f"one journal file: {files}")
    for p in files:
        with open(p, "rb") as f:
            outputs["journal " + os.path.basename(p)] = f.read()
    outputs["replay journal"] = run("replay", *files)
    outputs["replay --json journal"] = run("replay", "--json", *files)
    outputs["replay feed"] = run("replay", feed_path)
    outputs["replay --json feed"] = run("replay", "--json", feed_path)
    outputs["staff journal"] = run("staff", "--from", files[0], "--json")
    outputs["staff feed"] = run("staff", "--from", feed_path, "--csv")
    check(d.stop() == 0, "rexiand stops cleanly")
    outputs["log"] = d.read_log().encode()
    check(b"debug" in outputs["log"] or b"info" in outputs["log"], "the log was read")

    for what in ("replay --json journal", "replay --json feed"):
        stdout = outputs[what].split(b"\n", 1)[0]   # one JSON object, then stderr
        check(json.loads(stdout)["global"]["offered"] == 8, f"{what} counted the calls")
    check(b"offered" in outputs["staff journal"] and b"offered" in outputs["staff feed"],
          "rexian staff read the journal and the feed")
    check(all(n in needles(*x) and n.encode() in feed for x in NUMBERS for n in [x[0]]),
          "the numbers are in the feed as sent")
    found = []
    for what, blob in outputs.items():
        found += leaks(what, blob)
    check(not found, f"numbers in clear: {found}")
    # the search works: the control number, fed as a seat id, is everywhere it should be
    for what in ("redis", "http /api/live", "http /metrics", "journal " + os.path.basename(files[0])):
        check(CONTROL.encode() in outputs[what], f"control: seat {CONTROL} found in {what}")
    # the journal keeps the keyed hash of every string or numeric caller, as sent
    journal_callers = {}
    for line in outputs["journal " + os.path.basename(files[0])].splitlines():
        ev = json.loads(line)
        if "caller" in ev:
            journal_callers.setdefault(ev["call"] if "call" in ev else ev["seat"], set()).add(ev["caller"])
    for i, (sent, _) in enumerate(NUMBERS):
        caller = int(sent) if sent.isdigit() and i == len(NUMBERS) - 1 else sent
        check(journal_callers.get(f"n{i}") == {pseudonym(caller)},
              f"journal: call n{i} carries the pseudonym of its caller: {journal_callers.get(f'n{i}')}")
    check("x1" not in journal_callers, "a caller that is an object is not read")
finally:
    d.stop()
    redis.cleanup()
    shutil.rmtree(work, ignore_errors=True)
finish()
