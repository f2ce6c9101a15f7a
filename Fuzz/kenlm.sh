#!/usr/bin/env bash
# Fuzzes the KenLM binary readers (Sources/NGram/KenLM: header, vocabulary, probing and trie
# sections, quantization and pointer-compression tables) with libFuzzer, seeded with the
# build_binary fixtures in Tests/NGramTests/Fixtures/kenlm.
#
#   Fuzz/kenlm.sh [RUNS] [MAX_SECONDS]   (as Fuzz/run.sh; CI: `Fuzz/kenlm.sh 0 30`)
#
# Crashing inputs go to .build-fuzz/crashes/ (git-ignored). Without libFuzzer the standalone
# harness mutates the seeds itself (counts and offsets set to extreme values, flipped bytes,
# truncations). FUZZ_ASAN=1 adds AddressSanitizer, which catches reads past the mapping.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-100000}"
MAX_SECONDS="${2:-0}"
SCRATCH=.build-fuzz
SANITIZE=fuzzer
if [ "${FUZZ_ASAN:-0}" = "1" ]; then SANITIZE=fuzzer,address; SCRATCH=.build-fuzz-asan; fi
SEEDS=Tests/NGramTests/Fixtures/kenlm
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p .build-fuzz/crashes "$WORK/seeds" "$WORK/new"
cp "$SEEDS"/*.binary "$WORK/seeds/"

if swift build -c release --scratch-path "$SCRATCH" --product KenLMFuzz \
    -Xswiftc -sanitize="$SANITIZE" -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld >"$WORK/build.log" 2>&1; then
    echo "libFuzzer ($SANITIZE): runs=$RUNS max_total_time=$MAX_SECONDS"
    ARGS=(-runs="$RUNS" -max_len=200000 -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1)
    if [ "$MAX_SECONDS" != "0" ]; then ARGS+=(-max_total_time="$MAX_SECONDS"); fi
    if [ "$RUNS" = "0" ]; then ARGS[0]=-runs=-1; fi
    SWIFT_BACKTRACE=enable=no "$SCRATCH/release/KenLMFuzz" "${ARGS[@]}" "$WORK/new" "$WORK/seeds" 2>&1 | grep -E "^(#|Done|stat::|==|INFO: (Seed|Loaded))" | tail -n 20
    exit "${PIPESTATUS[0]}"
else
    echo "libFuzzer build failed (see below); running the standalone harness instead" >&2
    tail -n 5 "$WORK/build.log" >&2
    swift build -c release --scratch-path "$SCRATCH-standalone" --product KenLMFuzz >/dev/null
    N="$RUNS"
    if [ "$N" = "0" ]; then N=$((MAX_SECONDS * 2000)); fi
    if [ "$MAX_SECONDS" != "0" ]; then
        timeout --preserve-status "$MAX_SECONDS" "$SCRATCH-standalone/release/KenLMFuzz" "$SEEDS" "$N"
    else
        "$SCRATCH-standalone/release/KenLMFuzz" "$SEEDS" "$N"
    fi
fi
