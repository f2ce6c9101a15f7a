#!/usr/bin/env bash
# Models reloaded and unloaded under load (issue 14): `lmserve bench` at 64 clients on the LSTM
# (the shared 2x512 reference) while the LSTM is reloaded RELOADS times (default 10; its file is
# a copy whose time is moved each time, so each reload is a new version) and the N-gram model
# (kjv3, converted to .lmb: served from its memory map) is unloaded and loaded back. Reloads are
# spread over the run (a pause between them paces the run; nothing waits on it). Checks: zero failed requests on the LSTM, and every LSTM
# request in the request log carries the version that served it. Reports the RSS before and
# after the unload.
#
#   Benchmarks/reload-under-load.sh [SECONDS]     (default 60; LMSERVE_BIN=path skips the build)
#
# The client shares the machine's cores with the server: the numbers are the system's, not the
# server's alone. Exits 1 if a check fails.
set -euo pipefail
[ -n "${LMSERVE_BIN:-}" ] && LMSERVE_BIN=$(realpath "$LMSERVE_BIN")
cd "$(dirname "$0")/.."
secs=${1:-60}
reloads=${RELOADS:-10}
SHARED=$(realpath "${LMSERVE_SHARED:-../shared}")
if [ -n "${LMSERVE_BIN:-}" ]; then BIN=$LMSERVE_BIN; else
  swift build -c release --product lmserve --scratch-path .build-rel >&2
  BIN=.build-rel/release/lmserve
fi
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cp "$SHARED/reference/pytorch/kjv-lstm-2x512.safetensors" "$tmp/lstm.safetensors"
"$BIN" convert "$SHARED/reference/kenlm/kjv3.arpa.gz" "$tmp/kjv3.lmb" 2>/dev/null
cat >"$tmp/lmserve.yaml" <<EOF
models:
  - {name: lstm, path: lstm.safetensors, tokenizer: basic}
  - {name: kjv3, path: kjv3.lmb, tokenizer: basic}
telemetry: {db: requests.db, metrics_sample_interval_s: 0}
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$BIN" serve --config "$tmp/lmserve.yaml" --port "$port" --log-level warning >"$tmp/server.log" 2>&1 &
pid=$!
# Readiness is the only signal from another process (600 s cap: a hang guard).
for _ in $(seq 1 1200); do
  curl -sf "$url/ready" >/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.5
done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

"$BIN" bench --url "$url" --model lstm --route perplexity --concurrency 64 --duration "$secs" --json >"$tmp/bench.json" &
bench=$!
base=$(date +%s)
pause=$(python3 -c "print($secs / ($reloads + 1))")
for i in $(seq 1 "$reloads"); do
  sleep "$pause"
  touch -d "@$((base - 86400 + i))" "$tmp/lstm.safetensors"  # a new file time: a new version
  "$BIN" models reload lstm --url "$url" --wait >/dev/null
  if [ "$i" = $((reloads / 2)) ]; then
    # Score the test set on kjv3 first, so the pages of its map it reads are resident.
    python3 -c 'import json,sys; print(json.dumps({"model": "kjv3", "text": open(sys.argv[1]).read()}))' \
      "$SHARED/reference/kenlm/kjv3.test.sentences.txt" >"$tmp/score.json"
    curl -sf "$url/v1/perplexity" -H 'Content-Type: application/json' --data-binary @"$tmp/score.json" >/dev/null
    before=$(rss)
    "$BIN" models unload kjv3 --url "$url" --wait >/dev/null
    after=$(rss)
    "$BIN" models load kjv3 "$tmp/kjv3.lmb" --tokenizer basic --url "$url" --wait >/dev/null
  fi
done
wait $bench
kill $pid
wait $pid || true
pid=

python3 - "$tmp/bench.json" "$tmp/requests.db" "$reloads" "$before" "$after" <<'EOF'
import json, sqlite3, sys
bench = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
reloads, before, after = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = db.execute("SELECT count(*), count(model_version), count(DISTINCT model_version) FROM requests WHERE model = 'lstm'").fetchone()
statuses = dict(db.execute("SELECT status, count(*) FROM requests WHERE model = 'lstm' GROUP BY status").fetchall())
events = db.execute("SELECT event, count(*) FROM model_events GROUP BY event").fetchall()
print(f"| bench (LSTM perplexity, c = 64) | {bench['requests']} requests, {bench['failures']} failed, {bench['requests_per_second']:.1f} req/s, statuses {bench['statuses']} |")
print(f"| request log, model lstm | {rows[0]} rows, {rows[1]} with a model_version, {rows[2]} versions, statuses {statuses} |")
print(f"| model events | {dict(events)} |")
print(f"| RSS around the kjv3 unload | {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after ({(before - after) / 1024:.0f} MiB freed) |")
ok = bench["failures"] == 0 and rows[0] == rows[1] and rows[0] >= bench["requests"] and set(statuses) == {200} and rows[2] >= 2
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
EOF
