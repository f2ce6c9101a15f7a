#!/usr/bin/env bash
# Training in bounded memory: `lmserve train ngram --order 5 --memory 256M` (modified Kneser-Ney,
# estimation as passes over sorted files when the n-grams do not fit) on
#   1. KJV train.txt x20, and
#   2. a synthetic corpus of TOKENS words (default 100,000,000) sampled from the kjv3 model by
#      LMServe itself with a fixed seed (`lmserve serve` + /v1/completions, seed SEED + i for
#      sentence i, so the same TOKENS and SEED give the same text); it is generated in the
#      scratch folder and removed at exit (never committed; CORPUS_CACHE=FILE keeps it there).
# For each: wall time, CPU time, peak RSS (GNU time) and peak disk use of --temp (sampled every
# 0.2 s), next to KenLM's `lmplz -o 5 -S 256M -T …` when lmplz is found ($LMPLZ, PATH,
# /tmp/kenlm/build/bin/lmplz); skipped with a message where it is not. KenLM is never vendored:
# build it in /tmp (needs Boost: libboost-program-options-dev libboost-system-dev
# libboost-thread-dev, zlib, cmake) from https://github.com/kpu/kenlm.
#
#   Benchmarks/ngram-train-bounded.sh [TOKENS=100000000] [SEED=17]
#
# MEMORY (default 256M) changes the budget; LMSERVE_BIN skips the release build (.build-rel).
set -euo pipefail
cd "$(dirname "$0")/.."
TOKENS=${1:-100000000}
SEED=${2:-17}
MEMORY=${MEMORY:-256M}
SHARED=${LMSERVE_SHARED:-../shared}
SCRATCH=${SCRATCH:-.build-rel}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time not found: apt-get install time" >&2; exit 1; }
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
  nice -n 10 swift build -c release --product lmserve --scratch-path "$SCRATCH" >&2
  BIN="$SCRATCH/release/lmserve"
fi
LMPLZ=${LMPLZ:-$(command -v lmplz || true)}
[ -z "$LMPLZ" ] && [ -x /tmp/kenlm/build/bin/lmplz ] && LMPLZ=/tmp/kenlm/build/bin/lmplz
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores;$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2

# The synthetic corpus: sentences sampled from kjv3 until TOKENS words.
synthetic() {
  local out=$1
  if [ -n "${CORPUS_CACHE:-}" ] && [ -s "$CORPUS_CACHE" ]; then cp "$CORPUS_CACHE" "$out"; return; fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" serve --port "$port" --log-level warning --model "kjv3=$SHARED/reference/kenlm/kjv3.arpa.gz" >/dev/null 2>&1 &
  SERVER=$!
  python3 - "$port" "$TOKENS" "$SEED" "$out" <<'EOF'
import concurrent.futures, json, sys, time, urllib.request
port, tokens, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
url = f"http://127.0.0.1:{port}"
for _ in range(3000):  # the server loads the model: wait for /ready (a hang guard of 300 s)
    try:
        if urllib.request.urlopen(url + "/ready", timeout=5).status == 200: break
    except Exception: time.sleep(0.1)
else: sys.exit("lmserve did not become ready")
N = 16  # choices per request: sentence i uses seed SEED + i
def batch(j):
    body = json.dumps({"model": "kjv3", "prompt": "", "max_tokens": 256, "n": N, "seed": seed + j * N}).encode()
    req = urllib.request.Request(url + "/v1/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return [c["text"].strip() for c in sorted(json.load(r)["choices"], key=lambda c: c["index"])]
written, j, start = 0, 0, time.time()
with open(out, "w") as f, concurrent.futures.ThreadPoolExecutor(8) as pool:
    while written < tokens:
        for lines in pool.map(batch, range(j, j + 64)):  # in order: the text depends on TOKENS and SEED only
            for line in lines:
                if written >= tokens: break
                if line:
                    f.write(line + "\n")
                    written += len(line.split())
        j += 64
        print(f"\rsampled {written} of {tokens} words, {written / (time.time() - start):.0f} words/s", end="", file=sys.stderr)
print(file=sys.stderr)
EOF
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  [ -n "${CORPUS_CACHE:-}" ] && cp "$out" "$CORPUS_CACHE"
  return 0
}

# measure NAME TEMPDIR CMD… → one table row; stdin of CMD is $INPUT.
measure() {
  local name=$1 temp=$2; shift 2
  rm -rf "$temp"; mkdir -p "$temp"
  ( peak=0; while :; do  # poll the scratch folder's size until the run ends (killed below)
      used=$(du -sb "$temp" 2>/dev/null | cut -f1); [ "${used:-0}" -gt "$peak" ] && peak=$used && echo "$peak" > "$WORK/disk.txt"
      sleep 0.2; done ) &
  local poller=$!
  echo 0 > "$WORK/disk.txt"
  if ! "$TIME" -f "%e %U %S %M" -o "$WORK/time.txt" nice -n 10 "$@" < "$INPUT" > "$WORK/out.log" 2> "$WORK/err.log"; then
    kill "$poller"; cat "$WORK/err.log" >&2; exit 1
  fi
  kill "$poller"; wait "$poller" 2>/dev/null || true
  read -r wall user sys kb < <(tail -1 "$WORK/time.txt")
  awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kb" -v d="$(cat "$WORK/disk.txt")" -v m="$(stat -c %s "$WORK/model.arpa" 2>/dev/null || echo 0)" \
    'BEGIN { printf "| %s | %.1f | %.1f | %.0f | %.0f | %.0f |\n", n, w, u + s, k / 1024, d / 1048576, m / 1048576 }'
}

for _ in $(seq 20); do cat "$SHARED/corpora/kjv/train.txt"; done > "$WORK/train20.txt"
synthetic "$WORK/synthetic.txt"
printf 'synthetic corpus: %s words in %s lines (seed %s)\n' "$(wc -w < "$WORK/synthetic.txt")" "$(wc -l < "$WORK/synthetic.txt")" "$SEED"
printf '\n| run (order 5, --memory %s) | wall s | CPU s | peak RSS MB | peak temp disk MB | model MB |\n|---|---|---|---|---|---|\n' "$MEMORY"
for corpus in train20 synthetic; do
  INPUT="$WORK/$corpus.txt"
  # train.txt x20 has no count-1 n-grams: closed-form discounts are undefined without a fallback.
  measure "lmserve $corpus" "$WORK/tmp" "$BIN" train ngram --order 5 --memory "$MEMORY" --temp "$WORK/tmp" \
    --discount-fallback --output "$WORK/model.arpa" -
  grep -E '^\[pass' "$WORK/err.log" | sed 's/^/    /' | head -40 >&2 || true
  if [ -n "$LMPLZ" ]; then
    measure "lmplz $corpus" "$WORK/tmp" sh -c "exec \"$LMPLZ\" -o 5 -S $MEMORY -T \"$WORK/tmp\" --discount_fallback > \"$WORK/model.arpa\""
  else
    echo "| lmplz $corpus | skipped: lmplz not found (set LMPLZ) | | | | |"
  fi
done
