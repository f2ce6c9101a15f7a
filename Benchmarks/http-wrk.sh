#!/usr/bin/env bash
# Benchmarks the HTTP module with wrk against a tiny echo server (Sources/HTTPBenchServer).
#
#   Benchmarks/http-wrk.sh [DURATION_SECONDS=10] [WORKERS=2] [IDLE_CONNECTIONS=10000]
#
# Release build in .build-rel; server and wrk on 127.0.0.1 share this machine's cores (wrk is
# not isolated from the server). Reports req/s, p50/p99 latency, server peak RSS, and the RSS
# while IDLE_CONNECTIONS keep-alive connections are held open. Results also go to
# Benchmarks/results/http-wrk-<date>.txt (git-ignored).
set -euo pipefail
[ -n "${HTTP_BENCH_BIN:-}" ] && HTTP_BENCH_BIN=$(realpath "$HTTP_BENCH_BIN")
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
WORKERS="${2:-2}"
IDLE="${3:-10000}"
mkdir -p Benchmarks/results
OUT="Benchmarks/results/http-wrk-$(date -u +%Y%m%dT%H%M%SZ).txt"

# HTTP_BENCH_BIN=path skips the build (e.g. .build/release/HTTPBenchServer from the test build).
if [ -n "${HTTP_BENCH_BIN:-}" ]; then BIN=$HTTP_BENCH_BIN; else
    swift build -c release --scratch-path .build-rel --product HTTPBenchServer >/dev/null
    BIN=.build-rel/release/HTTPBenchServer
fi
LOG="$(mktemp)"
POST_LUA="$(mktemp --suffix=.lua)"
cat >"$POST_LUA" <<'LUA'
wrk.method = "POST"
wrk.body = '{"prompt":"the quick brown fox","max_tokens":16}'
wrk.headers["Content-Type"] = "application/json"
LUA
"$BIN" 0 "$WORKERS" >"$LOG" 2>&1 &
SERVER=$!
cleanup() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -f "$LOG" "$POST_LUA"; }
trap cleanup EXIT
for _ in $(seq 50); do grep -q "listening on" "$LOG" && break; sleep 0.1; done
PORT="$(sed -n 's/listening on //p' "$LOG")"

report() { echo "$*" | tee -a "$OUT"; }
report "# $(date -u) host=$(hostname) cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) workers=$WORKERS duration=${DURATION}s"
report "# wrk runs on the same 2 cores as the server"
run() {  # name connections url [lua]
    local name=$1 conns=$2 url=$3 lua=${4:-}
    local args=(-t1 -c"$conns" -d"${DURATION}s" --latency)
    [ -n "$lua" ] && args+=(-s "$lua")
    local result
    result="$(wrk "${args[@]}" "$url")"
    local rps p50 p99 errors
    rps="$(echo "$result" | awk '/Requests\/sec/ {print $2}')"
    p50="$(echo "$result" | awk '$1=="50%" {print $2}')"
    p99="$(echo "$result" | awk '$1=="99%" {print $2}')"
    errors="$(echo "$result" | grep -E "Socket errors|Non-2xx" | tr "\n" " " || true)"
    report "$(printf '%-14s c=%-4s req/s=%-10s p50=%-8s p99=%-8s %s' "$name" "$conns" "$rps" "$p50" "$p99" "$errors")"
}
run "GET /health" 16 "http://127.0.0.1:$PORT/health"
run "GET /health" 128 "http://127.0.0.1:$PORT/health"
run "POST /echo" 16 "http://127.0.0.1:$PORT/echo" "$POST_LUA"
run "POST /echo" 128 "http://127.0.0.1:$PORT/echo" "$POST_LUA"
report "server peak RSS after wrk: $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER/status)"

if [ "$IDLE" -gt 0 ]; then
    BEFORE="$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)"
    exec 3> >(python3 Benchmarks/idle-connections.py "$PORT" "$IDLE" > "$LOG.idle")
    for _ in $(seq 600); do grep -q "^held" "$LOG.idle" 2>/dev/null && break; sleep 0.1; done
    HELD="$(cat "$LOG.idle")"
    DURING="$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)"
    exec 3>&-
    sleep 1
    report "idle keep-alive: $HELD; server RSS ${BEFORE} kB before -> ${DURING} kB holding them ($(( (DURING - BEFORE) * 1024 / IDLE )) bytes/connection); peak $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER/status)"
    rm -f "$LOG.idle"
fi
echo "results: $OUT"
