#!/usr/bin/env bash
# Fuzzes the HTTP request parser (Sources/HTTP/Parser) with libFuzzer.
#
#   Fuzz/run.sh [RUNS] [MAX_SECONDS]
#     RUNS         inputs to try (default 1000000; 0 = unlimited, then MAX_SECONDS bounds it)
#     MAX_SECONDS  wall-clock cap (default 0 = none). CI: `Fuzz/run.sh 0 30`.
#
# Seeds come from Fuzz/corpus (read-only); new interesting inputs go to a temporary directory,
# so the checked-in corpus only changes when someone copies finds back on purpose. Crashing
# inputs are written to .build-fuzz/crashes/ (git-ignored). If libFuzzer cannot be built or
# linked, the same check runs in the standalone randomized mode of the harness instead.
# FUZZ_ASAN=1 adds AddressSanitizer (slower; catches out-of-bounds raw-buffer reads that
# release builds do not check).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000000}"
MAX_SECONDS="${2:-0}"
SCRATCH=.build-fuzz
SANITIZE=fuzzer
if [ "${FUZZ_ASAN:-0}" = "1" ]; then SANITIZE=fuzzer,address; SCRATCH=.build-fuzz-asan; fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p .build-fuzz/crashes

if swift build -c release --scratch-path "$SCRATCH" --product HTTPParserFuzz \
    -Xswiftc -sanitize="$SANITIZE" -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld >"$WORK/build.log" 2>&1; then
    echo "libFuzzer ($SANITIZE): runs=$RUNS max_total_time=$MAX_SECONDS"
    ARGS=(-runs="$RUNS" -max_len=4096 -dict=Fuzz/http.dict -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1)
    if [ "$MAX_SECONDS" != "0" ]; then ARGS+=(-max_total_time="$MAX_SECONDS"); fi
    if [ "$RUNS" = "0" ]; then ARGS[0]=-runs=-1; fi
    SWIFT_BACKTRACE=enable=no "$SCRATCH/release/HTTPParserFuzz" "${ARGS[@]}" "$WORK" Fuzz/corpus 2>&1 | grep -E "^(#|Done|stat::|==|INFO: (Seed|Loaded))" | tail -n 20
    exit "${PIPESTATUS[0]}"
else
    echo "libFuzzer build failed (see below); running the standalone harness instead" >&2
    tail -n 5 "$WORK/build.log" >&2
    swift build -c release --scratch-path "$SCRATCH-standalone" --product HTTPParserFuzz >/dev/null
    N="$RUNS"
    if [ "$N" = "0" ]; then N=$((MAX_SECONDS * 20000)); fi
    if [ "$MAX_SECONDS" != "0" ]; then
        timeout --preserve-status "$MAX_SECONDS" "$SCRATCH-standalone/release/HTTPParserFuzz" Fuzz/corpus "$N"
    else
        "$SCRATCH-standalone/release/HTTPParserFuzz" Fuzz/corpus "$N"
    fi
fi
