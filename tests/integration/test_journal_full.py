"""The journal's disk fills, then frees: counting goes on, the failure is a clear log line
(once, not once per event), a `journal_failing` alert (log, /api/alerts, Redis channel and
stream, Alertmanager webhook) and /metrics figures; when writing works again the alert
resolves and the journal takes events again.

A full disk without root: the day's journal file is a symlink to /dev/full, where every
write fails with ENOSPC (as on a full file system). It is made after rexiand has started
(the start-up replay would read /dev/full's endless zeros) and removed to "free" the disk.
"""
import http.server
import json
import os
import shutil
import tempfile
import threading
import time

from harness import (Redis, Rexiand, Subscriber, check, finish, json_metrics_for_redis, make_feed,
                     redis_hash_as_metrics, replay, same_figures, wait_for)

DAY_FILE = "rexian-20260302.ndjson"   # make_feed's day (2026-03-02, Asia/Shanghai)


class Webhook(http.server.BaseHTTPRequestHandler):
    """An Alertmanager stand-in: keeps every alert list POSTed to it."""
    posts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Webhook.posts.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def journal_alerts(where):
    return [a for a in where if a.get("rule") == "journal_failing"]


def send_in_spells(d, lines, spells):
    """Several sends with quiet heartbeats between them: a quiet spell must not pass for a
    recovery (nor log again)."""
    per = (len(lines) + spells - 1) // spells
    for i in range(spells):
        d.send(b"".join(lines[i * per:(i + 1) * per]))
        time.sleep(0.4)


feed = make_feed(seed=11, calls=300)
lines = feed.splitlines(keepends=True)
half = len(lines) // 2
work = tempfile.mkdtemp(prefix="rexian-jfull-")
journal = os.path.join(work, "journal")
feed_path = os.path.join(work, "feed.ndjson")
with open(feed_path, "wb") as f:
    f.write(feed)

hook = http.server.HTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=hook.serve_forever, daemon=True).start()
redis = Redis().start()
d = Rexiand(f"redis://127.0.0.1:{redis.port}",
            ["--clock", "event", "--journal", journal, "--alert", "none",
             "--alert-webhook", f"http://127.0.0.1:{hook.server_address[1]}/api/v2/alerts"])
try:
    d.start()
    sub = Subscriber(redis.port, "SUBSCRIBE", "rexian:alerts")
    sub.start()
    check(d.metric("rexian_journal_failing") == 0, "journal healthy at start")
    os.symlink("/dev/full", os.path.join(journal, DAY_FILE))

    # --- the disk is full ---
    send_in_spells(d, lines[:half], 5)
    check(wait_for(lambda: d.metric("rexian_journal_failing") == 1, 5), "/metrics: failing 1")
    errors = d.metric("rexian_journal_write_errors_total")
    check(errors is not None and errors >= 100, f"/metrics: every refused event counted ({errors})")
    check(wait_for(lambda: journal_alerts(json.loads(d.get("/api/alerts"))["firing"]), 5),
          "/api/alerts: journal_failing firing")
    firing = journal_alerts(json.loads(d.get("/api/alerts"))["firing"])
    check(firing and firing[0]["state"] == "firing" and firing[0]["scope"] == "rexiand",
          f"the alert says what it is: {firing}")
    check(journal_alerts(d.live()["alerts"]["firing"]), "/api/live (the wallboard) shows it")
    check(wait_for(lambda: any(b"journal_failing" in e[1][1] and b'"firing"' in e[1][1]
                               for e in redis.cmd("XRANGE", "rexian:alerts:log", "-", "+")), 5),
          "Redis stream rexian:alerts:log has the alert")
    check(wait_for(lambda: any(a["labels"].get("alertname") == "journal_failing" and
                               a["labels"].get("severity") == "critical" and "endsAt" not in a and
                               "No space left" in a["annotations"]["summary"]
                               for p in Webhook.posts for a in p), 5),
          f"the webhook got a critical journal_failing alert naming the cause: {Webhook.posts}")
    still = d.metric("rexian_journal_failing")
    time.sleep(0.5)   # quiet heartbeats on a full disk
    check(still == 1 and d.metric("rexian_journal_failing") == 1, "a quiet spell is no recovery")

    # counting goes on: the first half counted as if nothing were wrong
    offered = d.live()["windows"]["all"]["global"]["offered"]
    check(offered and offered > 50, f"rexiand kept counting ({offered} offered)")

    # --- the disk has room again ---
    os.unlink(os.path.join(journal, DAY_FILE))
    send_in_spells(d, lines[half:], 3)
    check(wait_for(lambda: d.metric("rexian_journal_failing") == 0, 5), "/metrics: failing back to 0")
    check(wait_for(lambda: not journal_alerts(json.loads(d.get("/api/alerts"))["firing"]), 5),
          "the alert is no longer firing")
    recent = journal_alerts(json.loads(d.get("/api/alerts"))["recent"])
    check([a["state"] for a in recent] == ["resolved", "firing"], f"one episode, resolved: {recent}")
    check(wait_for(lambda: any(b"journal_failing" in e[1][1] and b'"resolved"' in e[1][1]
                               for e in redis.cmd("XRANGE", "rexian:alerts:log", "-", "+")), 5),
          "Redis stream has the resolution")
    check(wait_for(lambda: any(a["labels"].get("alertname") == "journal_failing" and "endsAt" in a
                               for p in Webhook.posts for a in p), 5), "the webhook got endsAt")
    check(wait_for(lambda: sub.data.count(b"journal_failing") >= 2, 5),
          "PUBLISH rexian:alerts: firing and resolved")
    with open(os.path.join(journal, DAY_FILE), "rb") as f:
        written = f.read()
    nwritten = written.count(b"\n")
    check(nwritten >= len(lines) - half - 20, f"the journal takes events again ({nwritten} lines)")

    # every event counted once, as `rexian replay` counts the whole feed
    want = replay(feed_path)
    check(wait_for(lambda: d.live()["windows"]["all"]["global"]["offered"] == want["global"]["offered"], 10),
          "all calls offered")
    time.sleep(1.5)   # the idle settle of the event clock
    same_figures(d.live()["windows"]["all"]["global"], want["global"], "api all.global")
    same_figures(redis_hash_as_metrics(redis.hgetall("rexian:all:global")),
                 json_metrics_for_redis(want["global"]), "redis all.global")

    code = d.stop()
    check(code == 0, f"clean exit ({code})")
    log = d.read_log()
    failed = [l for l in log.splitlines() if " error journal:" in l]
    check(len(failed) == 1 and "No space left on device" in failed[0] and "counting goes on" in failed[0],
          f"one clear error line for the whole episode: {failed or log}")
    check(log.count("info journal: writing again") == 1, "one recovery line")
    check(log.count("alert journal_failing FIRING") == 1 and log.count("alert journal_failing cleared") == 1,
          "one alert line each way")
finally:
    d.stop()
    redis.cleanup()
    hook.shutdown()
    shutil.rmtree(work, ignore_errors=True)
finish()
