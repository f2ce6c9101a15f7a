#!/usr/bin/env bash
# Scale-out on one machine, loopback only: 3 LMServe replicas (serving the Kubernetes base's
# lmserve.yaml with the repository's models) behind HAProxy health-checking /ready, scraped by
# a real Prometheus, driven by `lmserve bench` through HAProxy.
#   0. metrics: `promtool check metrics` prints nothing on each replica's /metrics; after a burst
#      of load, every Grafana panel's query returns data (scripts/check_grafana.py);
#   1. rolling restart: each replica in turn gets SIGTERM (drains, exits 0) and comes back while
#      bench sends perplexity requests and streamed completions: no request may fail;
#   2. kill: one replica gets SIGKILL while it holds streamed completions: the failures are
#      counted (at most the bench's concurrency) and reported with HAProxy's retry counts;
#   3. `lmserve logs` and `lmserve stats` read the 3 replicas' request logs as one.
# Every wait polls for an event (a port, /ready, HAProxy's view, a scrape) with a generous hang
# guard; nothing waits a fixed time. Every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${LMSERVE_BIN:-.build/release/lmserve}
[ -x "$bin" ] || swift build -c release --product lmserve
concurrency=${SCALE_OUT_CONCURRENCY:-4}
tmp=$(mktemp -d)
pids=()
cleanup() {
  touch "$tmp/stop"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
say() { echo "scale-out: $*"; }
die() { echo "scale-out: FAILED: $*" >&2; for f in "$tmp"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; } >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_until DESCRIPTION COMMAND...: polls COMMAND every 0.2 s; 3,000 polls (10 minutes) are
# only a hang guard.
wait_until() {
  local what=$1; shift
  for _ in $(seq 1 3000); do
    "$@" && return 0
    sleep 0.2
  done
  die "gave up waiting for $what"
}

# ---- replicas ----
# The Kubernetes configuration turns API keys on (auth.keys_file, the Secret's mount): here the
# file is made with `lmserve keys add`, a key for the load (infer) and one for Prometheus and
# the checks of /metrics (metrics).
sed -e "s#/models/#$PWD/models/#" -e "s#/etc/lmserve/keys/keys.json#$tmp/keys.json#" deploy/kubernetes/lmserve.yaml >"$tmp/lmserve.yaml"
grep -q "keys_file: $tmp/keys.json" "$tmp/lmserve.yaml" || die "deploy/kubernetes/lmserve.yaml names no keys file"
export LMSERVE_API_KEY
LMSERVE_API_KEY=$("$bin" keys add bench --scopes infer --keys-file "$tmp/keys.json" 2>/dev/null)
metrics_key=$("$bin" keys add prometheus --scopes metrics --keys-file "$tmp/keys.json" 2>/dev/null)
ports=() rpids=()
for i in 0 1 2; do ports[i]=$(free_port); done
start_replica() {
  local i=$1
  "$bin" serve --config "$tmp/lmserve.yaml" --host 127.0.0.1 --port "${ports[i]}" --db "$tmp/r$i.db" \
    --drain-timeout 20 --log-level warning >>"$tmp/r$i.log" 2>&1 &
  rpids[i]=$!
  pids+=("${rpids[i]}")
}
replica_ready() {
  kill -0 "${rpids[$1]}" 2>/dev/null || die "replica $1 exited before it was ready"
  curl -sf -o /dev/null "http://127.0.0.1:${ports[$1]}/ready"
}
for i in 0 1 2; do start_replica "$i"; done
for i in 0 1 2; do wait_until "replica $i to be ready" replica_ready "$i"; done
say "3 replicas ready on ports ${ports[*]}"

# ---- 0a. /metrics follows Prometheus's conventions ----
for i in 0 1 2; do
  curl -sf -H "Authorization: Bearer $metrics_key" "http://127.0.0.1:${ports[i]}/metrics" >"$tmp/metrics$i.txt"
  out=$(promtool check metrics <"$tmp/metrics$i.txt" 2>&1) || true
  [ -z "$out" ] || die "promtool check metrics on replica $i: $out"
  for family in process_cpu_seconds_total process_resident_memory_bytes process_virtual_memory_bytes \
    process_open_fds process_max_fds process_start_time_seconds lmserve_build_info; do
    grep -q "^# HELP $family " "$tmp/metrics$i.txt" || die "replica $i does not expose $family"
  done
done
say "promtool check metrics: nothing to report on any replica; $(grep '^lmserve_build_info' "$tmp/metrics0.txt")"

# ---- HAProxy and Prometheus ----
fe=$(free_port) stats=$(free_port) prom=$(free_port)
cat >"$tmp/haproxy.cfg" <<CFG
global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  option http-keep-alive
  # A request that never reached a replica (connection refused while it restarts) or that a
  # replica closed without answering is sent again, to another replica.
  option http-buffer-request
  retries 3
  retry-on conn-failure empty-response
  option redispatch 1
frontend lmserve
  bind 127.0.0.1:$fe
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
  default-server check inter 300ms fastinter 100ms downinter 300ms rise 2 fall 1
  server r0 127.0.0.1:${ports[0]}
  server r1 127.0.0.1:${ports[1]}
  server r2 127.0.0.1:${ports[2]}
listen stats
  bind 127.0.0.1:$stats
  stats enable
  stats uri /stats
CFG
haproxy -c -q -f "$tmp/haproxy.cfg" || die "haproxy rejects its configuration"
haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
hpid=$!
pids+=("$hpid")
# haproxy_stat SVNAME FIELD: one field of HAProxy's CSV statistics (backend "replicas", or the
# frontend when SVNAME is FRONTEND).
haproxy_stat() {
  local proxy=replicas
  [ "$1" = FRONTEND ] && proxy=lmserve
  curl -sf "http://127.0.0.1:$stats/stats;csv" | awk -F, -v px="$proxy" -v sv="$1" -v field="$2" '
    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == px && $2 == sv { print $col[field]; exit }'
}
server_is() { kill -0 "$hpid" 2>/dev/null || die "haproxy exited"; [ "$(haproxy_stat "$1" status)" = "$2" ]; }
for s in r0 r1 r2; do wait_until "HAProxy to see $s UP" server_is "$s" UP; done

cat >"$tmp/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lmserve
    authorization:
      credentials: "$metrics_key"
    static_configs:
      - targets: ["127.0.0.1:${ports[0]}", "127.0.0.1:${ports[1]}", "127.0.0.1:${ports[2]}"]
CFG
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
ppid=$!
pids+=("$ppid")
prom_ready() { kill -0 "$ppid" 2>/dev/null || die "prometheus exited"; curl -sf -o /dev/null "http://127.0.0.1:$prom/-/ready"; }
wait_until "Prometheus to be ready" prom_ready
say "HAProxy on $fe (stats on $stats), Prometheus on $prom"

# bench NAME ROUTE MODEL CONCURRENCY SECONDS [FLAGS...]: one `lmserve bench` run through HAProxy.
bench() {
  local name=$1 route=$2 model=$3 c=$4 seconds=$5; shift 5
  "$bin" bench --url "http://127.0.0.1:$fe" --route "$route" --model "$model" --concurrency "$c" \
    --duration "$seconds" --json "$@" >"$tmp/$name.json" 2>>"$tmp/bench.log"
}
# summary FILES...: total requests and failed ones (transport failures + any status but 200).
summary() {
  python3 - "$@" <<'PY'
import json, sys
total = failed = 0
for path in sys.argv[1:]:
    r = json.load(open(path))
    answered = sum(r["statuses"].values())
    total += answered + r["failures"]
    failed += r["failures"] + answered - r["statuses"].get("200", 0)
print(total, failed)
PY
}

# ---- 0b. a burst of load, then every dashboard query against Prometheus ----
# prom_count QUERY N: true when the instant vector QUERY has N elements.
prom_count() {
  curl -sf "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1" |
    python3 -c "import json,sys; sys.exit(0 if len(json.load(sys.stdin)['data']['result']) == $2 else 1)"
}
# Every replica scraped successfully once before the load and once after it, so each counter's
# rate over the dashboards' window spans the load however the scrapes fall (a new Prometheus
# sends its first targets to the scraper only after a few seconds, which can be after a short
# burst on a fast machine).
scraped_before_load() { prom_count 'up{job="lmserve"} == 1' 3; }
wait_until "Prometheus to scrape every replica before the load" scraped_before_load
# One request the HTTP layer refuses (431), so the rejections panel has a series.
curl -s -o /dev/null -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "http://127.0.0.1:${ports[0]}/health" || true
bench burst-ppl perplexity kjv3 "$concurrency" 6 &
b1=$!
bench burst-gen completions kjv-lstm 2 6 --stream --max-tokens 8 &
b2=$!
pids+=("$b1" "$b2")
wait "$b1" || die "bench (perplexity) failed"
wait "$b2" || die "bench (streamed completions) failed"
read -r total failed < <(summary "$tmp/burst-ppl.json" "$tmp/burst-gen.json")
[ "$failed" -eq 0 ] || die "$failed of $total requests failed under steady load"
ended=$(date +%s.%N)
scraped_after_load() { prom_count "timestamp(up{job=\"lmserve\"} == 1) > $ended" 3; }
wait_until "Prometheus to scrape every replica after the load" scraped_after_load
LMSERVE_METRICS_KEY=$metrics_key python3 scripts/check_grafana.py --prometheus "http://127.0.0.1:$prom" \
  --metrics-url "http://127.0.0.1:${ports[0]}/metrics" --window 1m || die "dashboard queries"

# loop NAME ROUTE MODEL CONCURRENCY [FLAGS...]: `lmserve bench` runs of 2 s back to back until
# $tmp/stop exists (so the load spans the whole phase however long the machine takes), each
# writing $tmp/NAME-K.json.
loop() {
  local name=$1 k=0
  shift
  while [ ! -e "$tmp/stop" ]; do
    bench "$name-$k" "$1" "$2" "$3" 2 "${@:4}" || return 1
    k=$((k + 1))
  done
}
served() { haproxy_stat "$1" stot; }
served_more_than() { [ "$(served "$1")" -gt "$2" ]; }

# ---- 1. rolling restart under load ----
streams=2
rm -f "$tmp/stop"
loop roll-ppl perplexity kjv3 "$concurrency" &
lpid=$!
loop roll-gen completions kjv-lstm "$streams" --stream --max-tokens 64 &
gpid=$!
pids+=("$lpid" "$gpid")
before=$(served FRONTEND)
wait_until "load to flow" served_more_than FRONTEND "$before"
for i in 0 1 2; do
  s=r$i
  kill -TERM "${rpids[i]}"
  status=0
  wait "${rpids[i]}" || status=$?
  [ "$status" -eq 0 ] || die "replica $i exited $status after SIGTERM"
  wait_until "HAProxy to see $s DOWN" server_is "$s" DOWN
  start_replica "$i"
  wait_until "replica $i to be ready again" replica_ready "$i"
  wait_until "HAProxy to see $s UP again" server_is "$s" UP
  count=$(served "$s")
  wait_until "$s to serve requests again" served_more_than "$s" "$count"
  say "rolling restart: r$i drained, restarted and serving"
done
touch "$tmp/stop"
wait "$lpid" || die "bench failed during the rolling restart"
wait "$gpid" || die "bench (streams) failed during the rolling restart"
read -r roll_total roll_failed < <(summary "$tmp"/roll-*.json)
read -r roll_streams _ < <(summary "$tmp"/roll-gen-*.json)
say "rolling restart: $roll_total requests through HAProxy ($roll_streams of them streamed completions), $roll_failed failed"
[ "$roll_failed" -eq 0 ] || die "$roll_failed requests failed during the rolling restart"

# ---- 2. SIGKILL one replica while it holds requests ----
# Only streamed completions, so whatever r1 holds is a stream; one cut halfway cannot be
# retried (HAProxy has passed part of the answer on), so it counts as failed.
retries_before=$(haproxy_stat r1 wretr) redispatches_before=$(haproxy_stat r1 wredis)
rm -f "$tmp/stop"
loop kill-gen completions kjv-lstm "$concurrency" --stream --max-tokens 64 &
lpid=$!
pids+=("$lpid")
holds_requests() { [ "$(haproxy_stat r1 scur)" -gt 0 ]; }
wait_until "r1 to hold a request" holds_requests
held=$(haproxy_stat r1 scur)
kill -KILL "${rpids[1]}"
wait "${rpids[1]}" 2>/dev/null || true
wait_until "HAProxy to see r1 DOWN" server_is r1 DOWN
after=$(served FRONTEND)
wait_until "the other replicas to serve on" served_more_than FRONTEND "$((after + 2 * concurrency))"
touch "$tmp/stop"
wait "$lpid" || die "bench failed during the kill"
read -r kill_total kill_failed < <(summary "$tmp"/kill-*.json)
retried=$(($(haproxy_stat r1 wretr) - retries_before))
redispatched=$(($(haproxy_stat r1 wredis) - redispatches_before))
say "kill: $kill_total requests through HAProxy, $kill_failed failed; r1 held $held just before SIGKILL; HAProxy retried $retried (closed without an answer) and redispatched $redispatched"
[ "$kill_failed" -le "$concurrency" ] || die "$kill_failed requests failed, more than the $concurrency in flight at any time"
# ---- 3. the fleet's request logs read as one ----
dbs=(--db "$tmp/r0.db" --db "$tmp/r1.db" --db "$tmp/r2.db")
"$bin" logs "${dbs[@]}" --limit 200 --json >"$tmp/logs.jsonl" || die "lmserve logs over 3 logs"
"$bin" logs "${dbs[@]}" --limit 3 | head -1 | grep -q "INSTANCE" || die "lmserve logs over 3 logs has no INSTANCE column"
"$bin" stats "${dbs[@]}" --json >"$tmp/stats.json" || die "lmserve stats over 3 logs"
python3 - "$tmp/logs.jsonl" "$tmp/stats.json" <<'PY' || die "the merged request logs"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert len(rows) == 200, len(rows)
assert [r["time"] for r in rows] == sorted((r["time"] for r in rows), reverse=True), "not newest first"
assert {r["instance"] for r in rows} <= {"r0", "r1", "r2"}, {r["instance"] for r in rows}
stats = json.load(open(sys.argv[2]))
groups = {g["key"]: g["count"] for g in stats["by_instance"]}
assert set(groups) == {"r0", "r1", "r2"}, groups
assert sum(groups.values()) == stats["overall"]["count"], (groups, stats["overall"]["count"])
print("scale-out: lmserve stats over the 3 replicas' logs: " + ", ".join(f"{k} {v}" for k, v in sorted(groups.items()))
      + f", {stats['overall']['count']} in all")
PY
say "passed"
