"""rexiand fed over TCP (dirty feed) ends with the same figures in /api/live and in Redis
as `rexian replay --json` of the same feed, with the event clock and with the default wall
clock (the feed's times are months old); caller numbers appear nowhere; bad lines are
counted; SIGTERM exits 0 after a final flush."""
import sys
import os
import tempfile

from harness import (Redis, Rexiand, check, finish, json_metrics_for_redis, make_feed,
                     redis_hash_as_metrics, replay, same_figures, wait_for)

feed = make_feed(seed=11, calls=600)
path = tempfile.mktemp(suffix=".ndjson")
with open(path, "wb") as f:
    f.write(feed)
want = replay(path)

mode = sys.argv[1] if len(sys.argv) > 1 else "event"
redis = Redis().start()
d = Rexiand(f"redis://127.0.0.1:{redis.port}",
            (["--clock", mode] if mode == "event" else []) + ["--population", "4590000"]).start()
try:
    d.send(feed, chunk=777, conns=1)
    # the feed is in once every line is counted and the idle feed has been settled (its
    # abandons decided); the deadlines are generous for a slow rexiand (valgrind)
    check(wait_for(lambda: d.live()["ingest"]["lines"] == want["ingest"]["lines"], timeout=300),
          "every line read")
    settled = lambda live: all(live["windows"]["all"]["global"][k] == want["global"][k]
                               for k in ("offered", "answered", "abandoned", "completed"))
    check(wait_for(lambda: settled(d.live()), timeout=120), "the idle feed settles")
    live = d.live()
    # orphans are decided once the reorder grace has passed on the clock: at once for an
    # idle event-clock feed, 10 s later with the wall clock
    for k in ("lines", "events", "errors", "duplicates") + (("orphans",) if mode == "event" else ()):
        check(live["ingest"][k] == want["ingest"][k], f"ingest.{k}: {live['ingest'][k]} != {want['ingest'][k]}")
    got = live["windows"]["all"]
    same_figures(got["global"], want["global"], "http.all.global")
    same_figures(got["outbound"], want["outbound"], "http.all.outbound")
    for kind in ("queues", "seats", "platforms"):
        check(set(got[kind]) == set(want[kind]), f"http {kind} names differ")
        for name in want[kind]:
            same_figures(got[kind].get(name, {}), want[kind][name], f"http.all.{kind}.{name}")
    check(want["global"]["offered"] > 400, "the feed has calls")
    # seats per 100,000: the feed logs 12 seats in; 4.59 M residents
    pop = live["staffing"]["seats_per_100k"][0]
    check(pop["seats"]["peak"] == 12 and pop["seats_per_100k"]["peak"] == round(12 / 45.9, 2),
          f"seats per 100,000: {pop}")
    check(live["staffing"]["scopes"]["global"]["calls"] >= 0, "staffing block present")

    # Redis: the all window of every scope equals replay, nulls absent (once a flush after
    # the settling has been written)
    def redis_settled():
        keys = [("rexian:all:global", want["global"])]
        keys += [(f"rexian:all:queue:{n}", m) for n, m in want["queues"].items()]
        keys += [(f"rexian:all:seat:{n}", m) for n, m in want["seats"].items()]
        return all(redis.hgetall(key).get(k, "0") == str(m[k]) for key, m in keys
                   for k in ("offered", "answered", "abandoned", "completed"))
    check(wait_for(redis_settled, timeout=60), "Redis caught up")
    same_figures(redis_hash_as_metrics(redis.hgetall("rexian:all:global")),
                 json_metrics_for_redis(want["global"]), "redis.all.global")
    for name, m in want["queues"].items():
        same_figures(redis_hash_as_metrics(redis.hgetall(f"rexian:all:queue:{name}")),
                     json_metrics_for_redis(m), f"redis.all.queue.{name}")
    for name, m in want["seats"].items():
        same_figures(redis_hash_as_metrics(redis.hgetall(f"rexian:all:seat:{name}")),
                     json_metrics_for_redis(m), f"redis.all.seat.{name}")
    day_keys = redis.keys("rexian:day:*:global")
    check(day_keys == ["rexian:day:20260302:global"], f"day bucket keys {day_keys}")
    minute_keys = redis.keys("rexian:min:*:global")
    check(len(minute_keys) > 30, f"minute buckets: {len(minute_keys)}")
    check(0 < redis.cmd("TTL", minute_keys[0]) <= 172800, "minute buckets expire in 48 h")
    answered = sum(int(redis.hgetall(k).get("answered", 0)) for k in minute_keys)
    check(answered == want["global"]["answered"], f"minute buckets add up: {answered}")

    # no citizen number anywhere: Redis, HTTP, log
    check(b"1380013" not in redis.dump(), "caller number in Redis")
    check(b"1380013" not in d.get("/api/live"), "caller number in HTTP")
    check("1380013" not in d.read_log(), "caller number in the log")
    check("invalid JSON" in d.read_log(), "bad lines are logged")
    check(d.get("/healthz").strip() == b'"ok"', "healthz")
finally:
    code = d.stop()
    check(code == 0, f"SIGTERM exit status {code}")
    redis.cleanup()
    os.unlink(path)
finish()
