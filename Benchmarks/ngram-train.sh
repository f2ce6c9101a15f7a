#!/usr/bin/env bash
# Wall time and peak RSS of `lmserve train ngram` (mkn) for orders 3 and 5 on KJV train.txt and
# on train.txt concatenated 20 times. Release build in .build-rel. Needs /usr/bin/time (apt-get
# install -y time). Usage: Benchmarks/ngram-train.sh [extra train options…]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CORPUS:-$ROOT/../shared/corpora/kjv/train.txt}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install -y time" >&2; exit 1; }

# LMSERVE_BIN=path skips the build (e.g. a release binary built for the tests).
if [ -n "${LMSERVE_BIN:-}" ]; then
  BIN=$LMSERVE_BIN
else
  swift build -c release --product lmserve --scratch-path .build-rel >&2
  BIN=$(swift build -c release --product lmserve --scratch-path .build-rel --show-bin-path)/lmserve
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for _ in $(seq 20); do cat "$CORPUS"; done > "$WORK/train20.txt"

printf '| corpus | order | wall s | CPU s (user+sys) | peak RSS MB |\n|---|---|---|---|---|\n'
for corpus in "$CORPUS" "$WORK/train20.txt"; do
  name=$(basename "$corpus")
  # A text repeated 20 times has no count-1 n-grams, so closed-form discounts are undefined
  # (lmplz needs --discount_fallback there too).
  extra=()
  [ "$name" = train20.txt ] && extra=(--discount-fallback)
  for order in 3 5; do
    /usr/bin/time -v "$BIN" train ngram --quiet --order "$order" --output "$WORK/model.arpa" "$@" "${extra[@]}" "$corpus" \
      2> "$WORK/time.txt"
    wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk '{print $NF}')
    user=$(grep 'User time' "$WORK/time.txt" | awk '{print $NF}')
    sys=$(grep 'System time' "$WORK/time.txt" | awk '{print $NF}')
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    printf '| %s | %d | %.2f | %.2f | %.0f |\n' "$name" "$order" "$secs" "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  done
done
