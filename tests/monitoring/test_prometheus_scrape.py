"""A real Prometheus scrapes a real rexiand.

prometheus runs on a loopback port with dashboards/prometheus/prometheus.yml (the example,
pointed at this test's rexiand, scrape and evaluation every 1 s) and rexian-rules.yml; rexiand
(event clock, private Redis) is fed an hour of `rexian sim` while Prometheus scrapes it. Then:
the query API returns rexian_calls_offered_total with the value /api/live shows, the target is
up, every rule group evaluates without error, recording rules give series, and every query of
dashboards/grafana/rexian.json runs (the "now" panels with data).
"""
import json
import re
import time

import monlib  # noqa: E402
from monlib import (DASHBOARD, PROM_CONFIG, RULES, SIM_START, Prometheus, check, close, finish,
                    free_port, harness, need, settle, sim, wait_for)
import subprocess

# Grafana's variables, as the dashboard would expand them for this test's data.
VARS = {"${DS_PROMETHEUS}": "", "$__rate_interval": "1m", "$__interval": "1s", "$__range": "1h",
        "$instance": ".*", "$queue": ".*", "$window": "15m"}


def example_config(http_port):
    """The example config, with this test's rexiand, 1 s intervals and a dead Alertmanager."""
    with open(PROM_CONFIG) as f:
        text = f.read()
    for old, new in (("127.0.0.1:8345", "127.0.0.1:%d" % http_port),
                     ("scrape_interval: 15s", "scrape_interval: 1s"),
                     ("evaluation_interval: 15s", "evaluation_interval: 1s"),
                     ("127.0.0.1:9093", "127.0.0.1:%d" % free_port())):
        check(text.count(old) == 1, "dashboards/prometheus/prometheus.yml: expected %r once" % old)
        text = text.replace(old, new)
    return text


def dashboard_static(d):
    """Checks of the dashboard's JSON that need no server; returns its queries."""
    check(isinstance(d.get("uid"), str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"] or ""),
          "dashboard uid %r" % d.get("uid"))
    check(isinstance(d.get("schemaVersion"), int) and d["schemaVersion"] >= 36,
          "dashboard schemaVersion %r" % d.get("schemaVersion"))
    check(d.get("title"), "dashboard without a title")
    inputs = {i.get("name"): i for i in d.get("__inputs", [])}
    check(inputs.get("DS_PROMETHEUS", {}).get("pluginId") == "prometheus"
          and inputs["DS_PROMETHEUS"].get("type") == "datasource",
          "no DS_PROMETHEUS datasource input: %r" % d.get("__inputs"))
    ids, exprs, boxes = set(), [], []
    want_titles = {"30秒人工接通率 · 15 min": "stat", "30秒人工接通率 · 今日 today": "stat"}
    seen_types = set()
    for p in d.get("panels", []):
        check(p.get("id") not in ids, "panel id %r twice" % p.get("id"))
        ids.add(p.get("id"))
        gp = p.get("gridPos", {})
        check(all(isinstance(gp.get(k), int) for k in "xywh") and gp["x"] + gp["w"] <= 24,
              "panel %r: bad gridPos %r" % (p.get("title"), gp))
        boxes.append((p.get("title"), gp))
        seen_types.add(p.get("type"))
        if p.get("type") == "row":
            continue
        check(p.get("datasource") == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
              "panel %r: datasource %r" % (p.get("title"), p.get("datasource")))
        check(p.get("targets"), "panel %r has no queries" % p.get("title"))
        refs = [t.get("refId") for t in p.get("targets", [])]
        check(len(refs) == len(set(refs)), "panel %r: repeated refId" % p.get("title"))
        for t in p.get("targets", []):
            check(t.get("datasource", p["datasource"]) == p["datasource"],
                  "panel %r: a query on another datasource" % p.get("title"))
            exprs.append((p["title"], p["type"], t["expr"]))
        if p.get("title") in want_titles:
            check(p["type"] == want_titles.pop(p["title"]), "panel %r is not a stat" % p["title"])
            steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
            check([s["value"] for s in steps] == [None, 0.90, 0.95]
                  and p["fieldConfig"]["defaults"]["unit"] == "percentunit",
                  "panel %r: thresholds %r, want red / 0.90 amber / 0.95 green" % (p["title"], steps))
    check(not want_titles, "service-level stat panels missing: %r" % list(want_titles))
    check({"stat", "timeseries", "table", "row"} <= seen_types, "panel types %r" % seen_types)
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            overlap = (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                       and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
            check(not overlap, "panels %r and %r overlap" % (ta, tb))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            check(v.get("datasource") == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                  "variable %r: datasource %r" % (v.get("name"), v.get("datasource")))
            exprs.append(("variable " + v["name"], "variable", v["definition"]))
    text = json.dumps(d, ensure_ascii=False)
    for var in set(re.findall(r"\$\{?[A-Za-z_]+\}?", text)):
        check(var in VARS, "dashboard uses an unknown variable %s" % var)
    return exprs


def expand(expr):
    for k in sorted(VARS, key=len, reverse=True):
        expr = expr.replace(k, VARS[k])
    return expr


def label_values_query(expr):
    """label_values(SELECTOR, LABEL) -> the selector, queried as is."""
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", expr.strip())
    return (m.group(1), m.group(2)) if m else (None, None)


def main():
    need("prometheus", "promtool")
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    exprs = dashboard_static(dash)

    feed = sim("--start", SIM_START, "--hours", "1", "--seed", "3")
    lines = feed.splitlines(keepends=True)
    redis = harness.Redis().start()
    d = harness.Rexiand(f"redis://127.0.0.1:{redis.port}", ["--clock", "event"])
    prom = None
    try:
        d.start()
        with open(RULES) as f:
            rules = f.read()
        prom = Prometheus(example_config(d.http_port), {"rexian-rules.yml": rules})
        code = subprocess.run(["promtool", "check", "config", prom.config], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        check(code.returncode == 0, "promtool check config (test copy): " + code.stdout.decode())
        prom.start()

        # Feed in 8 parts over ~8 s, so the counters grow while Prometheus scrapes them.
        parts = 8
        per = (len(lines) + parts - 1) // parts
        for i in range(parts):
            d.send(b"".join(lines[i * per:(i + 1) * per]))
            time.sleep(1.0)
        live = settle(d, len(lines))
        check(live is not None, "rexiand did not settle")
        if live is None:
            return
        offered = live["windows"]["all"]["global"]["offered"]
        check(offered > 100, "the sim hour should give over 100 offered calls, got %r" % offered)

        got = {}

        def offered_seen():
            res = prom.query('rexian_calls_offered_total{scope="global"}')
            got["res"] = res
            return len(res) == 1 and float(res[0]["value"][1]) == offered
        check(wait_for(offered_seen, timeout=60, step=0.5),
              "query API: rexian_calls_offered_total{scope=\"global\"} = %r, want %r"
              % (got.get("res"), offered))
        res = got.get("res") or [{}]
        labels = res[0].get("metric", {})
        check(labels.get("job") == "rexiand" and labels.get("instance") == "127.0.0.1:%d" % d.http_port
              and labels.get("hotline") == "12345",
              "series labels %r: want job=rexiand, this instance, hotline=12345" % labels)

        targets = prom.api("targets")["activeTargets"]
        check(len(targets) == 1 and targets[0]["health"] == "up",
              "targets: %r" % [(t.get("scrapeUrl"), t.get("health"), t.get("lastError")) for t in targets])

        # The windowed gauges reach Prometheus unchanged.
        g15 = live["windows"]["15m"]["global"]
        res = prom.query('rexian_connect_rate{scope="global", window="15m"}')
        check(len(res) == 1 and close(float(res[0]["value"][1]), g15["connect_rate"]),
              "rexian_connect_rate 15m in Prometheus %r, /api/live %r" % (res, g15["connect_rate"]))

        # Every rule group loaded and evaluated (health ok, no error).
        def rules_ok():
            groups = prom.api("rules")["groups"]
            got["groups"] = groups
            return groups and all(r.get("health") == "ok" for gr in groups for r in gr["rules"])
        ok = wait_for(rules_ok, timeout=30, step=0.5)
        groups = got.get("groups") or []
        check({gr["name"] for gr in groups} == {"rexian.recording", "rexian.hotline", "rexian.health"},
              "rule groups loaded: %r" % [gr["name"] for gr in groups])
        check(ok, "rules not all healthy: %r" % [(r.get("name"), r.get("health"), r.get("lastError"))
                                               for gr in groups for r in gr["rules"] if r.get("health") != "ok"])

        # Recording rules: series exist, and the counter-derived ratios are fractions.
        def recorded(expr, pred):
            def f():
                res = prom.query(expr)
                got[expr] = res
                return len(res) >= 1 and all(pred(float(r["value"][1])) for r in res)
            return f
        for expr, pred, what in (
                ('scope:rexian_calls_offered:increase15m{scope="global"}', lambda v: v > 0, "> 0"),
                ('scope:rexian_connect_rate:ratio15m{scope="global"}', lambda v: 0 <= v <= 1, "in [0, 1]"),
                ('scope:rexian_service_level:ratio15m{scope="global"}', lambda v: 0 <= v <= 1, "in [0, 1]"),
                ('scope:rexian_connect_rate:ratio15m{scope="queue", name="12345"}', lambda v: 0 <= v <= 1, "in [0, 1]"),
                ('rexian:calls_waiting:sum', lambda v: v == live["live"]["waiting"], "= live.waiting"),
                ('rexian:seats:sum{state="logged_in"}', lambda v: v == live["live"]["seats_logged_in"], "= live.seats_logged_in")):
            check(wait_for(recorded(expr, pred), timeout=30, step=0.5),
                  "recording rule %s: %r, want a series %s" % (expr, got.get(expr), what))
        # The hotline figures of the sim hour are healthy: no hotline alert is pending or firing.
        alerts = prom.api("alerts")["alerts"]
        check(not [a for a in alerts if a["labels"]["alertname"] in
                   ("RexianConnectRateLow", "RexianServiceLevelLow", "RexianRedisDown")],
              "unexpected alerts: %r" % alerts)

        # The dashboard's queries run on this Prometheus; the "now" tiles have data, and each
        # table has at least one column of data (a live gauge per queue may be empty).
        table_rows = {}
        for title, ptype, expr in exprs:
            q = expand(expr)
            sel, label = label_values_query(q)
            try:
                if sel is not None:
                    res = prom.query(sel)
                    vals = {r["metric"].get(label) for r in res} - {None}
                    check(vals, "variable %s: no values for %s" % (title, expr))
                    continue
                res = prom.query(q)
            except RuntimeError as e:
                check(False, "dashboard panel %r: %s" % (title, e))
                continue
            if ptype == "stat":
                check(res, "dashboard panel %r: no data for %s" % (title, q))
            elif ptype == "table":
                table_rows[title] = table_rows.get(title, 0) + len(res)
        for title, n in table_rows.items():
            check(n > 0, "dashboard table %r: no data in any column" % title)
        tile = prom.query(expand(next(e for t, p, e in exprs if t == "30秒人工接通率 · 15 min")))
        check(len(tile) == 1 and close(float(tile[0]["value"][1]), g15["service_level"]),
              "SL 15m tile %r, /api/live %r" % (tile, g15["service_level"]))
    finally:
        if prom is not None:
            if harness.failures:
                print("prometheus log:", prom.read_log()[-3000:])
            prom.cleanup()
        monlib.stop_rexiand(d)
        redis.cleanup()


if __name__ == "__main__":
    monlib.run(main)
