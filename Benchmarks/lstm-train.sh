#!/usr/bin/env bash
# Training throughput and quality of `lmserve train lstm` on the KJV corpus.
#
# Trains a model for MINUTES on ../shared/corpora/kjv/train.txt, validating on valid.txt, and
# prints the run's summary (best validation perplexity, epochs, training tokens/s) plus the
# matrix-multiply GFLOP/s that throughput implies (forward + backward = 3 × the forward FLOPs).
# Compare the perplexity with the bigram KenLM model's (reference/kenlm/kjv2.test.summary.txt).
#
# Usage: Benchmarks/lstm-train.sh [extra flags for `train lstm`]
# Environment: MINUTES (4), EMB (128), HIDDEN (256), LAYERS (1), PROJ (0), BATCH (32), LR (0.003),
#   THREADS (2), LMSERVE (a built binary; default: build release into .build-rel),
#   TRAIN_CMD ("train lstm"), OUT (a temp file).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
MINUTES=${MINUTES:-4} EMB=${EMB:-128} HIDDEN=${HIDDEN:-256} LAYERS=${LAYERS:-1} PROJ=${PROJ:-0}
BATCH=${BATCH:-32} LR=${LR:-0.003} THREADS=${THREADS:-2} TRAIN_CMD=${TRAIN_CMD:-train lstm}
OUT=${OUT:-$(mktemp -d)/lstm-bench.safetensors}
if [[ -z "${LMSERVE:-}" ]]; then
  swift build -c release --product lmserve --scratch-path .build-rel >&2
  LMSERVE=.build-rel/release/lmserve
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
LOG=$(mktemp)
# shellcheck disable=SC2086
"$LMSERVE" $TRAIN_CMD --train "$SHARED/corpora/kjv/train.txt" --valid "$SHARED/corpora/kjv/valid.txt" \
  --output "$OUT" --emb "$EMB" --hidden "$HIDDEN" --layers "$LAYERS" --proj "$PROJ" --batch "$BATCH" \
  --lr "$LR" --threads "$THREADS" --minutes "$MINUTES" "$@" 2> >(tee "$LOG" >&2)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
VOCAB=$(sed -n 's/^vocabulary \([0-9]*\).*/\1/p' "$LOG" | head -1)
RATE=$(sed -n 's/.* \([0-9.]*\) training tokens\/s.*/\1/p' "$LOG" | tail -1)
python3 - "$VOCAB" "$EMB" "$HIDDEN" "$LAYERS" "$PROJ" "$RATE" <<'PY'
import sys
v, e, h, layers, p, rate = (float(x) for x in sys.argv[1:])
r = p if p > 0 else h
forward = 2 * v * r
for k in range(int(layers)):
    forward += 2 * 4 * h * ((e if k == 0 else r) + r) + (2 * p * h if p > 0 else 0)
train = 3 * forward
print(f"training: {rate:.0f} tokens/s x {train / 1e6:.1f} MFLOP/token = {rate * train / 1e9:.1f} GFLOP/s")
PY
tail -1 "$LOG"
