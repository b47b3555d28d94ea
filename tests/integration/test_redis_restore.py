"""Without a journal, a restarted rexiand restores its windows from its own buckets in Redis.

1. Nothing in flight at the kill: rexiand (event clock, no journal) is fed the first part of
   a morning (07:20 to past the 08:00 shift change), flushes, is killed with SIGKILL, is
   restarted on the same Redis and fed the rest (over an hour more). Every window, minute
   and day hash in Redis then equals an uninterrupted run's (seat samples aside), and the
   call figures equal `rexian replay` of the whole feed. Right after the restart, 15m and 1h
   hold the restored minutes whole, as documented: the sum of the minute buckets whose last
   millisecond is inside the window.
2. Calls in flight at the kill: the log line names how many were waiting and talking; their
   later events are orphans, and the figures equal a replay of the feed without what was
   lost (the waiting calls, and the talking calls' hangups).
3. Redis down, or stalled, at start: rexiand starts at once (within the restore's timeouts)
   and says that nothing was restored.
"""
import datetime
import json
import os
import random
import signal
import socket
import tempfile
import time

from harness import (Redis, Rexiand, check, finish, free_port, json_metrics_for_redis,
                     redis_hash_as_metrics, replay, same_figures, wait_for)

TZ = datetime.timezone(datetime.timedelta(hours=8))
START = int(datetime.datetime(2026, 3, 2, 7, 20, tzinfo=TZ).timestamp())
SEATS = [f"s{i}" for i in range(10)]
SEAT_FIELDS = ("seats_logged_in_max", "seats_logged_in_avg")


def call_events(rnd, name, t, seat=None, answer=True, hangup=True):
    """One call offered at t: its events as (ts, dict), answered by seat unless abandoned."""
    offer = {"ts": round(t, 3), "event": "offer", "call": name,
             "queue": rnd.choice(["12345", "12345", "一企来", "尚贤"]),
             "platform": rnd.choice(["lyg", "zj"])}
    if rnd.random() < 0.1:
        offer["direction"] = "out"
    events = [(t, offer)]
    if not answer:
        return events
    if rnd.random() < 0.85 or seat is not None:
        wait = rnd.choice([rnd.uniform(0, 50), 30.0, 30.001])
        talk = rnd.choice([rnd.expovariate(1 / 150.0), 600.0, 600.001])
        events.append((t + wait, {"ts": round(t + wait, 3), "event": "answer", "call": name,
                                  "seat": seat or rnd.choice(SEATS)}))
        if hangup:
            events.append((t + wait + talk, {"ts": round(t + wait + talk, 3), "event": "hangup",
                                             "call": name,
                                             "outcome": rnd.choice(["online", "ticket", "transfer110"])}))
    elif hangup:
        patience = rnd.uniform(1, 80)
        events.append((t + patience, {"ts": round(t + patience, 3), "event": "hangup", "call": name}))
    return events


def part(rnd, tag, t0, t1):
    """Calls offered in [t0, t1), every one ended; sorted events."""
    events, t, i = [], t0, 0
    while True:
        t += rnd.expovariate(1 / 8.0)
        if t >= t1:
            break
        events += call_events(rnd, f"{tag}-{i}", t)
        i += 1
    return sorted(events, key=lambda e: e[0])


def ndjson(events):
    return "".join(json.dumps(e[1], ensure_ascii=False) + "\n" for e in events).encode()


def logins(t):
    return [(t + i * 0.01, {"ts": round(t + i * 0.01, 3), "event": "seat", "seat": s, "state": "login"})
            for i, s in enumerate(SEATS)]


def write(data):
    path = tempfile.mktemp(suffix=".ndjson")
    with open(path, "wb") as f:
        f.write(data)
    return path


def send(d, data):
    with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
        s.sendall(data)


def settled(d, want):
    """Every line counted and the idle feed's abandons decided."""
    g = d.live()["windows"]["all"]["global"]
    return all(g[k] == want["global"][k] for k in ("offered", "answered", "abandoned", "completed"))


def flushed(redis, prefix, want):
    g = redis.hgetall(f"{prefix}:today:global")
    return g.get("offered") == str(want["global"]["offered"]) and \
        g.get("completed") == str(want["global"]["completed"])


def kill(d):
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.log.close()
    d.proc = None


def bucket_hashes(redis, prefix):
    """Every window, minute and day hash under prefix, keyed without it; seat samples out."""
    out = {}
    for key in redis.keys(f"{prefix}:*"):
        rest = key[len(prefix) + 1:]
        if rest.split(":")[0] not in ("min", "day", "15m", "1h", "today", "shift", "all"):
            continue
        h = {k: v for k, v in redis.hgetall(key).items() if k not in SEAT_FIELDS}
        if h:
            out[rest] = h
    return out


def same_hashes(got, want, where):
    check(set(got) == set(want), f"{where}: keys differ: only here {sorted(set(got) - set(want))[:5]}, "
          f"only in the reference {sorted(set(want) - set(got))[:5]}")
    for k in sorted(set(got) & set(want)):
        if got[k] != want[k]:
            diff = {f: (got[k].get(f), want[k].get(f)) for f in set(got[k]) | set(want[k])
                    if got[k].get(f) != want[k].get(f)}
            check(False, f"{where} {k}: {diff}")


def same_as_replay(live, want, where):
    for kind in ("global", "outbound"):
        same_figures(live[kind], want[kind], f"{where}.{kind}")
    for kind in ("queues", "seats", "platforms"):
        check(set(live[kind]) == set(want[kind]), f"{where}.{kind}: names differ")
        for name in want[kind]:
            same_figures(live[kind].get(name, {}), want[kind][name], f"{where}.{kind}.{name}")


def minute_start_ms(code):
    dt = datetime.datetime.strptime(str(code), "%Y%m%d%H%M").replace(tzinfo=TZ)
    return int(dt.timestamp()) * 1000


def restored_rolling(redis, prefix, clock_ms, length_ms):
    """What 15m or 1h holds just after a restore: the minutes stamped at their last
    millisecond inside (clock - length, clock]."""
    total = 0
    for key in redis.keys(f"{prefix}:min:*:global"):
        code = int(key.split(":")[2])
        last = minute_start_ms(code) + 59999
        if clock_ms - length_ms < last and minute_start_ms(code) <= clock_ms:
            total += int(redis.hgetall(key).get("answered", 0))
    return total


def case_nothing_in_flight():
    rnd = random.Random(5)
    first = logins(START - 30) + part(rnd, "a", START, START + 45 * 60)   # 07:20 to 08:05
    kill_at = first[-1][0]
    second = part(rnd, "b", kill_at + 5, kill_at + 80 * 60)             # then 80 minutes more
    path1, path_all = write(ndjson(first)), write(ndjson(first + second))
    want1, want = replay(path1), replay(path_all)
    redis = Redis().start()
    url = f"redis://127.0.0.1:{redis.port}"
    ref = Rexiand(url, ["--clock", "event", "--prefix", "ref"]).start()
    d = None
    try:
        # the reference: one uninterrupted run; 15m and 1h noted at the kill's moment
        send(ref, ndjson(first))
        check(wait_for(lambda: settled(ref, want1), timeout=60), "reference: part 1 settles")
        exact_at_kill = ref.live()["windows"]
        send(ref, ndjson(second))
        check(wait_for(lambda: settled(ref, want), timeout=60), "reference: the whole feed settles")
        check(wait_for(lambda: flushed(redis, "ref", want), timeout=30), "reference flushed")
        ref.stop()

        d = Rexiand(url, ["--clock", "event"]).start()
        send(d, ndjson(first))
        check(wait_for(lambda: settled(d, want1), timeout=60), "part 1 settles")
        check(wait_for(lambda: flushed(redis, "rexian", want1), timeout=30), "part 1 flushed")
        time.sleep(0.3)
        clock_ms = int(redis.hgetall("rexian:live")["clock_ms"])
        kill(d)
        d.start()
        log = d.read_log()
        check("restore: no journal; restored from Redis" in log, "the restore is logged")
        check("0 calls waiting and 0 seats on a call" in log, f"nothing in flight: {log}")
        windows = d.live()["windows"]
        for win in ("today", "shift", "all"):
            check(windows[win]["global"]["offered"] == exact_at_kill[win]["global"]["offered"],
                  f"restored {win}: {windows[win]['global']['offered']} != {exact_at_kill[win]['global']['offered']}")
        same_as_replay(windows["today"], want1, "restored.today")
        for win, length in (("15m", 900000), ("1h", 3600000)):
            got = windows[win]["global"]["answered"]
            check(got == restored_rolling(redis, "rexian", clock_ms, length),
                  f"restored {win}: {got} != the minutes inside it")
            check(got >= exact_at_kill[win]["global"]["answered"],
                  f"restored {win} holds at least the exact figure: {got}")

        send(d, ndjson(second))
        check(wait_for(lambda: settled(d, want), timeout=60), "the whole feed settles")
        check(wait_for(lambda: flushed(redis, "rexian", want), timeout=30), "the whole feed flushed")
        time.sleep(0.3)
        windows = d.live()["windows"]
        same_as_replay(windows["today"], want, "today")
        same_as_replay(windows["all"], want, "all")
        same_hashes(bucket_hashes(redis, "rexian"), bucket_hashes(redis, "ref"), "redis")
        check(redis.hgetall("rexian:shift:global") != redis.hgetall("rexian:today:global"),
              "the feed crosses the 08:00 shift change")
        same_figures(redis_hash_as_metrics(redis.hgetall("rexian:today:global")),
                     json_metrics_for_redis(want["global"]), "redis.today.global")
    finally:
        if ref.proc:
            ref.stop()
        if d is not None and d.proc:
            d.stop()
        redis.cleanup()
        os.unlink(path1)
        os.unlink(path_all)


def case_calls_in_flight():
    rnd = random.Random(9)
    first = logins(START - 30) + part(rnd, "a", START, START + 20 * 60)
    t = first[-1][0] + 1
    waiting = [call_events(rnd, f"w-{i}", t + i, answer=False) for i in range(3)]
    talking = [call_events(rnd, f"t-{i}", t + 3 + i, seat=SEATS[i], hangup=False) for i in range(2)]
    for c in waiting + talking:   # inbound, so they show in `waiting`
        c[0][1].pop("direction", None)
    kill_events = sorted([e for c in waiting + talking for e in c] + first, key=lambda e: e[0])
    kill_at = kill_events[-1][0]
    later = []      # the calls in flight go on after the kill
    for i, c in enumerate(waiting):
        later += [(kill_at + 5 + i, {"ts": round(kill_at + 5 + i, 3), "event": "answer",
                                     "call": c[0][1]["call"], "seat": SEATS[5 + i]}),
                  (kill_at + 100 + i, {"ts": round(kill_at + 100 + i, 3), "event": "hangup",
                                       "call": c[0][1]["call"]})]
    for i, c in enumerate(talking):
        later.append((kill_at + 50 + i, {"ts": round(kill_at + 50 + i, 3), "event": "hangup",
                                         "call": c[0][1]["call"], "outcome": "online"}))
    second = sorted(later + part(rnd, "b", kill_at + 2, kill_at + 15 * 60), key=lambda e: e[0])
    path1 = write(ndjson(kill_events))
    # what survives: the calls that ended before the kill, the talking calls' answers, and
    # everything offered after it
    kept = kill_events + [e for e in second if not e[1]["call"].startswith(("w-", "t-"))]
    path_kept = write(ndjson(sorted(kept, key=lambda e: e[0])))
    want1, want = replay(path1), replay(path_kept)
    redis = Redis().start()
    d = Rexiand(f"redis://127.0.0.1:{redis.port}", ["--clock", "event"]).start()
    try:
        send(d, ndjson(kill_events))
        check(wait_for(lambda: settled(d, want1), timeout=60), "part 1 settles")
        check(wait_for(lambda: flushed(redis, "rexian", want1) and
                       redis.hgetall("rexian:live").get("waiting") == "3", timeout=30), "part 1 flushed")
        kill(d)
        d.start()
        log = d.read_log()
        check("3 calls waiting and 2 seats on a call" in log, f"the calls in flight are named: {log}")
        check(" warn " in log.split("restore: no journal")[0].splitlines()[-1], "said as a warning")
        send(d, ndjson(second))
        check(wait_for(lambda: settled(d, want), timeout=60), "the rest settles")
        live = d.live()
        # one orphan per lost call: its later events, answer and hangup alike
        check(live["ingest"]["orphans"] == 3 + 2, f"orphans {live['ingest']['orphans']}")
        same_as_replay(live["windows"]["today"], want, "today")
        check(wait_for(lambda: flushed(redis, "rexian", want), timeout=30), "flushed")
        time.sleep(0.3)
        day = redis_hash_as_metrics(redis.hgetall("rexian:day:20260302:global"))
        check(day.get("answered") == want["global"]["answered"] and
              day.get("completed") == want["global"]["completed"], f"day bucket {day}")
    finally:
        d.stop()
        redis.cleanup()
        os.unlink(path1)
        os.unlink(path_kept)


def case_redis_unreachable():
    # nothing listens on the port: refused at once
    t0 = time.time()
    d = Rexiand(f"redis://127.0.0.1:{free_port()}", ["--clock", "event"]).start()
    try:
        check(time.time() - t0 < 5, f"started in {time.time() - t0:.1f} s with Redis down")
        log = d.read_log()
        check("nothing restored from Redis" in log and "cannot connect" in log,
              f"says nothing was restored: {log}")
    finally:
        d.stop()
    # a Redis that accepts and never answers: the restore's timeouts bound the wait
    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(8)
    t0 = time.time()
    d = Rexiand(f"redis://127.0.0.1:{stalled.getsockname()[1]}", ["--clock", "event"]).start()
    try:
        check(time.time() - t0 < 8, f"started in {time.time() - t0:.1f} s with Redis stalled")
        check("nothing restored from Redis" in d.read_log(), "says nothing was restored (stalled)")
    finally:
        d.proc.kill()
        d.proc.wait()
        d.proc = None
        stalled.close()


case_nothing_in_flight()
case_calls_in_flight()
case_redis_unreachable()
finish()
