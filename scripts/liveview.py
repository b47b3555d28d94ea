"""Renders rexiand's /api/live (on stdin) as a terminal wallboard for scripts/demo."""
import json
import sys
import time


def pct(v):
    return "   -   " if v is None else f"{v * 100:6.2f}%"


def sec(v):
    return "   -   " if v is None else f"{v:6.1f} s"


d = json.load(sys.stdin)
now = d["clock"]["now_ms"] / 1000
live = d["live"]
out = ["\033[H\033[2J",
       f"rexian · {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(now))} (feed time) · "
       f"wallboard {sys.argv[1] if len(sys.argv) > 1 else ''}",
       f"排队 waiting {live['waiting']}   最长等待 longest {sec(live['longest_wait_s'])}   "
       f"座席 seats in {live['seats_logged_in']} / ready {live['seats_ready']} / on call {live['seats_on_call']}",
       "",
       f"{'window':8} {'人工请求':>8} {'接听':>7} {'30秒接通率':>10} {'接通率':>8} {'放弃率':>8} "
       f"{'平均等待':>9} {'平均通话':>9} {'超10分钟':>8}"]
for w in ("15m", "1h", "shift", "today", "all"):
    g = d["windows"][w]["global"]
    out.append(f"{w:8} {g['offered']:>10} {g['answered']:>9} {pct(g['service_level']):>14} "
               f"{pct(g['connect_rate']):>10} {pct(g['abandon_rate']):>10} {sec(g['avg_wait_s']):>12} "
               f"{sec(g['avg_talk_s']):>12} {pct(g['long_talk_share']):>11}")
out.append("")
out.append("today by queue")
for name, q in d["windows"]["today"]["queues"].items():
    wq = live["queues"].get(name, {})
    out.append(f"  {name:10} offered {q['offered']:>6}  SL {pct(q['service_level'])}  "
               f"connect {pct(q['connect_rate'])}  waiting {wq.get('waiting', 0)}")
ing = d["ingest"]
out.append("")
out.append(f"ingest: {ing['events']} events, {ing['errors']} bad lines, {ing['duplicates']} duplicates, "
           f"{ing['orphans']} orphans · Ctrl-C stops the demo")
print("\n".join(out), flush=True)
