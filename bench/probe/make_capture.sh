#!/bin/sh
# Generate the benchmark capture: sipp's built-in UAC calls its built-in UAS on loopback, CALLS calls
# at RATE calls/s with 1 s talk, while dumpcap writes the SIP traffic to OUT (pcapng).
# Usage: make_capture.sh OUT [CALLS] [RATE]
set -eu
out=$1
calls=${2:-100000}
rate=${3:-2000}
for t in sipp dumpcap; do command -v $t >/dev/null || { echo "$t is not installed (scripts/deps/probe.txt)"; exit 1; }; done
work=$(mktemp -d /tmp/rx-bench-sipp.XXXXXX)
trap 'kill $uas $cap 2>/dev/null || true; rm -rf "$work"' EXIT
uport=$((20000 + $$ % 20000))
cport=$((uport + 1))
dumpcap -q -i lo -B 256 -f "udp port $uport" -w "$out" 2>"$work/cap.err" &
cap=$!
sleep 1
(cd "$work" && sipp -sn uas -i 127.0.0.1 -p $uport -nostdin -timeout $((calls / rate + 120))s \
    >/dev/null 2>&1) &
uas=$!
sleep 0.5
(cd "$work" && timeout $((calls / rate + 180)) sipp -sn uac 127.0.0.1:$uport -i 127.0.0.1 -p $cport \
    -m "$calls" -r "$rate" -l 20000 -d 1000 -nostdin -timeout $((calls / rate + 120))s -recv_timeout 15000 \
    -trace_stat -fd 5 >/dev/null 2>&1) || echo "sipp uac exited $? (some calls failed; the capture is still usable)"
sleep 1
kill $uas $cap 2>/dev/null || true
wait $cap 2>/dev/null || true
ls -l "$out"
