#!/usr/bin/env bash
# LMServe against KenLM's own `query` on the same KenLM binary files (probing and trie):
# `lmserve ppl --verbose summary` vs `query -v summary` end to end on kjv test.txt x50, with
# words/s (wall and CPU), load time (the same command on empty input) and peak RSS (GNU time).
#
#   Benchmarks/kenlm-bench.sh [repeats=50] [runs=3]      (best of `runs` by CPU time)
#
# KenLM's `query` is found as $KENLM_QUERY, then `query` on PATH, then /tmp/kenlm/bin/query
# (KenLM is never vendored: build it yourself, e.g. with its compile_query_only.sh). Without it
# the script prints LMServe's figures alone and says so; with it, the ratio LMServe/KenLM.
# Both programs must agree on the summary (checked).
set -euo pipefail
. "$(dirname "$0")/common.sh"
QUERY=${KENLM_QUERY:-$(command -v query || true)}
[ -z "$QUERY" ] && [ -x /tmp/kenlm/bin/query ] && QUERY=/tmp/kenlm/bin/query
if [ -z "$QUERY" ] || [ ! -x "$QUERY" ]; then
  echo "KenLM's query not found (set KENLM_QUERY): printing LMServe's figures alone" >&2
  QUERY=""
fi
: > "$WORK/empty.txt"
echo "input: kjv test.txt x$REPEATS = $(wc -l < "$WORK/text.txt") lines, $(wc -w < "$WORK/text.txt") words" >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2

# best_of OUT CMD... (stdin: the text) → "wall_s cpu_s peak_rss_kb" of the run with least CPU.
best_of() {
  local out=$1 input=$2; shift 2
  local best="" wallb="" rss=""
  for _ in $(seq "$RUNS"); do
    "$TIME" -f "%e %U %S %M" -o "$WORK/time.txt" "$@" < "$input" > "$out" 2>/dev/null
    read -r wall user sys kb < "$WORK/time.txt"
    cpu=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($cpu < $best)}"; then best=$cpu; wallb=$wall; rss=$kb; fi
  done
  echo "$wallb $best $rss"
}

printf '%-22s %-7s %7s %7s %9s %11s %11s %7s %8s\n' file program wall_s cpu_s tokens tok/s_wall tok/s_cpu load_s peak_MB
row() {  # row FILE PROGRAM wall cpu rss load tokens
  awk -v f="$1" -v p="$2" -v w="$3" -v c="$4" -v r="$5" -v l="$6" -v t="$7" 'BEGIN{
    if (c <= 0) c = 0.005; if (w <= 0) w = 0.005
    printf "%-22s %-7s %7.2f %7.2f %9d %11.0f %11.0f %7.3f %8.1f\n", f, p, w, c, t, t / w, t / c, l, r / 1024 }'
}
for name in kjv3.probing kjv3.trie; do
  MODEL="$SHARED/reference/kenlm-binary/$name.binary"
  read -r w c r < <(best_of "$WORK/lm.txt" "$WORK/text.txt" "$BIN" ppl --model "$MODEL" --verbose summary)
  read -r l _ _ < <(best_of "$WORK/lm0.txt" "$WORK/empty.txt" "$BIN" ppl --model "$MODEL" --verbose summary)
  tokens=$(awk -F'\t' '/^Tokens:/{print $2}' "$WORK/lm.txt")
  row "$name" lmserve "$w" "$c" "$r" "$l" "$tokens"
  lm_tps=$(awk -v t="$tokens" -v c="$c" 'BEGIN{print t / c}')
  lm_w=$w; lm_l=$l; lm_r=$r
  if [ -n "$QUERY" ]; then
    read -r w c r < <(best_of "$WORK/q.txt" "$WORK/text.txt" "$QUERY" -v summary "$MODEL")
    read -r l _ _ < <(best_of "$WORK/q0.txt" "$WORK/empty.txt" "$QUERY" -v summary "$MODEL")
    row "$name" query "$w" "$c" "$r" "$l" "$tokens"
    diff <(grep -E '^(Perplexity|OOVs|Tokens)' "$WORK/lm.txt") <(grep -E '^(Perplexity|OOVs|Tokens)' "$WORK/q.txt") >/dev/null \
      || { echo "$name: lmserve and query disagree on the summary" >&2; exit 1; }
    awk -v a="$lm_tps" -v t="$tokens" -v c="$c" -v lw="$lm_w" -v qw="$w" -v ll="$lm_l" -v ql="$l" -v lr="$lm_r" -v qr="$r" -v f="$name" 'BEGIN{
      if (c <= 0) c = 0.005; if (qw <= 0) qw = 0.005; if (ql <= 0) ql = 0.005
      printf "%-22s ratio   lmserve/query: words/s (cpu) %.2fx, wall time %.2fx, load time %.2fx, peak RSS %.2fx\n", f, a / (t / c), lw / qw, ll / ql, lr / qr }'
  fi
done
[ -n "$QUERY" ] || echo "(KenLM's query absent: no comparison)"
