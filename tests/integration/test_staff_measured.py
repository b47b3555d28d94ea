"""`rexian staff` measured mode on a `rexian sim` day whose parameters are known: from the file,
the day's AHT and the callers' patience land near the generator's, there are 48 half hours,
seats are logged in at busy hours and the under-staffed ones are flagged; then the same feed
streamed into rexiand (event clock) and read back from Redis gives the same offered calls,
AHT and patience in every interval, and seat samples no higher than the seat events allow.

What the generator does (src/cli/sim.c), and so what to expect:
- inbound talk is lognormal with mean --aht-s and shape sigma 0.73 (coefficient of variation
  sqrt(e^(sigma^2) - 1) = 0.84), clamped to [3 s, 4 h], which moves the mean by nothing
  measurable: the measured AHT is a mean of n completed talks, standard error 0.84/sqrt(n)
  (1.4% for 3,600 calls), so +-5% is a 3.6-sigma band;
- patience is exponential with mean --patience-s, running from the offer; a caller still
  queued when it runs out hangs up. Once a seat is chosen the call rings for 2-6 s
  (uniform, mean 4 s) and cannot be abandoned any more, yet that ringing is part of the
  feed's wait (offer to answer). The estimator divides all waiting by the abandons, so
  it reads high by answered x 4 s / abandoned on this generator (a real caller can hang
  up while a seat rings). We take that known term off and then expect the estimate within
  3/sqrt(abandons) of --patience-s: the exponential MLE's relative standard error with k
  events is 1/sqrt(k), so this is a 3-sigma band (+-17% for 300 abandons);
- --seats 20 is fewer than the peak needs, so the busy hours queue (many abandons, a tight
  patience band) and must be flagged as under-staffed.
"""
import json
import math
import os
import socket
import subprocess
import tempfile
import time

from harness import REXIAN, Redis, Rexiand, check, finish, wait_for

AHT_S, PATIENCE_S, RING_MEAN_S, SEATS = 185.0, 200.0, 4.0, 20
SIM = [REXIAN, "sim", "--hours", "24", "--seed", "2", "--aht-s", str(AHT_S),
       "--patience-s", str(PATIENCE_S), "--seats", str(SEATS),
       "--start", "2026-03-02T00:00:00+08:00"]
SPEEDUP = 2880          # event seconds per wall second while streaming: one day in 30 s


def staff(*args):
    out = subprocess.run([REXIAN, "staff", *args], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    return out.stdout.decode()


def by_start(report):
    return {iv["start"]: iv for iv in report["intervals"]}


def check_file_mode(rep):
    day = rep["day"]
    check(rep["date"] == "2026-03-02", f"busiest day {rep['date']}")
    check(len(rep["intervals"]) == 48, f"{len(rep['intervals'])} intervals")
    check(sum(iv["offered"] for iv in rep["intervals"]) == day["offered"], "intervals add up")
    n = day["answered"]
    aht_err = day["aht_s"] / AHT_S - 1
    print(f"AHT {day['aht_s']:.2f} s over {n} calls vs {AHT_S} ({100 * aht_err:+.2f}%, "
          f"standard error {100 * 0.84 / math.sqrt(n):.2f}%)")
    check(abs(aht_err) <= 0.05, f"AHT {day['aht_s']} not within 5% of {AHT_S}")

    k = day["abandoned"]
    check(k >= 100, f"only {k} abandons: the patience band would be too wide to mean much")
    raw = day["patience_s"]
    corrected = (raw * k - n * RING_MEAN_S) / k
    band = 3 / math.sqrt(k)
    print(f"patience {raw:.1f} s as measured, {corrected:.1f} s without the sim's ringing, "
          f"over {k} abandons vs {PATIENCE_S} (band +-{100 * band:.1f}%)")
    check(abs(corrected / PATIENCE_S - 1) <= band,
          f"patience {corrected:.1f} s outside {PATIENCE_S} +-{100 * band:.1f}%")
    check(day["patience_source"] == "measured", "Erlang A sized on the measured patience")

    ivs = by_start(rep)
    for start in ("09:00", "10:00", "11:00", "14:00", "15:00", "16:00"):
        iv = ivs[start]
        check(iv["seats_logged_in_mean"] is not None and iv["seats_logged_in_mean"] > 0,
              f"{start}: no seats logged in")
        check(0 < iv["seats_logged_in_peak"] <= SEATS, f"{start}: peak {iv['seats_logged_in_peak']}")
    peak = day["peak_interval"]
    check(peak is not None and peak["required"] > SEATS,
          f"the peak needs more than the {SEATS} seats: {peak}")
    check(ivs[peak["start"]]["understaffed"] is True, "the peak interval is flagged")
    check(day["seats_logged_in_peak"] == SEATS, f"peak seats {day['seats_logged_in_peak']}")
    check(day["seats_per_100k"]["staffed_peak"] == round(SEATS / 32.1, 2),
          f"seats per 100,000: {day['seats_per_100k']}")


def stream_paced(port, lines):
    """Sends the feed with its event clock running SPEEDUP times faster than the wall clock,
    so that rexiand's seat samples (one per flush) land in most minutes."""
    step = 0.05
    with socket.create_connection(("127.0.0.1", port)) as s:
        batch, t0, w0 = [], None, time.monotonic()
        for line in lines:
            ts = json.loads(line)["ts"]
            t0 = ts if t0 is None else t0
            due = w0 + (ts - t0) / SPEEDUP
            if batch and due - time.monotonic() > step:
                s.sendall(b"".join(batch))
                batch = []
                time.sleep(max(0.0, due - time.monotonic()))
            batch.append(line + b"\n")
        s.sendall(b"".join(batch))


def compare_redis(file_rep, redis_rep):
    check(redis_rep["date"] == file_rep["date"], f"Redis picked {redis_rep['date']}")
    check(len(redis_rep["intervals"]) == 48, "48 intervals from Redis")
    f_ivs, r_ivs = by_start(file_rep), by_start(redis_rep)
    for start, f in f_ivs.items():
        r = r_ivs.get(start, {})
        for k in ("offered", "answered", "abandoned", "required_erlang_c", "required_erlang_a"):
            check(r.get(k) == f[k], f"{start}.{k}: redis {r.get(k)} != file {f[k]}")
        for k in ("aht_s", "patience_s", "service_level"):
            x, y = r.get(k), f[k]
            same = x == y or (x is not None and y is not None and abs(x - y) <= 1e-9 * abs(y))
            check(same, f"{start}.{k}: redis {x} != file {y}")
    sampled = 0
    for start, r in r_ivs.items():
        if r["seats_logged_in_peak"] is None:
            continue
        sampled += 1
        check(0 < r["seats_logged_in_peak"] <= f_ivs[start]["seats_logged_in_peak"],
              f"{start}: sampled peak {r['seats_logged_in_peak']} vs seat events "
              f"{f_ivs[start]['seats_logged_in_peak']}")
        check(0 < r["seats_logged_in_mean"] <= r["seats_logged_in_peak"],
              f"{start}: sampled mean {r['seats_logged_in_mean']}")
    print(f"Redis: seat samples in {sampled} of 48 intervals")
    check(sampled >= 40, f"seat samples in only {sampled} of 48 intervals")
    for start in ("10:00", "15:00"):
        check(r_ivs[start]["seats_logged_in_peak"] is not None, f"{start}: no seat samples")


path = tempfile.mktemp(suffix=".ndjson")
redis = d = None
try:
    with open(path, "wb") as f:
        subprocess.run(SIM, check=True, stdout=f)
    file_rep = json.loads(staff("--from", path, "--json", "--population", "3.21e6"))
    check_file_mode(file_rep)
    csv = staff("--from", path, "--csv").splitlines()
    check(len(csv) == 49 and csv[0].startswith("date,start,end,offered"), "CSV: header + 48 rows")
    table = staff("--from", path)
    check("10:30-11:00" in table and "!" in table, "the table shows flagged intervals")

    with open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l]
    redis = Redis().start()
    url = f"redis://127.0.0.1:{redis.port}"
    d = Rexiand(url, ["--clock", "event"]).start()
    stream_paced(d.feed_port, lines)
    wait_for(lambda: d.live()["ingest"]["lines"] == len(lines), timeout=30)
    want = file_rep["day"]["offered"]
    settled = wait_for(lambda: sum(int(redis.hgetall("rexian:day:20260302:global").get(k, 0))
                                   for k in ("answered", "abandoned")) == want, timeout=20)
    check(settled, "rexiand's day in Redis has every call")
    time.sleep(0.5)
    redis_rep = json.loads(staff("--redis", url, "--json"))
    compare_redis(file_rep, redis_rep)
    queue_file = json.loads(staff("--from", path, "--scope", "queue:12345", "--json"))
    queue_redis = json.loads(staff("--redis", url, "--scope", "queue:12345", "--json",
                                   "--date", "2026-03-02"))
    check([iv["offered"] for iv in queue_file["intervals"]] ==
          [iv["offered"] for iv in queue_redis["intervals"]], "queue:12345 offered per interval")
    check([iv["seats_logged_in_peak"] for iv in queue_redis["intervals"]] ==
          [iv["seats_logged_in_peak"] for iv in redis_rep["intervals"]],
          "a queue shares the hotline's seat samples")
finally:
    if d is not None:
        code = d.stop()
        check(code == 0, f"rexiand exit status {code}")
    if redis is not None:
        redis.cleanup()
    os.unlink(path)
finish()
