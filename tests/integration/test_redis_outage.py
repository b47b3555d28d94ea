"""Redis dies mid-feed and comes back on the same port: rexiand keeps counting, reconnects,
writes its full state, and Redis ends up holding what `rexian replay` computes. The
password-protected Redis of a real site is used throughout.

Then a day and more of a busy hotline, more minute and day hashes than one flush writes
(20,000): after a reconnect to an empty Redis, the rewrite is spread over several flushes
and leaves Redis as it was before the outage, hash for hash."""
import os
import re
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


def bucket_hashes(redis):
    keys = redis.keys("rexian:min:*") + redis.keys("rexian:day:*")
    got = redis.hgetall_many(keys)
    for h in got.values():
        h.pop("seats_logged_in_avg", None)   # a sample mean over flushes, not a count
    return got


big = make_feed(seed=6, calls=12000, dirt=False)
nlines = len(big.splitlines())
redis = Redis(password="s3cret-pass").start()
d = Rexiand(f"redis://:s3cret-pass@127.0.0.1:{redis.port}", ["--clock", "event"]).start()
try:
    d.send(big)
    check(wait_for(lambda: d.live()["ingest"]["lines"] == nlines, timeout=120), "the big feed is read")
    time.sleep(1.5)   # idle: the event clock settles
    check(wait_for(lambda: d.metric("rexian_redis_buckets_behind") == 0 and
                   redis.hgetall("rexian:all:global").get("offered") ==
                   str(d.live()["windows"]["all"]["global"]["offered"]), timeout=60),
          "the big feed is in Redis")
    flushes = d.metric("rexian_redis_flushes_total")
    check(wait_for(lambda: d.metric("rexian_redis_flushes_total") >= flushes + 2), "flushes go on")
    before = bucket_hashes(redis)
    check(len(before) > 20000, f"more hashes than one flush writes: {len(before)}")
    done = re.compile(r"full state written: (\d+) minute and day hashes over (\d+) flush")
    earlier = len(done.findall(d.read_log()))   # the first connect's, if the feed came first
    redis.stop()
    redis.start()                                 # same port, empty
    check(wait_for(lambda: len(done.findall(d.read_log())) > earlier, timeout=60), "the rewrite ends")
    written, flushes = map(int, done.findall(d.read_log())[-1])
    check(written == len(before) and flushes >= 2,
          f"{written} hashes over {flushes} flushes, {len(before)} in Redis before")
    check(wait_for(lambda: d.metric("rexian_redis_buckets_behind") == 0, timeout=10), "none left behind")
    flushes = d.metric("rexian_redis_flushes_total")
    check(wait_for(lambda: d.metric("rexian_redis_flushes_total") >= flushes + 2), "flushes go on")
    after = bucket_hashes(redis)
    check(set(after) == set(before), f"the same keys: {len(after)} after, {len(before)} before")
    differ = [k for k in before if after.get(k) != before[k]]
    check(not differ, f"{len(differ)} hashes differ, e.g. " +
          "; ".join(f"{k}: {before[k]} -> {after.get(k)}" for k in differ[:3]))
finally:
    d.stop()
    redis.cleanup()
finish()
