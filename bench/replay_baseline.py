#!/usr/bin/env python3
"""replay_baseline.py: the script a hotline analyst would write instead of `rexian replay`.

It is the benchmark's yardstick (bench/replay_bench.sh times it on the same feed) and a
quick check of a generated feed against the published ranges: json.loads per line, calls
tracked in a dict, times as floats, inbound and outbound figures counted the obvious way.
It takes the sorted, clean feed `rexian sim` writes; it does not handle repeats,
reordering, clock skew or stale calls the way rexian does, which is the point of rexian.

usage: replay_baseline.py [--json] FILE   (FILE may be - for stdin)
"""
import json
import sys


def new_block():
    return {"offered": 0, "answered": 0, "abandoned": 0, "within_sl": 0,
            "wait": 0.0, "completed": 0, "talk": 0.0, "long": 0, "max_talk": 0.0}


def count(lines, sl=30.0, long=600.0):
    blocks = {"in": new_block(), "out": new_block()}
    calls = {}  # call id -> [direction, offer time, answer time or None]
    events = errors = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
            kind, t = ev["event"], float(ev["ts"])
        except (ValueError, KeyError, TypeError):
            errors += 1
            continue
        events += 1
        if kind == "offer":
            calls[ev["call"]] = [ev.get("direction", "in"), t, None]
        elif kind == "answer" and ev["call"] in calls:
            c = calls[ev["call"]]
            c[2] = t
            b = blocks[c[0]]
            b["answered"] += 1
            b["wait"] += t - c[1]
            b["within_sl"] += t - c[1] <= sl
        elif kind == "hangup" and ev["call"] in calls:
            direction, _, answered = calls.pop(ev["call"])
            b = blocks[direction]
            if answered is None:
                b["abandoned"] += 1
            else:
                talk = t - answered
                b["completed"] += 1
                b["talk"] += talk
                b["long"] += talk > long
                if talk > b["max_talk"]:
                    b["max_talk"] = talk
    return events, errors, blocks


def ratio(a, b):
    return a / b if b else None


def figures(b):
    offered = b["answered"] + b["abandoned"]
    return {
        "offered": offered, "answered": b["answered"], "abandoned": b["abandoned"],
        "service_level": ratio(b["within_sl"], offered),
        "connect_rate": ratio(b["answered"], offered),
        "avg_wait_s": ratio(b["wait"], b["answered"]),
        "avg_talk_s": ratio(b["talk"], b["completed"]),
        "long_talk_share": ratio(b["long"], b["completed"]),
        "max_talk_s": b["max_talk"],
    }


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    f = sys.stdin if args[0] == "-" else open(args[0], encoding="utf-8")
    with f:
        events, errors, blocks = count(f)
    out = {"events": events, "errors": errors,
           "global": figures(blocks["in"]), "outbound": figures(blocks["out"])}
    if as_json:
        print(json.dumps(out))
    else:
        print(f"events {events}, errors {errors}")
        for scope in ("global", "outbound"):
            print(scope + ": " + ", ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                for k, v in out[scope].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
