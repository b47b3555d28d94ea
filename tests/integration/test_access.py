"""Who may connect, and as whom rexiand runs (README, "Who may connect").

A real rexiand with a TLS feed listener, a plain TCP one, a Unix socket, HTTPS and HTTP
basic auth, all on one certificate made here with the openssl tool:
- a feed over TLS with the right token is counted exactly as `rexian replay` counts it;
- a wrong token, a first line that is not an auth line, and a silent client are closed,
  nothing they sent is counted, and each refusal shows in /metrics;
- plain TCP to the TLS port gets nowhere; the Unix socket needs no token;
- every HTTP path (wallboard, API, stream, /metrics) answers 401 without the right
  credentials and 200 with them, over HTTPS only;
- a real Redis with the least-privilege ACL user the README gives receives every key;
- started as root with --user, rexiand runs as that user (checked when the test is root).
"""
import base64
import json
import os
import pwd
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (REXIAND, Redis, check, finish, free_port, make_feed, metric_of, replay,  # noqa: E402
                     same_figures, wait_for, json_metrics_for_redis, redis_hash_as_metrics)

TOKEN = "feed-token-7f3a9c"
CREDS = "supervisor:wallboard pass"
README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def readme_acl_rule():
    """The ACL rule the README recommends, so that the documented rule is the tested one."""
    text = open(README, encoding="utf-8").read()
    m = re.search(r"`ACL SETUSER (rexian [^`]*)`", text)
    if m is None:
        raise RuntimeError("README has no `ACL SETUSER rexian ...` rule")
    return m.group(1).split()


class Daemon:
    def __init__(self, tmp, cert, key, redis_url, extra=()):
        self.ctx = ssl.create_default_context(cafile=cert)
        self.tls_port, self.tcp_port, self.http_port = free_port(), free_port(), free_port()
        self.sock = os.path.join(tmp, "feed.sock")
        self.log_path = os.path.join(tmp, "rexiand.log")
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        self.args = [REXIAND, "--listen", f"tls://127.0.0.1:{self.tls_port}",
                     "--listen", f"tcp://127.0.0.1:{self.tcp_port}",
                     "--listen", f"unix://{self.sock}",
                     "--http", f"https://127.0.0.1:{self.http_port}",
                     "--tls-cert", cert, "--tls-key", key,
                     "--feed-token-file", token_file, "--http-auth", CREDS,
                     "--redis", redis_url, "--flush-ms", "100", "--clock", "event", *extra]

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        up = wait_for(lambda: self.proc.poll() is not None or self.status("/healthz") == 200,
                      timeout=120)
        if not up or self.proc.poll() is not None:
            raise RuntimeError("rexiand did not start: " + open(self.log_path).read())
        return self

    def request(self, path, creds=CREDS, timeout=5):
        req = urllib.request.Request(f"https://127.0.0.1:{self.http_port}{path}")
        if creds is not None:
            req.add_header("Authorization", "Basic " + base64.b64encode(creds.encode()).decode())
        return urllib.request.urlopen(req, context=self.ctx, timeout=timeout)

    def status(self, path, creds=CREDS):
        try:
            with self.request(path, creds) as r:
                r.read(1)
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def get(self, path):
        with self.request(path) as r:
            return r.read()

    def metric(self, name):
        return metric_of(self.get("/metrics"), name)

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(timeout=120)
        self.log.close()
        return code


def send_tls(d, data, first_line):
    with socket.create_connection(("127.0.0.1", d.tls_port)) as raw:
        with d.ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(first_line + data)
            # A clean TLS close: send close_notify and read until rexiand closes. Closing
            # with the server's session tickets unread would make the kernel answer with
            # a reset, which discards what rexiand has not read yet.
            try:
                s.unwrap()
            except (ssl.SSLError, OSError):
                pass


def refused_conn(port, payload, wait_close=15):
    """Sends payload on a plain connection; True if rexiand closed it."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_close) as s:
        if payload:
            s.sendall(payload)
        try:
            return s.recv(1) == b""
        except ConnectionResetError:   # closed with what we sent unread
            return True
        except socket.timeout:
            return False


def check_feeds(d, feed_path, feed):
    before = d.metric("rexian_feed_auth_failures_total")
    check(before == 0, f"no auth failures before the test, got {before}")
    # The real feed, over TLS, authenticated.
    send_tls(d, feed, json.dumps({"auth": TOKEN}).encode() + b"\n")
    # Refused: a wrong token, a first line that is an event, a line too long to be an auth
    # line; each carries a call that must not be counted.
    stray = b'{"ts":1772409601,"event":"offer","call":"intruder-%d","queue":"q-intruder"}\n'
    check(refused_conn(d.tcp_port, b'{"auth":"wrong"}\n' + stray % 1), "wrong token closed")
    check(refused_conn(d.tcp_port, stray % 2), "an event as first line closed")
    check(refused_conn(d.tcp_port, b"x" * 5000), "an oversized first line closed")
    # A silent client: closed after the auth timeout (10 s).
    t0 = time.time()
    check(refused_conn(d.tcp_port, b"", wait_close=20), "a silent client is closed")
    took = time.time() - t0
    check(8 <= took <= 20, f"silent client closed after the auth timeout, took {took:.1f} s")
    # Plain bytes to the TLS port: no event gets through (the handshake fails).
    refused_conn(d.tls_port, stray % 3)
    # The Unix socket is guarded by its file mode, not a token.
    with socket.socket(socket.AF_UNIX) as u:
        u.connect(d.sock)
        u.sendall(b'{"ts":1772409602,"event":"seat","seat":"unix-seat","state":"ready"}\n')
    wait_for(lambda: d.metric("rexian_feed_auth_failures_total") >= 4, timeout=30)
    check(d.metric("rexian_feed_auth_failures_total") == 4,
          f"4 refusals in /metrics, got {d.metric('rexian_feed_auth_failures_total')}")
    lines = len(feed.splitlines())
    check(wait_for(lambda: d.metric("rexian_ingest_lines_total") >= lines + 1, timeout=60),
          "every authenticated line arrived")
    check(d.metric("rexian_ingest_lines_total") == lines + 1,
          f"only the authenticated feeds' lines count: {d.metric('rexian_ingest_lines_total')} "
          f"vs {lines + 1}")
    live = json.loads(d.get("/api/live"))
    check("q-intruder" not in json.dumps(live), "nothing a refused client sent is counted")
    log = open(d.log_path).read()
    check(TOKEN not in log and "wrong" not in log.replace("wrong token", ""),
          "the log never shows what a client sent as a token")
    check(log.count("refused: wrong token") == 1, "a wrong token is logged")
    return replay(feed_path)


def check_http(d):
    for path in ("/", "/healthz", "/api/live", "/api/alerts", "/metrics", "/api/stream"):
        check(d.status(path, creds=None) == 401, f"{path} without credentials: 401")
        check(d.status(path, creds="supervisor:guess") == 401, f"{path} wrong password: 401")
        code = d.status(path)
        check(code == 200, f"{path} with credentials: {code}")
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{d.http_port}/api/live", timeout=5)
        check(False, "plain HTTP to the HTTPS port must fail")
    except (urllib.error.URLError, ConnectionError, OSError):
        pass
    with socket.create_connection(("127.0.0.1", d.http_port)) as raw:
        with d.ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /api/live HTTP/1.1\r\nHost: x\r\n\r\n")
            head = s.recv(4096).decode(errors="replace")
    check(head.startswith("HTTP/1.1 401") and 'WWW-Authenticate: Basic realm="rexian"' in head,
          "401 carries the Basic challenge")
    fails = d.metric("rexian_http_auth_failures_total")
    check(fails is not None and fails >= 13, f"HTTP auth failures counted, got {fails}")


def check_figures_in_redis(redis, expected):
    got = redis_hash_as_metrics(redis.hgetall("rexian:all:global"))
    same_figures(got, json_metrics_for_redis(expected["global"]), "Redis rexian:all:global vs replay")


def check_user(tmp, cert, key, redis_url):
    if os.geteuid() != 0:
        print("not root: --user is checked only when the test runs as root")
        return
    user = "nobody"
    pw = pwd.getpwnam(user)
    jdir = os.path.join(tmp, "journal")
    os.mkdir(jdir)
    os.chown(jdir, pw.pw_uid, pw.pw_gid)
    for f in (cert, key):
        os.chmod(f, 0o600)   # readable by root alone: read before the drop
    d = Daemon(tmp, cert, key, redis_url, ["--user", user, "--journal", jdir]).start()
    try:
        status = open(f"/proc/{d.proc.pid}/status").read()
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M).groups()
        gids = re.search(r"^Gid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M).groups()
        check(all(int(u) == pw.pw_uid for u in uids), f"every uid is {user}'s: {uids}")
        check(all(int(g) == pw.pw_gid for g in gids), f"every gid is {user}'s: {gids}")
        groups = re.search(r"^Groups:[ \t]*(.*)$", status, re.M).group(1).split()
        check(groups in ([], [str(pw.pw_gid)]), f"no supplementary groups: {groups}")
        send_tls(d, b'{"ts":1772409600,"event":"offer","call":"u1","queue":"q"}\n',
                 json.dumps({"auth": TOKEN}).encode() + b"\n")
        check(wait_for(lambda: d.metric("rexian_journal_events_total") == 1, timeout=30),
              "the journal is written after the drop")
    finally:
        check(d.stop() == 0, "rexiand under --user stops cleanly")


def main():
    tmp = tempfile.mkdtemp(prefix="rexian-access-")
    os.chmod(tmp, 0o755)
    cert, key = make_cert(tmp)
    feed = make_feed(seed=11, calls=300, dirt=False)
    feed_path = os.path.join(tmp, "feed.ndjson")
    with open(feed_path, "wb") as f:
        f.write(feed)
    acl_password = "acl-pass-1"
    redis = Redis().start()
    redis.cmd("ACL", "SETUSER", *[w.replace("PASSWORD", acl_password) for w in readme_acl_rule()])
    redis_url = f"redis://rexian:{acl_password}@127.0.0.1:{redis.port}"
    d = Daemon(tmp, cert, key, redis_url).start()
    try:
        expected = check_feeds(d, feed_path, feed)
        check_http(d)
        check(wait_for(lambda: d.metric("rexian_redis_flushes_total") > 2, timeout=30),
              "flushes reach Redis")
        time.sleep(0.5)
        check(d.metric("rexian_redis_errors_total") == 0,
              f"the README's ACL rule allows every command: "
              f"{d.metric('rexian_redis_errors_total')} Redis errors")
        check(d.metric("rexian_redis_up") == 1, "connected as the ACL user")
    finally:
        check(d.stop() == 0, "rexiand stops cleanly")
    check_figures_in_redis(redis, expected)
    check_user(tmp, cert, key, redis_url)
    redis.cleanup()
    finish()


if __name__ == "__main__":
    main()
