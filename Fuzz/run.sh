#!/usr/bin/env bash
# Fuzzes the HTTP request parser (Sources/HTTP/Parser) with libFuzzer, seeded with Fuzz/corpus.
#
#   Fuzz/run.sh [RUNS] [MAX_SECONDS]
#     RUNS         inputs to try (default 1000000; 0 = unlimited, then MAX_SECONDS bounds it)
#     MAX_SECONDS  wall-clock cap (default 0 = none). CI: `Fuzz/run.sh 0 30`.
#
# The checked-in corpus only changes when someone copies finds back on purpose. How the build,
# the crash folder, the standalone fallback and FUZZ_ASAN=1 work: Fuzz/common.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. Fuzz/common.sh
fuzz HTTPParserFuzz "${1:-1000000}" "${2:-0}" Fuzz/corpus 20000 -max_len=4096 -dict=Fuzz/http.dict
