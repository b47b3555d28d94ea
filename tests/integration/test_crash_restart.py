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
redis = Redis().start()
args = ["--clock", "event", "--journal", journal]
d = Rexiand(f"redis://127.0.0.1:{redis.port}", args).start()
restarts = 0
# one sender connection, as a switch keeps one: its lines arrive in order
sender = socket.create_connection(("127.0.0.1", d.feed_port))
try:
    for i, chunk in enumerate(chunks):
        if i in kills:
            time.sleep(0.3)                      # what came before is on disk
            sender.sendall(chunk)
            time.sleep(rnd.choice([0, 0.05, 0.2]))
            d.proc.send_signal(signal.SIGKILL)   # at any moment: flushed or not
            d.proc.wait()
            d.log.close()
            d.proc = None
            sender.close()
            d.start()
            restarts += 1
            sender = socket.create_connection(("127.0.0.1", d.feed_port))
            sender.sendall(chunk)                # the sender re-sends its last chunk
        else:
            sender.sendall(chunk)
        if i == redis_kill:
            redis.stop()
        if i == redis_kill + 2:
            redis.start()
    sender.close()
    time.sleep(1.5)                              # idle: the event clock settles
    live = d.live()["windows"]["all"]
    for kind in ("global", "outbound"):
        same_figures(live[kind], want[kind], f"http.all.{kind}")
    for kind in ("queues", "seats", "platforms"):
        for name in want[kind]:
            same_figures(live[kind].get(name, {}), want[kind][name], f"http.all.{kind}.{name}")
    check(wait_for(lambda: redis.hgetall("rexian:all:global").get("offered") == str(want["global"]["offered"])),
          "Redis caught up")
    time.sleep(0.3)
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
