#!/usr/bin/env bash
# Serving benchmarks with `lmserve bench` against live servers on 127.0.0.1, each comparison a
# ratio of two servers measured in the same run (the client shares the 2 cores: say so).
#
#   Benchmarks/serve-bench.sh batching [SECONDS]   LSTM (shared 2x512 reference): batching on vs
#       max_batch_size 1, completions (32 tokens) and perplexity (one verse) at c = 1 8 32 64 128
#   Benchmarks/serve-bench.sh ngram [SECONDS]      N-gram 3-gram: perplexity (one verse) and
#       completions (20 tokens) at c = 1 16 64
#   Benchmarks/serve-bench.sh ensemble [SECONDS]   the 4-gram kjv4, the 2x512 LSTM and their ensemble
#       (weights $MIX, default the tune-mix result on valid.txt) in one server: perplexity (one
#       verse) and completions (20 tokens) at c = 1 and 64, each model in turn, same run
#   Benchmarks/serve-bench.sh store [SECONDS]      N-gram perplexity at c = 64: request log on vs --db '',
#       alternating RUNS times (default 5) and comparing medians
#
# Results: a markdown table on stdout; raw JSON lines in Benchmarks/results/.
set -euo pipefail
[ -n "${LMSERVE_BIN:-}" ] && LMSERVE_BIN=$(realpath "$LMSERVE_BIN")
cd "$(dirname "$0")/.."
what=${1:-batching}
secs=${2:-10}
SHARED=${LMSERVE_SHARED:-../shared}
# LMSERVE_BIN=path skips the build (e.g. the release binary built for the tests).
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
  swift build -c release --product lmserve --scratch-path .build-rel >&2
  BIN=.build-rel/release/lmserve
fi
mkdir -p Benchmarks/results
out=Benchmarks/results/$what-$(date +%Y%m%d-%H%M%S).jsonl
# tmp, cleanup, free_port, serve_on BINARY NAME ARGS (→ port), field JSON PATH
. Benchmarks/serve-common.sh
start() { serve_on "$BIN" "$@"; }
# The KJV test verses (perplexity) and their first five words (completions), as measured so far.
verses=$SHARED/corpora/kjv/test.txt
awk 'NF { $0 = $1 " " $2 " " $3 " " $4 " " $5; sub(/ +$/, ""); print }' "$verses" >"$tmp/prompts.txt"
bench() {  # bench PORT MODEL ROUTE C [extra]
  local texts=$verses
  [ "$3" = completions ] && texts=$tmp/prompts.txt
  "$BIN" bench --url "http://127.0.0.1:$1" --model "$2" --route "$3" --concurrency "$4" --duration "$secs" --json \
    --prompts "$texts" "${@:5}" | tee -a "$out"
}

case "$what" in
batching)
  model="lstm=$SHARED/reference/pytorch/kjv-lstm-2x512.safetensors,tokenizer=whitespace"
  on=$(start on --model "$model" --db '' --max-batch-size 64)
  off=$(start off --model "$model" --db '' --max-batch-size 1)
  echo "| route | c | tokens/s batched | tokens/s max_batch_size 1 | ratio | p50 / p99 ms batched | p50 / p99 ms unbatched | mean batch |"
  echo "|---|---|---|---|---|---|---|---|"
  for route in completions perplexity; do
    for c in 1 8 32 64 128; do
      a=$(bench "$on" lstm "$route" "$c" --max-tokens 32)
      b=$(bench "$off" lstm "$route" "$c" --max-tokens 32)
      ta=$(field "$a" tokens_per_second); tb=$(field "$b" tokens_per_second)
      ratio=$(python3 -c "print(f'{$ta/$tb:.2f}' if $tb>0 else '-')")
      echo "| $route | $c | $ta | $tb | $ratio | $(field "$a" latency.p50_ms) / $(field "$a" latency.p99_ms) | $(field "$b" latency.p50_ms) / $(field "$b" latency.p99_ms) | $(field "$a" mean_batch_size) |"
    done
  done
  ;;
ngram)
  port=$(start ngram --model "kjv3=$SHARED/reference/kenlm/kjv3.arpa.gz" --db '')
  echo "| route | c | requests/s | tokens/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|"
  for route in perplexity completions; do
    for c in 1 16 64; do
      a=$(bench "$port" kjv3 "$route" "$c" --max-tokens 20)
      echo "| $route | $c | $(field "$a" requests_per_second) | $(field "$a" tokens_per_second) | $(field "$a" latency.p50_ms) | $(field "$a" latency.p99_ms) |"
    done
  done
  ;;
ensemble)
  mix=${MIX:-kjv4*0.5+lstm*0.5}
  port=$(start ensemble --db '' --model "kjv4=$SHARED/reference/kenlm/kjv4.arpa.gz" \
    --model "lstm=$SHARED/reference/pytorch/kjv-lstm-2x512.safetensors" --model "mix=ensemble:$mix")
  echo "ensemble: mix=ensemble:$mix"
  echo "| route | c | kjv4 tokens/s | lstm tokens/s | mix tokens/s | mix p50 / p99 ms | mix mean batch |"
  echo "|---|---|---|---|---|---|---|"
  for route in perplexity completions; do
    for c in 1 64; do
      a=$(bench "$port" kjv4 "$route" "$c" --max-tokens 20)
      b=$(bench "$port" lstm "$route" "$c" --max-tokens 20)
      m=$(bench "$port" mix "$route" "$c" --max-tokens 20)
      echo "| $route | $c | $(field "$a" tokens_per_second) | $(field "$b" tokens_per_second) | $(field "$m" tokens_per_second) | $(field "$m" latency.p50_ms) / $(field "$m" latency.p99_ms) | $(field "$m" mean_batch_size) |"
    done
  done
  ;;
store)
  # Alternates on/off RUNS times (the machine is shared and noisy) and compares medians.
  on=$(start on --model "kjv3=$SHARED/reference/kenlm/kjv3.arpa.gz" --db "$tmp/requests.db")
  off=$(start off --model "kjv3=$SHARED/reference/kenlm/kjv3.arpa.gz" --db '')
  rates_on=(); rates_off=()
  echo "| run | store on req/s | store off req/s | on p99 ms | off p99 ms |"
  echo "|---|---|---|---|---|"
  for run in $(seq 1 "${RUNS:-5}"); do
    a=$(bench "$on" kjv3 perplexity 64)
    b=$(bench "$off" kjv3 perplexity 64)
    rates_on+=("$(field "$a" requests_per_second)"); rates_off+=("$(field "$b" requests_per_second)")
    echo "| $run | $(field "$a" requests_per_second) | $(field "$b" requests_per_second) | $(field "$a" latency.p99_ms) | $(field "$b" latency.p99_ms) |"
  done
  dropped=$(curl -s "http://127.0.0.1:$on/metrics" | awk '/^lmserve_log_rows_dropped_total/ {print $2}')
  written=$(curl -s "http://127.0.0.1:$on/metrics" | awk '/^lmserve_log_rows_written_total/ {print $2}')
  python3 -c "
import statistics, sys
on=[float(x) for x in sys.argv[1].split()]; off=[float(x) for x in sys.argv[2].split()]
pairs=[a/b for a, b in zip(on, off)]
print(f'median store on {statistics.median(on):.0f} req/s, off {statistics.median(off):.0f} req/s: ratio of medians {statistics.median(on)/statistics.median(off):.3f}, median of run-by-run ratios {statistics.median(pairs):.3f}; rows written $written, dropped ${dropped:-0}')
" "${rates_on[*]}" "${rates_off[*]}"
  ;;
*) echo "usage: $0 batching|ngram|ensemble|store [SECONDS]" >&2; exit 2 ;;
esac
