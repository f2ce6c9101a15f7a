# Sourced by Fuzz/run.sh and Fuzz/kenlm.sh.
#
#   fuzz PRODUCT RUNS MAX_SECONDS SEEDS STANDALONE_PER_SECOND [libFuzzer flags...]
#
# Builds PRODUCT with libFuzzer and runs it on the seed folder SEEDS (read-only: new interesting
# inputs go to a temporary folder) for RUNS inputs (0 = unlimited, then MAX_SECONDS bounds it;
# MAX_SECONDS 0 = no cap). Crashing inputs are written to .build-fuzz/crashes/ (git-ignored).
# If libFuzzer cannot be built or linked, the harness's standalone randomized mode checks
# RUNS inputs (or STANDALONE_PER_SECOND x MAX_SECONDS) instead. FUZZ_ASAN=1 adds AddressSanitizer
# (slower; catches out-of-bounds raw-buffer reads that release builds do not check).
FUZZ_WORK="$(mktemp -d)"
trap 'rm -rf "$FUZZ_WORK"' EXIT

fuzz() {
    local product=$1 runs=$2 max_seconds=$3 seeds=$4 per_second=$5
    shift 5
    local scratch=.build-fuzz sanitize=fuzzer
    if [ "${FUZZ_ASAN:-0}" = "1" ]; then sanitize=fuzzer,address; scratch=.build-fuzz-asan; fi
    mkdir -p .build-fuzz/crashes "$FUZZ_WORK/new"
    if swift build -c release --scratch-path "$scratch" --product "$product" \
        -Xswiftc -sanitize="$sanitize" -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld >"$FUZZ_WORK/build.log" 2>&1; then
        echo "libFuzzer ($sanitize): runs=$runs max_total_time=$max_seconds"
        local args=(-runs="$runs" -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1 "$@")
        if [ "$max_seconds" != "0" ]; then args+=(-max_total_time="$max_seconds"); fi
        if [ "$runs" = "0" ]; then args[0]=-runs=-1; fi
        SWIFT_BACKTRACE=enable=no "$scratch/release/$product" "${args[@]}" "$FUZZ_WORK/new" "$seeds" 2>&1 \
            | grep -E "^(#|Done|stat::|==|INFO: (Seed|Loaded))" | tail -n 20
        return "${PIPESTATUS[0]}"
    fi
    echo "libFuzzer build failed (see below); running the standalone harness instead" >&2
    tail -n 5 "$FUZZ_WORK/build.log" >&2
    swift build -c release --scratch-path "$scratch-standalone" --product "$product" >/dev/null
    local n=$runs
    if [ "$n" = "0" ]; then n=$((max_seconds * per_second)); fi
    if [ "$max_seconds" != "0" ]; then
        timeout --preserve-status "$max_seconds" "$scratch-standalone/release/$product" "$seeds" "$n"
    else
        "$scratch-standalone/release/$product" "$seeds" "$n"
    fi
}
