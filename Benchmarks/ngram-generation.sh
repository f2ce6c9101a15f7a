#!/usr/bin/env bash
# N-gram generation (issue 17): completions tokens/s at 1 and 64 clients, this build against the
# build before successor lists (today's full-vocabulary step), both servers measured in the same
# run, on kjv3 (ARPA, 3-gram) and a 5-gram trained here from KJV train.txt (written as .lmb).
# The client shares the machine's cores with the server: say so with the numbers.
#
#   Benchmarks/ngram-generation.sh [SECONDS]   (default 10 per measurement)
#
#   LMSERVE_BIN       this build's binary (default: release build in .build-rel)
#   LMSERVE_OLD_BIN   the old binary (default: a release build of OLD_COMMIT, default 2ba615d,
#                     in a temporary git worktree under /tmp/lmserve-old-OLD_COMMIT, kept for
#                     the next run; never committed)
# Results: a markdown table on stdout; raw JSON lines in Benchmarks/results/.
set -euo pipefail
[ -n "${LMSERVE_BIN:-}" ] && LMSERVE_BIN=$(realpath "$LMSERVE_BIN")
[ -n "${LMSERVE_OLD_BIN:-}" ] && LMSERVE_OLD_BIN=$(realpath "$LMSERVE_OLD_BIN")
cd "$(dirname "$0")/.."
secs=${1:-10}
SHARED=${LMSERVE_SHARED:-../shared}
OLD_COMMIT=${OLD_COMMIT:-2ba615d}
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
  nice -n 10 swift build -c release --product lmserve --scratch-path .build-rel >&2
  BIN=.build-rel/release/lmserve
fi
if [ -n "${LMSERVE_OLD_BIN:-}" ]; then OLD=$LMSERVE_OLD_BIN; else
  tree=/tmp/lmserve-old-$OLD_COMMIT
  [ -d "$tree" ] || git worktree add --detach "$tree" "$OLD_COMMIT" >&2
  (cd "$tree" && nice -n 10 swift build -c release --product lmserve >&2)
  OLD=$tree/.build/release/lmserve
fi
mkdir -p Benchmarks/results
out=Benchmarks/results/ngram-generation-$(date +%Y%m%d-%H%M%S).jsonl
# tmp, cleanup, free_port, serve_on BINARY NAME ARGS (→ port), field JSON PATH
. Benchmarks/serve-common.sh
awk 'NF { $0 = $1 " " $2 " " $3 " " $4 " " $5; sub(/ +$/, ""); print }' "$SHARED/corpora/kjv/test.txt" >"$tmp/prompts.txt"
bench() {  # bench PORT MODEL C
  "$BIN" bench --url "http://127.0.0.1:$1" --model "$2" --route completions --concurrency "$3" --duration "$secs" --json \
    --prompts "$tmp/prompts.txt" --max-tokens 20 | tee -a "$out"
}

# The 5-gram: trained from train.txt with this build, then written as .lmb (both servers read it;
# the old one through its own .lmb reader when the format matches, else from the ARPA text).
"$BIN" train ngram --quiet --order 5 --output "$tmp/kjv5.arpa" "$SHARED/corpora/kjv/train.txt" >&2
"$BIN" convert "$tmp/kjv5.arpa" "$tmp/kjv5.lmb" >&2

echo "| model | c | old tokens/s | new tokens/s | speed-up | old p50 / p99 ms | new p50 / p99 ms |"
echo "|---|---|---|---|---|---|---|"
for spec in "kjv3=$SHARED/reference/kenlm/kjv3.arpa.gz" "kjv5=$tmp/kjv5"; do
  name=${spec%%=*}
  path=${spec#*=}
  new_model=$path; old_model=$path
  if [ "$name" = kjv5 ]; then new_model=$path.lmb; old_model=$path.arpa; fi
  old=$(serve_on "$OLD" "old-$name" --model "$name=$old_model" --db '')
  new=$(serve_on "$BIN" "new-$name" --model "$name=$new_model" --db '')
  for c in 1 64; do
    a=$(bench "$old" "$name" "$c")
    b=$(bench "$new" "$name" "$c")
    ta=$(field "$a" tokens_per_second); tb=$(field "$b" tokens_per_second)
    ratio=$(python3 -c "print(f'{$tb/$ta:.1f}x' if $ta>0 else '-')")
    echo "| $name | $c | $ta | $tb | $ratio | $(field "$a" latency.p50_ms) / $(field "$a" latency.p99_ms) | $(field "$b" latency.p50_ms) / $(field "$b" latency.p99_ms) |"
  done
  # One pair of servers at a time: the machine has few cores.
  while read -r p; do kill "$p" 2>/dev/null || true; done <"$tmp/pids"
  : >"$tmp/pids"
done
