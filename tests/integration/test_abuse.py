"""rexiand under abuse: 10,000 concurrent feed connections, a flood of calls that never
end (--max-calls), a 1 GiB line without a newline, an HTTP client that never finishes its
headers, a Redis that stalls (DEBUG SLEEP) and one that answers nothing (SIGSTOP). Nothing crashes, memory stays bounded,
other clients are served, and every refusal shows in /metrics."""
import os
import resource
import signal
import socket
import time

from harness import Redis, Rexiand, check, finish, wait_for

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
CONNS = min(10000, hard - 200)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


redis = Redis().start()
d = Rexiand(f"redis://127.0.0.1:{redis.port}", ["--clock", "event", "--max-calls", "3000"]).start()
try:
    # 1. thousands of concurrent connections, each sending one offer and staying open
    socks = []
    for i in range(CONNS):
        s = socket.create_connection(("127.0.0.1", d.feed_port))
        s.sendall(b'{"ts":%d,"event":"offer","call":"conn-%d","queue":"12345"}\n' % (1772409600 + i // 100, i))
        socks.append(s)
    check(wait_for(lambda: d.metric("rexian_feed_connections") == CONNS, timeout=60),
          f"{CONNS} connections open at once: {d.metric('rexian_feed_connections')}")
    check(wait_for(lambda: d.live()["ingest"]["events"] == CONNS, timeout=30), "every connection's line counted")
    # the flood of never-ending calls is capped by --max-calls: the oldest are closed as stale
    check(d.live()["ingest"]["calls_in_flight"] <= 3000, "calls in flight bounded by --max-calls")
    check(d.live()["ingest"]["evicted"] >= CONNS - 3000, f"evictions counted: {d.live()['ingest']['evicted']}")
    for s in socks:
        s.close()
    check(wait_for(lambda: d.metric("rexian_feed_connections") == 0, timeout=30), "all closed")
    # more such calls, one at a time with heartbeats between (a flood read slowly): calls are
    # still at --max-calls, so it is the same flood, not a new one each time
    events = CONNS
    for i in range(3):
        with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
            s.sendall(b'{"ts":%d,"event":"offer","call":"trickle-%d","queue":"12345"}\n'
                      % (1772409600 + CONNS // 100, i))
        events += 1
        check(wait_for(lambda: d.live()["ingest"]["events"] == events, timeout=60), "a late call counted")
        flushes = d.metric("rexian_redis_flushes_total")
        check(wait_for(lambda: d.metric("rexian_redis_flushes_total") >= flushes + 2, timeout=60),
              "heartbeats go on")
    log = d.read_log()
    check(log.count("more than --max-calls") == 1, "the flood is logged once")

    # 2. a 1 GiB line with no newline, then a good line on the same connection
    before = rss_kb(d.proc.pid)
    with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
        block = b"z" * (1 << 20)
        for _ in range(1024):
            s.sendall(block)
        s.sendall(b'\n{"ts":1772420000,"event":"offer","call":"after-the-giant","queue":"12345"}\n')
    check(wait_for(lambda: d.live()["ingest"]["events"] == events + 1, timeout=60), "the line after the giant one counts")
    check(d.live()["ingest"]["errors"] == 1, "the giant line is one error")
    grown = rss_kb(d.proc.pid) - before
    check(grown < 64 * 1024, f"memory did not follow the giant line: +{grown} KB")

    # 3. an HTTP client that never finishes its headers does not block others
    slow = socket.create_connection(("127.0.0.1", d.http_port))
    slow.sendall(b"GET /api/live HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.time()
    check(d.get("/healthz").strip() == b'"ok"' and time.time() - t0 < 2, "others are served")
    slow.close()

    # 4. Redis stalls for 2 s: ingest goes on, flushes are skipped and counted, then resume
    skipped = d.metric("rexian_redis_flushes_skipped_total")
    stall = socket.create_connection(("127.0.0.1", redis.port))
    stall.sendall(b"DEBUG SLEEP 2\r\n")
    time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
        s.sendall(b'{"ts":1772420001,"event":"offer","call":"during-stall","queue":"12345"}\n')
    check(wait_for(lambda: d.live()["ingest"]["events"] == events + 2, timeout=1.5), "ingest does not wait on Redis")
    stall.recv(100)
    stall.close()
    check(d.metric("rexian_redis_flushes_skipped_total") > skipped,
          f"skipped flushes are counted: {skipped} -> {d.metric('rexian_redis_flushes_skipped_total')}, "
          f"flushes {d.metric('rexian_redis_flushes_total')}")
    check(wait_for(lambda: redis.hgetall("rexian:live").get("waiting") is not None, timeout=10), "flushes resume")

    # 5. Redis answers nothing at all for 5 s (stopped; the kernel still takes the bytes):
    # ingest goes on, flushes coalesce instead of piling up, and Redis catches up after
    skipped = d.metric("rexian_redis_flushes_skipped_total")
    stale_before = d.live()["windows"]["all"]["global"]["stale"]
    before = rss_kb(d.proc.pid)
    os.kill(redis.proc.pid, signal.SIGSTOP)
    try:
        with socket.create_connection(("127.0.0.1", d.feed_port)) as s:
            s.sendall(b"".join(b'{"ts":1772420002,"event":"offer","call":"mute-%d","queue":"12345"}\n' % i
                               for i in range(50)))
        check(wait_for(lambda: d.live()["ingest"]["events"] == events + 52, timeout=2),
              "ingest goes on while Redis is mute")
        time.sleep(5)
        check(d.metric("rexian_redis_flushes_skipped_total") >= skipped + 20,
              f"flushes coalesce: {skipped} -> {d.metric('rexian_redis_flushes_skipped_total')} skipped")
        grown = rss_kb(d.proc.pid) - before
        check(grown < 8 * 1024, f"nothing piles up while Redis is mute: +{grown} KB")
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
    # at --max-calls, each new offer closes the oldest call as stale: 50 more than before
    stale = d.live()["windows"]["all"]["global"]["stale"]
    check(stale == stale_before + 50, f"stale {stale_before} -> {stale}")
    check(wait_for(lambda: redis.hgetall("rexian:all:global").get("stale") == str(stale), timeout=15),
          f"Redis catches up once it answers: stale {redis.hgetall('rexian:all:global').get('stale')} "
          f"-> {stale}")
    check(d.proc.poll() is None, "still running")
finally:
    code = d.stop()
    check(code == 0, f"clean exit: {code}")
    redis.cleanup()
finish()
