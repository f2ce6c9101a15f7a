# Sourced by the N-gram benchmark scripts: the settings they share and the lmserve binary.
#   REPEATS, RUNS     from the script's first two arguments (defaults 50 and 3)
#   SHARED            ../shared, or $LMSERVE_SHARED
#   BIN               $LMSERVE_BIN (e.g. the release binary built for the tests), else a release
#                     build in $SCRATCH (default .build-rel)
#   TIME              GNU time, for peak RSS
#   WORK              a temporary folder removed on exit, holding text.txt: kjv test.txt x REPEATS
cd "$(dirname "$0")/.."
REPEATS=${1:-50}
RUNS=${2:-3}
SHARED=${LMSERVE_SHARED:-../shared}
SCRATCH=${SCRATCH:-.build-rel}
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
  swift build -c release --product lmserve --scratch-path "$SCRATCH" >&2
  BIN="$SCRATCH/release/lmserve"
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time not found: apt-get install time" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for _ in $(seq "$REPEATS"); do cat "$SHARED/corpora/kjv/test.txt"; done > "$WORK/text.txt"
