"""promtool on rexian's rules and on a real rexiand's /metrics.

1. `promtool check rules` and `promtool test rules` on dashboards/prometheus/rexian-rules.yml,
   `promtool check config` on the example dashboards/prometheus/prometheus.yml.
2. rexiand (event clock, private Redis) fed an hour of `rexian sim` (with feed dirt, two
   platforms, callbacks); GET /metrics passes `promtool check metrics` with no lint findings,
   and every series of docs/http-api.md is there with the values /api/live shows.
"""
import json
import os
import subprocess
import tempfile
import urllib.request

import monlib  # noqa: E402
from monlib import (RULES, PROM_CONFIG, RULES_TEST, SIM_START, Exposition, check, close,
                    finish, harness, line_ts, need, scopes, settle, sim, wait_for)

# promtool lint findings accepted on purpose, as {substring of the finding: why}. Empty: none.
JUSTIFIED_LINT = {}

COUNTERS = {  # metric -> how to get it from an `all`-window scope object of /api/live
    "rexian_calls_offered_total": lambda m: m["offered"],
    "rexian_calls_answered_total": lambda m: m["answered"],
    "rexian_calls_abandoned_total": lambda m: m["abandoned"],
    "rexian_calls_answered_within_sl_total": lambda m: m["answered_within_sl"],
    "rexian_calls_completed_total": lambda m: m["completed"],
    "rexian_calls_stale_total": lambda m: m["stale"],
    "rexian_calls_long_talk_total":
        lambda m: round(m["long_talk_share"] * m["completed"]) if m["completed"] else 0,
    "rexian_wait_seconds_total":
        lambda m: m["avg_wait_s"] * m["answered"] if m["answered"] else 0,
    "rexian_talk_seconds_total":
        lambda m: m["avg_talk_s"] * m["completed"] if m["completed"] else 0,
}
WINDOWED = {  # gauge -> key of the scope object, per window
    "rexian_service_level": "service_level",
    "rexian_connect_rate": "connect_rate",
    "rexian_abandon_rate": "abandon_rate",
    "rexian_avg_wait_seconds": "avg_wait_s",
    "rexian_avg_talk_seconds": "avg_talk_s",
    "rexian_long_talk_share": "long_talk_share",
    "rexian_calls_offered": "offered",
}
INGEST = ["lines", "events", "errors", "duplicates", "orphans", "late"]
OTHER_TYPES = {
    "rexian_calls_waiting": "gauge", "rexian_longest_wait_seconds": "gauge", "rexian_seats": "gauge",
    "rexian_calls_in_flight": "gauge", "rexian_feed_connections_total": "counter",
    "rexian_feed_connections_refused_total": "counter", "rexian_feed_connections": "gauge",
    "rexian_redis_up": "gauge", "rexian_redis_reconnects_total": "counter",
    "rexian_redis_errors_total": "counter", "rexian_redis_flushes_total": "counter",
    "rexian_redis_flushes_skipped_total": "counter", "rexian_redis_flush_seconds": "gauge",
    "rexian_alerts_firing": "gauge", "rexian_alert_webhook_failures_total": "counter",
}
DEFAULT_RULES = ["connect_rate_low", "service_level_low", "calls_waiting_high", "longest_wait_high"]


def promtool(*args, stdin=None):
    p = subprocess.run(["promtool", *args], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def static_checks():
    code, out = promtool("check", "rules", RULES)
    check(code == 0 and "SUCCESS" in out, "promtool check rules: " + out)
    code, out = promtool("test", "rules", RULES_TEST)
    check(code == 0 and "SUCCESS" in out, "promtool test rules: " + out)
    # The example config reads rexian-rules.yml next to it.
    code, out = promtool("check", "config", PROM_CONFIG)
    check(code == 0 and "SUCCESS: 1 rule files found" in out and "FAILED" not in out,
          "promtool check config: " + out)


def lint(body):
    code, out = promtool("check", "metrics", stdin=body)
    findings = [l for l in out.splitlines() if l.strip()]
    unjustified = [f for f in findings if not any(k in f for k in JUSTIFIED_LINT)]
    check(not unjustified and (code == 0 or findings),
          "promtool check metrics (exit %d): %s" % (code, "\n  ".join(unjustified) or out))


def compare(expo, live, alerts):
    wins = live["windows"]
    # Types, and HELP for every family of the contract.
    for name in list(COUNTERS) + ["rexian_ingest_%s_total" % k for k in INGEST]:
        check(expo.types.get(name) == "counter", "TYPE of %s: %r, want counter" % (name, expo.types.get(name)))
    for name in WINDOWED:
        check(expo.types.get(name) == "gauge", "TYPE of %s: %r, want gauge" % (name, expo.types.get(name)))
    for name, t in OTHER_TYPES.items():
        check(expo.types.get(name) == t, "TYPE of %s: %r, want %s" % (name, expo.types.get(name), t))
    for name in expo.types:
        check(expo.helps.get(name, "").strip() != "", "no HELP for " + name)
    for n, l, v in expo.samples:
        check(n.startswith("rexian_"), "series outside the rexian_ namespace: " + n)

    # Counters per scope = the `all` window; one series per scope of /api/live, no others.
    all_scopes = scopes(wins["all"])
    want_sets = sorted(json.dumps(l, sort_keys=True) for l, _ in all_scopes)
    for name, get in COUNTERS.items():
        got_sets = sorted(json.dumps(l, sort_keys=True) for l, _ in expo.series(name))
        check(got_sets == want_sets, "%s: label sets %s, want those of /api/live %s"
              % (name, got_sets[:8], want_sets[:8]))
        for labels, m in all_scopes:
            got, want = expo.value(name, **labels), get(m)
            ok = close(got, want, rel=1e-6, abs_=0.002) if "seconds" in name else got == want
            check(ok, "%s%s = %r, /api/live says %r" % (name, labels, got, want))

    # Windowed gauges: every window, every scope; absent exactly when /api/live says null.
    for w, wm in wins.items():
        for labels, m in scopes(wm):
            for name, key in WINDOWED.items():
                got = expo.value(name, window=w, **labels)
                want = m.get(key)
                check(close(got, want, rel=1e-9),
                      "%s%s window=%s = %r, /api/live says %r" % (name, labels, w, got, want))
    for name in WINDOWED:
        for labels, v in expo.series(name):
            check(labels.get("window") in wins, "%s%s: window not in /api/live" % (name, labels))
            if name != "rexian_calls_offered" and name.endswith(("_level", "_rate", "_share")):
                check(0 <= v <= 1, "%s%s = %r, not a fraction" % (name, labels, v))

    g = wins["all"]["global"]
    check(g["offered"] > 100, "the sim hour should give over 100 offered calls, got %r" % g["offered"])
    check(expo.value("rexian_calls_offered_total", scope="global") == g["offered"],
          "rexian_calls_offered_total{scope=global} != windows.all.global.offered")
    check(g["offered"] == g["answered"] + g["abandoned"], "offered != answered + abandoned")

    # Live gauges.
    lv = live["live"]
    check(lv["waiting"] >= 1 and lv["queues"]["一企来"]["waiting"] == 1
          and close(lv["queues"]["一企来"]["longest_wait_s"], 60.0),
          "/api/live should show the caller left waiting 60 s in 一企来: %r" % lv.get("queues"))
    # A longest wait with nobody waiting is null in /api/live; on /metrics 0 or absent.
    zero = lambda v: 0.0 if v is None else v  # noqa: E731
    check(close(expo.value("rexian_calls_waiting"), lv["waiting"]),
          "rexian_calls_waiting = %r, live.waiting %r" % (expo.value("rexian_calls_waiting"), lv["waiting"]))
    check(close(expo.value("rexian_longest_wait_seconds"), zero(lv["longest_wait_s"]), rel=1e-6, abs_=0.002),
          "rexian_longest_wait_seconds = %r, live %r" % (expo.value("rexian_longest_wait_seconds"), lv["longest_wait_s"]))
    for q, qv in (lv.get("queues") or {}).items():
        check(close(expo.value("rexian_calls_waiting", queue=q), qv["waiting"]),
              "rexian_calls_waiting{queue=%s} = %r, live %r" % (q, expo.value("rexian_calls_waiting", queue=q), qv["waiting"]))
        got = expo.value("rexian_longest_wait_seconds", queue=q)
        check(close(got, zero(qv["longest_wait_s"]), rel=1e-6, abs_=0.002)
              or (got is None and qv["longest_wait_s"] is None),
              "rexian_longest_wait_seconds{queue=%s} = %r, live %r"
              % (q, expo.value("rexian_longest_wait_seconds", queue=q), qv["longest_wait_s"]))
    for state, key in (("logged_in", "seats_logged_in"), ("ready", "seats_ready"), ("on_call", "seats_on_call")):
        check(close(expo.value("rexian_seats", state=state), lv[key]),
              "rexian_seats{state=%s} = %r, live.%s %r" % (state, expo.value("rexian_seats", state=state), key, lv[key]))

    # Ingest.
    ing = live["ingest"]
    for k in INGEST:
        got = expo.value("rexian_ingest_%s_total" % k)
        check(got == ing[k], "rexian_ingest_%s_total = %r, ingest.%s %r" % (k, got, k, ing[k]))
    check(expo.value("rexian_calls_in_flight") == ing["calls_in_flight"],
          "rexian_calls_in_flight = %r, ingest %r" % (expo.value("rexian_calls_in_flight"), ing["calls_in_flight"]))
    check(ing["errors"] >= 3 and ing["duplicates"] > 0, "the dirty feed should give errors and duplicates: %r" % ing)

    # rexiand's own health: two feed connections were made and closed, Redis is up.
    check((expo.value("rexian_feed_connections_total") or 0) >= 2,
          "rexian_feed_connections_total = %r, want >= 2 (two connections)" % expo.value("rexian_feed_connections_total"))
    check(expo.value("rexian_feed_connections_refused_total") == 0, "rexian_feed_connections_refused_total != 0")
    check(expo.value("rexian_feed_connections") == 0,
          "rexian_feed_connections = %r after the feeds closed" % expo.value("rexian_feed_connections"))
    check(expo.value("rexian_redis_up") == 1, "rexian_redis_up = %r" % expo.value("rexian_redis_up"))
    check(expo.value("rexian_redis_reconnects_total") is not None, "no rexian_redis_reconnects_total")
    check(expo.value("rexian_redis_errors_total") == 0, "rexian_redis_errors_total = %r" % expo.value("rexian_redis_errors_total"))
    check((expo.value("rexian_redis_flushes_total") or 0) > 0, "rexian_redis_flushes_total = %r" % expo.value("rexian_redis_flushes_total"))
    check(expo.value("rexian_redis_flushes_skipped_total") is not None, "no rexian_redis_flushes_skipped_total")
    fs = expo.value("rexian_redis_flush_seconds")
    check(fs is not None and 0 <= fs < 5, "rexian_redis_flush_seconds = %r" % fs)

    # Alerts: one rexian_alerts_firing per rule (the defaults here), 1 exactly when firing.
    firing = {a["rule"] for a in alerts.get("firing", [])}
    rules = sorted(l.get("rule") for l, _ in expo.series("rexian_alerts_firing"))
    check(rules == sorted(DEFAULT_RULES), "rexian_alerts_firing rules %r, want the defaults %r" % (rules, DEFAULT_RULES))
    for labels, v in expo.series("rexian_alerts_firing"):
        check(v == (1 if labels.get("rule") in firing else 0),
              "rexian_alerts_firing%s = %r, /api/alerts firing %r" % (labels, v, sorted(firing)))
    check(expo.value("rexian_alert_webhook_failures_total") == 0, "rexian_alert_webhook_failures_total != 0")


def main():
    need("promtool")
    static_checks()

    feed = sim("--start", SIM_START, "--hours", "1", "--seed", "3", "--dirt", "0.01",
               "--platforms", "连云港:2,镇江:1")
    # Three bad lines of our own (ingest errors), and one more connection that sends nothing
    # but a blank line, so the connection counters have something to count.
    feed += b'not json\n{"event": "offer", "call": "x"}\n[1, 2]\n'
    # A caller still waiting at the end, for 60 s of event time, in queue 一企来.
    last = max(t for t in map(line_ts, feed.splitlines()) if t is not None)
    feed += ('{"ts": %.3f, "event": "offer", "call": "still-waiting", "queue": "一企来"}\n'
             '{"ts": %.3f, "event": "seat", "seat": "9999", "state": "notready"}\n'
             % (last + 1, last + 61)).encode()
    nlines = feed.count(b"\n") + 1
    redis = harness.Redis().start()
    d = harness.Rexiand(f"redis://127.0.0.1:{redis.port}", ["--clock", "event"])
    try:
        d.start()
        d.send(feed)
        d.send(b"\n")
        live = settle(d, nlines)
        check(live is not None, "rexiand did not settle on the %d-line feed" % nlines)
        if live is None:
            return
        wait_for(lambda: b"\nrexian_feed_connections 0" in d.get("/metrics"), timeout=10)
        # /metrics between two equal snapshots, so both describe the same state.
        for _ in range(5):
            before = d.live()
            with urllib.request.urlopen(f"http://127.0.0.1:{d.http_port}/metrics", timeout=5) as r:
                headers, body = dict(r.headers), r.read()
            alerts = json.loads(d.get("/api/alerts"))
            after = d.live()
            if json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True):
                break
        ctype = headers.get("Content-Type", "")
        check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              "/metrics Content-Type %r, want text/plain; version=0.0.4" % ctype)
        check(headers.get("Cache-Control") == "no-store", "/metrics without Cache-Control: no-store")
        text = body.decode("utf-8")
        expo = Exposition(text)
        for e in expo.errors:
            check(False, "/metrics: " + e)
        lint(body)
        compare(expo, after, alerts)
        if harness.failures:
            keep = os.path.join(tempfile.gettempdir(), "rexian-metrics-failed.txt")
            with open(keep, "w") as f:
                f.write(text)
            print("the /metrics body is in", keep)
    finally:
        monlib.stop_rexiand(d)
        redis.cleanup()


if __name__ == "__main__":
    monlib.run(main)
