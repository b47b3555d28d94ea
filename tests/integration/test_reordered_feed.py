"""A feed whose events arrive displaced by up to 8 s (within the 10 s reorder grace) gives,
in every window of rexiand, exactly the figures of the same feed in time order."""
import json
import os
import random
import tempfile

from harness import Rexiand, check, finish, make_feed, replay, wait_for

feed = make_feed(seed=21, calls=500, dirt=False)
lines = feed.splitlines()
rnd = random.Random(4)
displaced = sorted(lines, key=lambda l: json.loads(l)["ts"] + rnd.uniform(0, 8))
check(displaced != lines, "the displaced feed differs")
path = tempfile.mktemp(suffix=".ndjson")
with open(path, "wb") as f:
    f.write(feed)
want = replay(path)["global"]   # when to read: once the idle feed has settled
os.unlink(path)

def windows_after(data):
    d = Rexiand("none", ["--clock", "event"]).start()
    try:
        d.send(b"\n".join(data) + b"\n", chunk=4096)
        check(wait_for(lambda: d.live()["ingest"]["lines"] == len(data), timeout=120), "every line read")
        # idle: the event clock settles (abandons decided after 1 s of silence)
        check(wait_for(lambda: all(d.live()["windows"]["all"]["global"][k] == want[k]
                                   for k in ("offered", "answered", "abandoned", "completed")),
                       timeout=60), "the idle feed settles")
        live = d.live()
        return live["windows"], live["ingest"]
    finally:
        d.stop()

sorted_w, sorted_in = windows_after(lines)
displaced_w, displaced_in = windows_after(displaced)
check(sorted_in["late"] == 0 and displaced_in["late"] == 0, "nothing arrived past the grace")
for win in ("15m", "1h", "today", "shift", "all"):
    for kind in ("global", "queues", "seats", "platforms", "outbound"):
        check(sorted_w[win][kind] == displaced_w[win][kind], f"{win}.{kind} differs")
check(sorted_w["all"]["global"]["offered"] > 400, "the feed has calls")
check(sorted_w["15m"]["global"]["offered"] > 0, "the 15m window has calls")
finish()
