#!/bin/sh
# LSTM throughput: scoring 1,000 tokens at batch 1 and generation at batch 1/8/32/64 with the
# reference model. Release build in .build-rel (kept apart from the debug build).
# Usage: Benchmarks/lstm-bench.sh [extra `lmserve bench-lstm` flags]
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product lmserve --scratch-path .build-rel >&2
exec .build-rel/release/lmserve bench-lstm "$@"
