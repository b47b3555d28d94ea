"""The shipped systemd units, sysusers.d file and packaged configs (dist/).

- `systemd-analyze verify` passes on both units without a single message about them (a
  copy whose ExecStart names the build's binaries: verify checks that the program exists,
  and the installed /usr/bin ones need not); a misspelt directive is caught, so the check
  can fail;
- the directives the issue asks for are there (NoNewPrivileges, ProtectSystem=strict,
  PrivateTmp, a dedicated user; the probe bounded to the capabilities of its start and
  dropping to rexian), and `systemd-analyze security --offline` rates both "OK" or better;
- `systemd-sysusers` creates the rexian system user from the file, in a scratch root;
- rexiand starts with the packaged config (ports and the journal directory moved to temp
  places, nothing else changed), counts a feed and writes its journal, on by default;
- rexian-probe starts with the unit's own arguments and the sample probe.conf (a capture
  file instead of the live interface) and sends to that rexiand.
"""
import os
import re
import shutil
import subprocess
import tempfile

from harness import BUILD, REXIAND, Redis, Rexiand, check, finish, free_port, wait_for

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DIST = os.path.join(ROOT, "dist")
UNITS = os.path.join(DIST, "systemd")
PROBE = os.path.join(BUILD, "probes", "sip", "rexian-probe")
BINARIES = {"/usr/bin/rexiand": os.path.abspath(REXIAND), "/usr/bin/rexian-probe": os.path.abspath(PROBE)}
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "pcap", "isa__sip.pcap")


def directives(path):
    """[(section, key, value)] of a unit file; keys may repeat (SystemCallFilter=...)."""
    out, section = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            out.append((section, key.strip(), value.strip()))
    return out


def values(unit, key):
    return [v for s, k, v in unit if k == key]


def build_copy(name, dest, extra=""):
    """The unit with ExecStart naming the build's binaries (and optional extra lines)."""
    with open(os.path.join(UNITS, name)) as f:
        text = f.read()
    for installed, built in BINARIES.items():
        text = text.replace("ExecStart=" + installed + " ", "ExecStart=" + built + " ")
    path = os.path.join(dest, name)
    with open(path, "w") as f:
        f.write(text + extra)
    return path


def verify(paths):
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", *paths],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


work = tempfile.mkdtemp(prefix="rexian-units-")
redis = d = None
try:
    names = ["rexiand.service", "rexian-probe.service"]
    for b in BINARIES.values():
        check(os.access(b, os.X_OK), f"built binary {b}")

    # --- systemd-analyze verify: clean, and able to complain ---
    copies = [build_copy(n, work) for n in names]
    code, out = verify(copies)
    print(out, end="")
    check(code == 0 and "rexian" not in out, f"systemd-analyze verify: exit {code}, messages: {out!r}")
    bad_dir = os.path.join(work, "bad")
    os.makedirs(bad_dir)
    code, out = verify([build_copy("rexiand.service", bad_dir, "ProtectSytem=strict\n")])
    check("ProtectSytem" in out, f"verify catches a misspelt directive (control): {out!r}")

    # --- the directives asked for ---
    d_unit = directives(os.path.join(UNITS, "rexiand.service"))
    p_unit = directives(os.path.join(UNITS, "rexian-probe.service"))
    for name, unit in (("rexiand", d_unit), ("rexian-probe", p_unit)):
        for key, want in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                          ("PrivateTmp", "yes"), ("ProtectHome", "yes"), ("PrivateDevices", "yes"),
                          ("SystemCallFilter", "@system-service")]:
            check(want in values(unit, key), f"{name}: {key}={want}")
        check(values(unit, "RestrictAddressFamilies"), f"{name}: RestrictAddressFamilies")
        check(all(s == "Service" for s, k, _ in unit if k in ("NoNewPrivileges", "ProtectSystem")),
              f"{name}: hardening in [Service]")
    check(values(d_unit, "User") == ["rexian"] and values(d_unit, "Group") == ["rexian"],
          "rexiand runs as the rexian user")
    check(values(d_unit, "CapabilityBoundingSet") == [""], "rexiand keeps no capability")
    check(values(d_unit, "StateDirectory") == ["rexian"], "the journal's /var/lib/rexian is a StateDirectory")
    check(values(d_unit, "ExecStart") == ["/usr/bin/rexiand --config /etc/rexian/rexiand.conf"],
          f"rexiand reads the packaged config: {values(d_unit, 'ExecStart')}")
    p_exec = values(p_unit, "ExecStart")[0].split()
    check("--user" in p_exec and p_exec[p_exec.index("--user") + 1] == "rexian",
          "the probe drops root to rexian once its capture is open")
    check(not values(p_unit, "User"), "the probe starts as root (to open the capture), bounded below")
    check(sorted(values(p_unit, "CapabilityBoundingSet")[0].split()) ==
          ["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID"],
          "the probe's bounding set: capture and the drop, nothing else")
    check(values(p_unit, "AmbientCapabilities") in ([], [""]), "no ambient capability for the probe")
    check("AF_PACKET" in values(p_unit, "RestrictAddressFamilies")[0], "the probe may open packet sockets")

    # --- exposure, as systemd rates it ---
    for path, most in zip(copies, (2.0, 3.5)):
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", r.stdout)
        check(m and float(m.group(1)) <= most, f"{os.path.basename(path)} exposure {m and m.group(0)} (at most {most})")

    # --- the rexian user, by systemd-sysusers in a scratch root ---
    sroot = os.path.join(work, "root")
    os.makedirs(os.path.join(sroot, "etc"))
    os.makedirs(os.path.join(sroot, "usr", "lib", "sysusers.d"))
    shutil.copy(os.path.join(UNITS, "rexian.sysusers"), os.path.join(sroot, "usr", "lib", "sysusers.d", "rexian.conf"))
    r = subprocess.run(["systemd-sysusers", f"--root={sroot}"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(sroot, "etc", "passwd")) as f:
        pw = [l.split(":") for l in f.read().splitlines() if l.startswith("rexian:")]
    check(r.returncode == 0 and len(pw) == 1 and 0 < int(pw[0][2]) < 1000 and
          pw[0][5] == "/var/lib/rexian" and pw[0][6].endswith("nologin"),
          f"sysusers makes a system user rexian without a shell: {pw} {r.stdout}")

    # --- rexiand on the packaged config ---
    with open(os.path.join(DIST, "rexiand.conf")) as f:
        conf = f.read()
    settings = dict(re.findall(r"^([\w-]+)\s*=\s*(.*?)\s*$", conf, re.M))
    check(settings.get("journal") == "/var/lib/rexian/journal", "the journal is on in the packaged config")
    check(all(re.match(r"(tcp://)?127\.0\.0\.1:", v) for k, v in
              re.findall(r"^(listen|http)\s*=\s*(.*?)\s*$", conf, re.M)) and "listen" in settings,
          "the packaged listeners are on loopback")
    redis = Redis().start()
    feed_port, http_port = free_port(), free_port()
    journal = os.path.join(work, "journal")
    moved = {"listen": f"tcp://127.0.0.1:{feed_port}", "http": f"127.0.0.1:{http_port}",
             "redis": f"redis://127.0.0.1:{redis.port}", "journal": journal}
    conf = re.sub(r"^([\w-]+)(\s*=\s*).*$",
                  lambda m: m.group(1) + m.group(2) + moved[m.group(1)] if m.group(1) in moved else m.group(0),
                  conf, flags=re.M)
    conf_path = os.path.join(work, "rexiand.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    d = Rexiand("unused")
    d.feed_port, d.http_port = feed_port, http_port
    d.args = [REXIAND, "--config", conf_path]
    d.start()
    d.send(b'{"ts":1772409600,"event":"offer","call":"u1","queue":"12345"}\n'
           b'{"ts":1772409605,"event":"answer","call":"u1","seat":"a1"}\n'
           b'{"ts":1772409700,"event":"hangup","call":"u1"}\n')
    check(wait_for(lambda: d.live()["windows"]["all"]["global"]["answered"] == 1, 10),
          "rexiand on the packaged config counts the feed")
    check(wait_for(lambda: redis.hgetall("rexian:all:global").get("answered") == "1", 10),
          "and publishes to Redis")
    check(wait_for(lambda: os.path.isfile(os.path.join(journal, "rexian-20260302.ndjson")), 5),
          "and journals it")

    # --- rexian-probe with the unit's arguments and the sample probe.conf ---
    args = []
    for a in p_exec:
        if a == "$REXIAN_PROBE_SOURCES":
            args += ["-r", FIXTURE]
        elif a == "$REXIAN_PROBE_OPTIONS":
            continue
        else:
            args.append(BINARIES.get(a, a).replace("/etc/rexian/", DIST + "/")
                        .replace("127.0.0.1:7345", f"127.0.0.1:{feed_port}"))
    if os.getuid() != 0:   # --user is for a root start; as a plain user there is no root to drop
        i = args.index("--user")
        del args[i:i + 2]
    elif subprocess.run(["id", "rexian"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        args[args.index("--user") + 1] = "nobody"   # no rexian user on this machine
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check(r.returncode == 0 and "summary" in r.stderr and "sip=" in r.stderr,
          f"rexian-probe runs with the unit's flags and probe.conf: {args} -> {r.returncode} {r.stderr}")
    conns = lambda: int(re.search(rb"^rexian_feed_connections_total (\d+)", d.get("/metrics"), re.M).group(1))
    check(wait_for(lambda: conns() >= 2, 5), "the probe connected to rexiand")
    print("feed connections:", conns())
    check(d.stop() == 0, "rexiand stops cleanly")
finally:
    if d:
        d.stop()
    if redis:
        redis.cleanup()
    shutil.rmtree(work, ignore_errors=True)
finish()
