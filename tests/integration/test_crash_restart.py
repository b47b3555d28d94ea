"""Restarts lose nothing: rexiand with a journal is killed with SIGKILL at several points of
a day's feed (and Redis once), restarted, sent the last chunk again (at-least-once, as the
feed contract asks of senders), and fed the rest: /api/live and Redis end equal to
`rexian replay` of the whole feed, in every window's call figures."""
import os
import random
import shutil
import signal
import socket
import tempfile
import time

from harness import (Redis, Rexiand, check, finish, json_metrics_for_redis, make_feed,
                     redis_hash_as_metrics, replay, same_figures, wait_for)

feed = make_feed(seed=31, calls=700)
lines = feed.splitlines(keepends=True)
chunks = [b"".join(lines[i:i + 60]) for i in range(0, len(lines), 60)]
path = tempfile.mktemp(suffix=".ndjson")
with open(path, "wb") as f:
    f.write(feed)
want = replay(path)
rnd = random.Random(8)
kills = set(rnd.sample(range(2, len(chunks) - 1), 4))
redis_kill = rnd.choice([i for i in range(1, len(chunks) - 1) if i not in kills])

journal = tempfile.mkdtemp(prefix="rexian-journal-")


def journal_lines():
    n = 0
    for name in os.listdir(journal):
        with open(os.path.join(journal, name), "rb") as f:
            n += f.read().count(b"\n")
    return n


def all_read_and_on_disk():
    """Waits (rexiand may be slow: valgrind) until this rexiand has read every line sent to
    it and its journal file holds every event it appended."""
    check(wait_for(lambda: d.live()["ingest"]["lines"] == sent, timeout=120),
          f"rexiand read the {sent} lines sent to it")
    appended = d.metric("rexian_journal_events_total")
    check(wait_for(lambda: journal_lines() >= on_disk_at_start + appended, timeout=60),
          f"{appended} journaled events on disk")


redis = Redis().start()
args = ["--clock", "event", "--journal", journal]
d = Rexiand(f"redis://127.0.0.1:{redis.port}", args).start()
restarts = 0
on_disk_at_start, sent = journal_lines(), 0     # lines on disk before, sent to this rexiand
# one sender connection, as a switch keeps one: its lines arrive in order
sender = socket.create_connection(("127.0.0.1", d.feed_port))
try:
    for i, chunk in enumerate(chunks):
        if i in kills:
            all_read_and_on_disk()               # what came before is on disk
            sender.sendall(chunk)
            time.sleep(rnd.choice([0, 0.05, 0.2]))
            d.proc.send_signal(signal.SIGKILL)   # at any moment: flushed or not
            d.proc.wait()
            d.log.close()
            d.proc = None
            sender.close()
            d.start()
            restarts += 1
            on_disk_at_start, sent = journal_lines(), 0
            sender = socket.create_connection(("127.0.0.1", d.feed_port))
            sender.sendall(chunk)                # the sender re-sends its last chunk
        else:
            sender.sendall(chunk)
        sent += chunk.count(b"\n")
        if i == redis_kill:
            redis.stop()
        if i == redis_kill + 2:
            redis.start()
    sender.close()
    all_read_and_on_disk()
    # idle: the event clock settles (abandons decided after 1 s of silence)
    check(wait_for(lambda: all(d.live()["windows"]["all"]["global"][k] == want["global"][k]
                               for k in ("offered", "answered", "abandoned", "completed")),
                   timeout=120), "the figures settle")
    live = d.live()["windows"]["all"]
    for kind in ("global", "outbound"):
        same_figures(live[kind], want[kind], f"http.all.{kind}")
    for kind in ("queues", "seats", "platforms"):
        for name in want[kind]:
            same_figures(live[kind].get(name, {}), want[kind][name], f"http.all.{kind}.{name}")
    check(wait_for(lambda: all(redis.hgetall("rexian:all:global").get(k) == str(want["global"][k])
                               for k in ("offered", "answered", "abandoned", "completed")),
                   timeout=60), "Redis caught up")
    same_figures(redis_hash_as_metrics(redis.hgetall("rexian:all:global")),
                 json_metrics_for_redis(want["global"]), "redis.all.global")
    day = redis_hash_as_metrics(redis.hgetall("rexian:day:20260302:global"))
    check(day.get("answered") == want["global"]["answered"], f"day bucket: {day.get('answered')}")
    check(restarts == 4, "four restarts")
    check("journal: restored" in d.read_log(), "restore is logged")
    jfiles = sorted(os.listdir(journal))
    check(jfiles == ["rexian-20260302.ndjson"], f"journal files {jfiles}")
    with open(os.path.join(journal, jfiles[0]), "rb") as f:
        check(b"1380013" not in f.read(), "no caller number in the journal")
    metrics = d.get("/metrics").decode()
    check("rexian_journal_failing 0" in metrics, "journal healthy in /metrics")
finally:
    d.stop()
    redis.cleanup()
    shutil.rmtree(journal, ignore_errors=True)
    os.unlink(path)
finish()
