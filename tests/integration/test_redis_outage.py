"""Redis dies mid-feed and comes back on the same port: rexiand keeps counting, reconnects,
writes its full state, and Redis ends up holding what `rexian replay` computes. The
password-protected Redis of a real site is used throughout."""
import os
import tempfile
import time

from harness import (Redis, Rexiand, check, finish, json_metrics_for_redis, make_feed,
                     redis_hash_as_metrics, replay, same_figures, wait_for)

feed = make_feed(seed=5, calls=500)
lines = feed.splitlines(keepends=True)
half = len(lines) // 2
path = tempfile.mktemp(suffix=".ndjson")
with open(path, "wb") as f:
    f.write(feed)
want = replay(path)

redis = Redis(password="s3cret-pass").start()
d = Rexiand(f"redis://:s3cret-pass@127.0.0.1:{redis.port}", ["--clock", "event"]).start()
try:
    d.send(b"".join(lines[:half]))
    # the first half is read before the second connection opens: two connections at once
    # could interleave events further apart than the reorder grace
    wait_for(lambda: d.live()["ingest"]["lines"] == half, timeout=30)
    wait_for(lambda: redis.hgetall("rexian:all:global").get("offered") is not None)
    redis.stop()                                  # the outage
    d.send(b"".join(lines[half:]))
    wait_for(lambda: d.live()["ingest"]["lines"] == want["ingest"]["lines"], timeout=20)
    time.sleep(1.5)
    check(d.live()["windows"]["all"]["global"]["offered"] == want["global"]["offered"],
          "counting went on during the outage")
    redis.start()                                 # same port, empty
    check(wait_for(lambda: redis.hgetall("rexian:all:global").get("offered") == str(want["global"]["offered"]),
                   timeout=20), "Redis refilled after reconnect")
    time.sleep(0.5)
    same_figures(redis_hash_as_metrics(redis.hgetall("rexian:all:global")),
                 json_metrics_for_redis(want["global"]), "redis.all.global")
    for name, m in want["queues"].items():
        same_figures(redis_hash_as_metrics(redis.hgetall(f"rexian:all:queue:{name}")),
                     json_metrics_for_redis(m), f"redis.all.queue.{name}")
    day = redis_hash_as_metrics(redis.hgetall("rexian:day:20260302:global"))
    check(day.get("answered") == want["global"]["answered"], f"day bucket rewritten: {day}")
    minute_answered = sum(int(redis.hgetall(k).get("answered", 0)) for k in redis.keys("rexian:min:*:global"))
    check(minute_answered == want["global"]["answered"], f"minute buckets rewritten: {minute_answered}")
    log = d.read_log()
    check(log.count("retrying with backoff") == 1, "the outage is logged once")
    check("connected again" in log, "the reconnect is logged")
finally:
    d.stop()
    redis.cleanup()
    os.unlink(path)
finish()
