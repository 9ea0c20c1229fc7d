#!/usr/bin/env bash
# How the trigger rate depends on the deployments already in the state: one server on a new
# SQLite file (--clock manual, so every deployment stays pending), then ROUNDS wrk runs of
# bench/trigger.lua (48-host schedule; 2 threads, 32 connections, SECONDS each), printing before
# each run how many deployments the state holds. A flat rate means a trigger's cost does not
# depend on the state's size; a rate falling as 1/deployments means each commit does work in
# proportion to every deployment held.
#   bench/state_growth.sh [ROUNDS (default 8)] [SECONDS (default 2)]
# Loopback only; takes ROUNDS x SECONDS plus a second or two.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="$repo_root/bench"
rounds="${1:-8}"
seconds="${2:-2}"
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/state_growth.sh [ROUNDS] [SECONDS]" >&2; exit 2; }
bin="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$bin" in /*) ;; *) bin="$repo_root/$bin" ;; esac
[ -x "$bin" ] || { echo "bench/state_growth.sh: $bin not found: run make release first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/state_growth.sh: wrk not found" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-growth.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
"$bin" serve --host 127.0.0.1 --port 0 --db "$tmp/state.sqlite" --clock manual --rate-limit 100000000 \
    --ready-file "$tmp/ready" >/dev/null 2>"$tmp/server.err" </dev/null &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
[ -s "$tmp/ready" ] || { cat "$tmp/server.err" >&2; echo "bench/state_growth.sh: the server did not start" >&2; exit 1; }
base="$(head -n1 "$tmp/ready")"
schedule="3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"
echo "trigger (48 hosts), 2 threads, 32 connections, ${seconds} s per round; $(nproc) CPUs"
printf '%-8s %-22s %-10s %-10s %s\n' round "deployments in state" "req/s" "p99" "load"
for round in $(seq "$rounds"); do
    held="$(python3 -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/__fleetmock/ready", timeout=30))["deployments"])' "$base")"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    line="$(timeout --kill-after=5 "$((seconds + 30))" wrk --threads 2 --connections 32 --duration "${seconds}s" --timeout 2s \
        --script "$bench_dir/trigger.lua" "$base/api/unstable/fleet/schedules/$schedule/trigger" | grep -m1 '^FLEETMOCK_RESULT')"
    rps="$(echo "$line" | sed -n 's/.* rps=\([0-9.]*\).*/\1/p')"
    p99="$(echo "$line" | sed -n 's/.* p99_us=\([0-9]*\).*/\1/p')"
    printf '%-8s %-22s %-10.0f %-10s %s\n' "$round" "$held" "$rps" "$(awk -v u="$p99" 'BEGIN { printf "%.1f ms", u / 1000 }')" "$load"
done
