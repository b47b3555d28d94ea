"""rexiand's HTTP surface: the wallboard directory and nothing outside it, the event
stream, alert rules firing and clearing through /api/alerts and Redis, /api/config,
/metrics, and refusals (404, 405)."""
import json
import os
import socket
import tempfile
import time

from harness import Redis, Rexiand, check, finish, wait_for

root = tempfile.mkdtemp(prefix="rexian-wb-")
outside = tempfile.mkdtemp(prefix="rexian-outside-")
with open(os.path.join(root, "index.html"), "w") as f:
    f.write("<title>wallboard</title>")
with open(os.path.join(outside, "secret.txt"), "w") as f:
    f.write("secret")
os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "link.txt"))
os.makedirs(os.path.join(root, "sub"))
with open(os.path.join(root, "sub", "app.js"), "w") as f:
    f.write("1;")

redis = Redis().start()
d = Rexiand(f"redis://127.0.0.1:{redis.port}",
            ["--clock", "event", "--wallboard", root,
             "--alert", "waiting_any: waiting global live > 0 for=0",
             "--alert", "wait_long: longest_wait_s queue:12345 live > 60 for=30 clear=10"]).start()


def raw_get(path, method="GET"):
    with socket.create_connection(("127.0.0.1", d.http_port), timeout=5) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(errors="replace"), body


try:
    status, head, body = raw_get("/")
    check(status == 200 and b"wallboard" in body and "text/html" in head, "/ serves index.html")
    check(raw_get("/sub/app.js")[0] == 200, "files in subdirectories are served")
    rel = os.path.relpath(os.path.join(outside, "secret.txt"), root)
    for bad in ["/" + rel, "/%2e%2e/" + rel.split("/", 1)[1], "/..%2f" + rel.split("/", 1)[1],
                "/link.txt", "//etc/passwd", "/%2Fetc%2Fpasswd", "/sub/../../" + rel.split("/", 1)[1],
                "/nothing-here", "/sub", "/index.html%00.js"]:
        st, _, body = raw_get(bad)
        check(st == 404 and b"secret" not in body and b"root:" not in body, f"{bad} -> {st}")
    check(raw_get("/api/live", "POST")[0] == 405, "POST is refused")

    # the event stream: retry line, then a snapshot per flush, then more as the feed goes on
    s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
    s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    d.send(b'{"ts":1772409600,"event":"offer","call":"w1","queue":"12345","caller":"13700000001"}\n')
    buf = b""
    end = time.time() + 5
    while buf.count(b"event: snapshot") < 3 and time.time() < end:
        buf += s.recv(65536)
    s.close()
    check(b"text/event-stream" in buf and b"retry: 2000" in buf, "stream headers")
    check(buf.count(b"event: snapshot") >= 3, "snapshots keep coming")
    datas = [json.loads(l[6:]) for l in buf.split(b"\n") if l.startswith(b"data: {")]
    check(any(x["live"]["waiting"] == 1 for x in datas), "the stream shows the waiting call")
    check(b"13700000001" not in buf, "caller number in the stream")

    # alerts: one call waiting fires waiting_any at once; the answer clears it
    check(wait_for(lambda: [a["rule"] for a in json.loads(d.get("/api/alerts"))["firing"]] == ["waiting_any"]),
          "waiting_any fires")
    # the event clock moves with events: w2 starts the hold (w1 has waited 100 s), w3 ends it
    d.send(b'{"ts":1772409700,"event":"offer","call":"w2","queue":"12345"}\n')
    # w3 only once a heartbeat has seen w2: its rules are evaluated before it publishes
    check(wait_for(lambda: redis.hgetall("rexian:live").get("waiting") == "2", timeout=60),
          "w2 is read and published before w3 is sent")
    d.send(b'{"ts":1772409735,"event":"offer","call":"w3","queue":"12345"}\n')
    check(wait_for(lambda: {a["rule"] for a in json.loads(d.get("/api/alerts"))["firing"]} ==
                   {"waiting_any", "wait_long"}), "wait_long fires after its hold time")
    d.send(b'{"ts":1772409736,"event":"answer","call":"w1","seat":"s1"}\n'
           b'{"ts":1772409737,"event":"answer","call":"w2","seat":"s2"}\n'
           b'{"ts":1772409738,"event":"answer","call":"w3","seat":"s3"}\n')
    check(wait_for(lambda: json.loads(d.get("/api/alerts"))["firing"] == []), "both clear")
    recent = json.loads(d.get("/api/alerts"))["recent"]
    check([(a["rule"], a["state"]) for a in recent][-2:] == [("wait_long", "firing"), ("waiting_any", "firing")],
          f"recent transitions newest first: {recent}")
    log = redis.cmd("XRANGE", "rexian:alerts:log", "-", "+")
    check(log is not None and len(log) == 4, f"alert stream entries: {log and len(log)}")
    live = d.live()
    check(live["alerts"]["firing"] == [] and live["targets"]["service_level"] == 0.95, "snapshot alerts and targets")
    cfg = json.loads(d.get("/api/config"))
    check(len(cfg["rules"]) == 2 and cfg["rules"][0].startswith("waiting_any:"), f"config: {cfg}")
    metrics = d.get("/metrics").decode()
    check('rexian_calls_answered_total{scope="queue",name="12345"} 3' in metrics, "metrics counters")
    check('rexian_alerts_firing{rule="wait_long"} 0' in metrics, "metrics alert gauge")
    check("13700000001" not in metrics, "caller number in metrics")
    check("alert waiting_any FIRING" in d.read_log(), "alerts are logged")
finally:
    d.stop()
    redis.cleanup()
finish()
