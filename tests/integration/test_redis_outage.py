"""Redis dies mid-feed and comes back on the same port: rexiand keeps counting, reconnects,
writes its full state, and Redis ends up holding what `rexian replay` computes. The
password-protected Redis of a real site is used throughout."""
import os
import tempfile

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
    check(wait_for(lambda: d.live()["ingest"]["lines"] == half, timeout=120), "the first half is read")
    check(wait_for(lambda: redis.hgetall("rexian:all:global").get("offered") is not None, timeout=60),
          "the first half is in Redis")
    redis.stop()                                  # the outage
    d.send(b"".join(lines[half:]))
    check(wait_for(lambda: d.live()["ingest"]["lines"] == want["ingest"]["lines"], timeout=120),
          "the second half is read")
    # idle: the event clock settles (abandons decided after 1 s of silence)
    check(wait_for(lambda: d.live()["windows"]["all"]["global"]["offered"] == want["global"]["offered"],
                   timeout=60), "counting went on during the outage")
    redis.start()                                 # same port, empty
    # the full state is written on reconnect (deadline: the 8 s backoff, and a slow rexiand)
    keys = [("rexian:all:global", want["global"])]
    keys += [(f"rexian:all:queue:{n}", m) for n, m in want["queues"].items()]
    minute_answered = lambda: sum(int(redis.hgetall(k).get("answered", 0))
                                  for k in redis.keys("rexian:min:*:global"))
    check(wait_for(lambda: all(redis.hgetall(key).get(k, "0") == str(m[k]) for key, m in keys
                               for k in ("offered", "answered", "abandoned", "completed")) and
                   minute_answered() == want["global"]["answered"], timeout=60),
          "Redis refilled after reconnect")
    same_figures(redis_hash_as_metrics(redis.hgetall("rexian:all:global")),
                 json_metrics_for_redis(want["global"]), "redis.all.global")
    for name, m in want["queues"].items():
        same_figures(redis_hash_as_metrics(redis.hgetall(f"rexian:all:queue:{name}")),
                     json_metrics_for_redis(m), f"redis.all.queue.{name}")
    day = redis_hash_as_metrics(redis.hgetall("rexian:day:20260302:global"))
    check(day.get("answered") == want["global"]["answered"], f"day bucket rewritten: {day}")
    check(minute_answered() == want["global"]["answered"], f"minute buckets rewritten: {minute_answered()}")
    log = d.read_log()
    check(log.count("retrying with backoff") == 1, "the outage is logged once")
    check("connected again" in log, "the reconnect is logged")
finally:
    d.stop()
    redis.cleanup()
    os.unlink(path)
finish()
