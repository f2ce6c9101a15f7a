# Sourced by the serving benchmarks (serve-bench.sh, ngram-generation.sh): a temporary folder
# removed on exit with the servers started in it, a free port, starting a server, reading a field
# of `lmserve bench --json` output.
tmp=$(mktemp -d)
# `start` runs in a command substitution (a subshell), so server pids go to a file, not a variable.
cleanup() {
  if [ -f "$tmp/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$tmp/pids"
    # Not this shell's children: wait for them to exit (they drain, then close the database).
    for _ in $(seq 100); do
      alive=0
      while read -r p; do kill -0 "$p" 2>/dev/null && alive=1; done <"$tmp/pids"
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve_on() {  # serve_on BINARY NAME ARGS... → prints the port
  local port; port=$(free_port)
  "$1" serve --port "$port" --log-level warning "${@:3}" >"$tmp/$2.log" 2>&1 &
  echo $! >>"$tmp/pids"
  for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$tmp/$2.log" >&2; exit 1; }
  echo "$port"
}
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); v=d; exec('for k in sys.argv[2].split(\".\"): v=v.get(k) if isinstance(v,dict) else None'); print('-' if v is None else (f'{v:.1f}' if isinstance(v,float) else v))" "$1" "$2"; }
