#!/bin/sh
# Build the probe's libFuzzer harnesses with clang (ASan + UBSan) and run each for a bounded time on a
# scratch copy of its seed corpus. Fails if clang is missing, a harness does not build, or a fuzzer
# finds a crash, a leak or a hang. Usage: run_fuzz.sh SOURCE_ROOT [SECONDS_PER_HARNESS]
set -eu
root=$1
secs=${2:-${RX_FUZZ_SECONDS:-30}}
here=$root/tests/fuzz/probe
src=$root/probes/sip
command -v clang >/dev/null || { echo "FAIL: clang is not installed (see scripts/deps/probe.txt)"; exit 1; }
work=$(mktemp -d /tmp/rx-probe-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$src -I$root/include"
clang $cflags -o "$work/fuzz_sip" "$here/fuzz_sip.c" "$src/sip/parser.c" "$src/sip/reader.c"
clang $cflags -o "$work/fuzz_packet" "$here/fuzz_packet.c" "$src/probe.c" "$src/packet/decode.c" \
    "$src/packet/ipfrag.c" "$src/packet/tcpstream.c" "$src/sip/parser.c" "$src/sip/reader.c" \
    "$src/dialog/config.c" "$src/dialog/dialog.c" "$src/output/ndjson.c" \
    "$root/src/ingest/pseudonym.c" -lcrypto
passed=0 failed=0
for h in sip packet; do
    mkdir -p "$work/corpus_$h"
    cp "$here/corpus_$h"/* "$work/corpus_$h/"
    if timeout $((secs + 60)) "$work/fuzz_$h" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus_$h" \
        >"$work/$h.log" 2>&1; then
        echo "ok   fuzz_$h: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$h.log" | grep -o '[0-9]*$') runs in ${secs}s, clean"
        passed=$((passed + 1))
    else
        echo "FAIL fuzz_$h:"; tail -40 "$work/$h.log"
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
            [ -e "$a" ] && { echo "input (base64):"; base64 "$a" | head -20; }
        done
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
