#!/usr/bin/env bash
# Fuzzes the KenLM binary readers (Sources/NGram/KenLM: header, vocabulary, probing and trie
# sections, quantization and pointer-compression tables) with libFuzzer, seeded with the
# build_binary fixtures in Tests/NGramTests/Fixtures/kenlm.
#
#   Fuzz/kenlm.sh [RUNS] [MAX_SECONDS]   (as Fuzz/run.sh; CI: `Fuzz/kenlm.sh 0 30`)
#
# Without libFuzzer the standalone harness mutates the seeds itself (counts and offsets set to
# extreme values, flipped bytes, truncations). The build, the crash folder and FUZZ_ASAN=1
# (AddressSanitizer, which catches reads past the mapping): Fuzz/common.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. Fuzz/common.sh
fuzz KenLMFuzz "${1:-100000}" "${2:-0}" Tests/NGramTests/Fixtures/kenlm 2000 -max_len=200000
