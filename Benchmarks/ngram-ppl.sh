#!/usr/bin/env bash
# Benchmarks `lmserve ppl --verbose summary` end to end on the KJV test set repeated 50 times,
# for the 3-gram and 4-gram, loaded from ARPA (gzip) and from .lmb.
#
# Reports per run: wall time, tokens scored (KenLM's Tokens:, </s> included), tokens/s end to
# end, load time (the same command on empty input), tokens/s excluding the load, and peak RSS
# (GNU time). Usage: Benchmarks/ngram-ppl.sh [repeats=50] [runs=3]   (best of `runs` is kept)
set -euo pipefail
. "$(dirname "$0")/common.sh"
: > "$WORK/empty.txt"
WORDS=$(wc -w < "$WORK/text.txt")
echo "input: kjv test.txt x$REPEATS = $(wc -l < "$WORK/text.txt") lines, $WORDS words" >&2

for order in 3 4; do
  "$BIN" convert "$SHARED/reference/kenlm/kjv$order.arpa.gz" "$WORK/kjv$order.lmb" 2>/dev/null
done

# best_of CMD... → prints "wall_s cpu_s peak_rss_kb" of the fastest (by CPU) of $RUNS runs.
# CPU time (user+sys) is reported too because the machine may be shared and overloaded.
best_of() {
  local best="" wallb="" rss=""
  for _ in $(seq "$RUNS"); do
    "$TIME" -f "%e %U %S %M" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>/dev/null
    read -r wall user sys kb < "$WORK/time.txt"
    cpu=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($cpu < $best)}"; then best=$cpu; wallb=$wall; rss=$kb; fi
  done
  echo "$wallb $best $rss"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
printf '%-6s %-5s %7s %7s %9s %11s %11s %7s %7s %13s %8s\n' model format wall_s cpu_s tokens tok/s_wall tok/s_cpu load_s load_cpu score_tok/s_cpu peak_MB
for order in 3 4; do
  for format in arpa lmb; do
    if [ "$format" = arpa ]; then MODEL="$SHARED/reference/kenlm/kjv$order.arpa.gz"; else MODEL="$WORK/kjv$order.lmb"; fi
    read -r wall cpu rss < <(best_of "$BIN" ppl --model "$MODEL" --verbose summary --input "$WORK/text.txt")
    tokens=$(awk -F'\t' '/^Tokens:/{print $2}' "$WORK/out.txt")
    read -r load loadcpu _ < <(best_of "$BIN" ppl --model "$MODEL" --verbose summary --input "$WORK/empty.txt")
    awk -v m="kjv$order" -v f="$format" -v w="$wall" -v c="$cpu" -v t="$tokens" -v l="$load" -v lc="$loadcpu" -v r="$rss" 'BEGIN{
      s = c - lc; if (s <= 0) s = 0.001;
      printf "%-6s %-5s %7.2f %7.2f %9d %11.0f %11.0f %7.2f %7.2f %13.0f %8.1f\n", m, f, w, c, t, t / w, t / c, l, lc, t / s, r / 1024 }'
  done
done
