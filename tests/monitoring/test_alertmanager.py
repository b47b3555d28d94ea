"""rexiand's alert rules fire into, and clear from, a real Alertmanager.

prometheus-alertmanager runs on a loopback port; rexiand (event clock, private Redis) has one
rule, connect_low (15-minute global connect rate below 0.90 with at least 20 offered calls,
held 60 s, clearing above 0.92), and posts to Alertmanager's /api/v2/alerts. The feed:
1. collapse: half an hour of `rexian sim` at the morning peak with one seat, so nearly every
   caller abandons; the alert must appear in Alertmanager's GET /api/v2/alerts with the
   contract's labels, and in rexiand's /api/alerts, /metrics and Redis stream;
2. recovery: 25 minutes of calls all answered within 2 s by 8 seats; the alert must leave
   Alertmanager's active list (or show endsAt in the past) and be resolved in rexiand.
Feed times lie in the past (a morning at least 3 hours ago), whichever clock rexiand stamps
startsAt / endsAt with. Both feeds are sent paced by event time, so the hold time can pass.
"""
import json
import time
from datetime import datetime, timezone

import monlib  # noqa: E402
from monlib import (Alertmanager, Exposition, check, finish, harness, line_ts, need,
                    send_paced, sim, wait_for)

RULE = "connect_low: connect_rate global 15m < 0.90 min=20 for=60 clear=0.92"
SH = 8 * 3600  # Asia/Shanghai, UTC+8


def past_morning(now=None):
    """The latest 10:00 Asia/Shanghai at least 3 hours before now, as epoch seconds."""
    x = int(now or time.time()) - 3 * 3600
    return (x + SH - 10 * 3600) // 86400 * 86400 + 10 * 3600 - SH


def recovery_feed(t0, minutes=25, every_s=10, seats=8):
    """Seats log in, then a call every `every_s` s, answered after 2 s, talking 60 s."""
    ev = []
    for i in range(seats):
        s = "r%d" % (9001 + i)
        ev.append((t0, {"ts": t0, "event": "seat", "seat": s, "state": "login"}))
        ev.append((t0 + 1, {"ts": t0 + 1, "event": "seat", "seat": s, "state": "ready"}))
    t, n = t0 + 5, 0
    while t < t0 + minutes * 60:
        call, seat = "rec-%d" % n, "r%d" % (9001 + n % seats)
        ev.append((t, {"ts": t, "event": "offer", "call": call, "queue": "12345"}))
        ev.append((t + 2, {"ts": t + 2, "event": "answer", "call": call, "seat": seat}))
        ev.append((t + 62, {"ts": t + 62, "event": "hangup", "call": call, "outcome": "online"}))
        t += every_s
        n += 1
    ev.sort(key=lambda e: e[0])
    return ("\n".join(json.dumps(e) for _, e in ev) + "\n").encode(), n


def rfc3339(s):
    """Alertmanager's time strings (nanoseconds, Z) as epoch seconds."""
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, frac = s.split(".", 1)
        digits = frac[:len(frac) - len(frac.lstrip("0123456789"))]   # not the zone's
        zone = frac[len(digits):]
        s = "%s.%s%s" % (head, digits[:6], zone)
    return datetime.fromisoformat(s).timestamp()


def firing_metric(d):
    expo = Exposition(d.get("/metrics").decode())
    return expo


def main():
    need("prometheus-alertmanager")
    am = Alertmanager().start()
    redis = harness.Redis().start()
    d = harness.Rexiand(f"redis://127.0.0.1:{redis.port}",
                        ["--clock", "event", "--alert-webhook", am.url("/api/v2/alerts"),
                         "--alert", RULE])
    try:
        d.start()
        check(am.alerts() == [], "Alertmanager has alerts before the feed: %r" % am.alerts())
        expo = firing_metric(d)
        rules = sorted(l.get("rule") for l, _ in expo.series("rexian_alerts_firing"))
        check(rules == ["connect_low"], "rexian_alerts_firing rules %r: --alert should replace the defaults" % rules)
        check(expo.value("rexian_alerts_firing", rule="connect_low") == 0, "connect_low firing before any call")

        # 1. Collapse: one seat at the morning peak.
        base = past_morning()
        collapse = sim("--start", str(base), "--hours", "0.5", "--rate", "300", "--seats", "1",
                       "--seed", "5")
        send_paced(d, collapse)
        seen = {}

        def fired():
            seen["am"] = am.alerts(alertname="connect_low")
            return len(seen["am"]) == 1
        ok = wait_for(fired, timeout=45, step=0.5)
        # (The sim's last minutes are one seat working off the queue: few calls end in the
        # last 15 minutes, so look at the hour.)
        g = d.live()["windows"]["1h"]["global"]
        check(g["offered"] >= 100 and g["connect_rate"] is not None and g["connect_rate"] < 0.50,
              "the collapse should sink the connect rate: 1h offered %r, connect %r"
              % (g["offered"], g["connect_rate"]))
        check(ok, "connect_low did not reach Alertmanager in 45 s: %r; rexiand /api/alerts %s; log: %s"
              % (seen.get("am"), d.get("/api/alerts")[:500], d.read_log()[-1500:]))
        if ok:
            a = seen["am"][0]
            lab, ann = a.get("labels", {}), a.get("annotations", {})
            check(lab.get("scope") == "global" and lab.get("window") == "15m" and lab.get("severity"),
                  "Alertmanager labels %r: want alertname, scope=global, window=15m, severity" % lab)
            check(ann.get("summary") and ann.get("value"), "annotations %r: want summary and value" % ann)
            check(a.get("status", {}).get("state") == "active", "alert state %r" % a.get("status"))
            check(rfc3339(a["endsAt"]) > time.time(), "a firing alert's endsAt %r is not in the future" % a["endsAt"])
            starts = rfc3339(a["startsAt"])
            check(base <= starts <= time.time() + 5,
                  "startsAt %r is neither the event time nor now" % a["startsAt"])
        al = json.loads(d.get("/api/alerts"))
        firing = [x for x in al.get("firing", []) if x.get("rule") == "connect_low"]
        check(len(firing) == 1 and firing[0].get("state") == "firing"
              and firing[0].get("metric") == "connect_rate" and firing[0].get("window") == "15m"
              and firing[0].get("scope") == "global" and firing[0].get("value") is not None
              and firing[0]["value"] < 0.90,
              "rexiand /api/alerts firing: %r" % al.get("firing"))
        check(firing_metric(d).value("rexian_alerts_firing", rule="connect_low") == 1,
              "rexian_alerts_firing{rule=connect_low} is not 1 while firing")
        check(wait_for(lambda: (redis.cmd("XLEN", "rexian:alerts:log") or 0) >= 1, timeout=10),
              "no entry in the Redis stream rexian:alerts:log")

        # 2. Recovery: every call answered within 2 s, for 25 minutes of event time.
        last = max(t for t in (line_ts(l) for l in collapse.splitlines()) if t is not None)
        recovery, ncalls = recovery_feed(int(last) + 5)
        send_paced(d, recovery)

        def cleared():
            seen["am"] = am.alerts(alertname="connect_low")
            now = time.time()
            return all(rfc3339(x["endsAt"]) <= now or x.get("status", {}).get("state") != "active"
                       for x in seen["am"])
        ok = wait_for(cleared, timeout=45, step=0.5)
        check(ok, "connect_low still active in Alertmanager 45 s after the recovery: %r; rexiand /api/alerts %s"
              % (seen.get("am"), d.get("/api/alerts")[:500]))
        g = d.live()["windows"]["15m"]["global"]
        check(g["connect_rate"] is not None and g["connect_rate"] > 0.92,
              "the recovery should lift the 15m connect rate: %r" % g["connect_rate"])
        al = json.loads(d.get("/api/alerts"))
        check(not [x for x in al.get("firing", []) if x.get("rule") == "connect_low"],
              "rexiand still lists connect_low as firing: %r" % al.get("firing"))
        recent = [x for x in al.get("recent", []) if x.get("rule") == "connect_low"]
        check(recent and recent[0].get("state") == "resolved",
              "rexiand /api/alerts recent, newest first: %r" % recent[:2])
        expo = firing_metric(d)
        check(expo.value("rexian_alerts_firing", rule="connect_low") == 0,
              "rexian_alerts_firing{rule=connect_low} is not 0 after clearing")
        check(expo.value("rexian_alert_webhook_failures_total") == 0,
              "rexian_alert_webhook_failures_total = %r" % expo.value("rexian_alert_webhook_failures_total"))
        check((redis.cmd("XLEN", "rexian:alerts:log") or 0) >= 2,
              "rexian:alerts:log should hold the firing and the resolution: XLEN %r"
              % redis.cmd("XLEN", "rexian:alerts:log"))
        log_lines = [l for l in d.read_log().splitlines() if "connect_low" in l]
        check(len(log_lines) >= 2, "rexiand's log should have a line for firing and one for clearing: %r" % log_lines)
    finally:
        if harness.failures:
            print("alertmanager log:", am.read_log()[-2000:])
        am.cleanup()
        monlib.stop_rexiand(d)
        redis.cleanup()


if __name__ == "__main__":
    monlib.run(main)
