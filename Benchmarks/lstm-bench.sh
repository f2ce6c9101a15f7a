#!/bin/sh
# LSTM throughput with the reference model (../shared/reference/pytorch): scoring a 1,000-token
# text at batch 1, and generation steps (advance + nextTokenLogProbs + LMCore.Sampler) at batch
# 1, 8, 32 and 64, with OpenBLAS's default thread count and with one thread. Each run also times
# a plain sgemm of the decoder's size, so results on a busy machine can be read as a fraction
# of what BLAS gets at that moment. Release build in .build-rel (apart from the debug build).
#
# Usage: Benchmarks/lstm-bench.sh [extra `lmserve bench-lstm` flags, e.g. --steps 100]
# Output is also appended to Benchmarks/results/lstm-bench.txt (git-ignored).
set -eu
cd "$(dirname "$0")/.."
# LMSERVE_BIN=path skips the build (e.g. the release binary built for the tests).
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
    swift build -c release --product lmserve --scratch-path .build-rel >&2
    BIN=.build-rel/release/lmserve
fi
mkdir -p Benchmarks/results
{
    date -u
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
    "$BIN" bench-lstm "$@" 2>/dev/null
    "$BIN" bench-lstm --threads 1 "$@" 2>/dev/null
    echo
} | tee -a Benchmarks/results/lstm-bench.txt
