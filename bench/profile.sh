#!/usr/bin/env bash
# CPU profile of the FleetMock server under one wrk load, with perf (cpu-clock sampling, DWARF
# call graphs, so time inside libsqlite3, which has no frame pointers, is charged to its callers).
#   bench/profile.sh trigger|trigger100|get|cancel [SECONDS]
# Starts the server on a fresh database (127.0.0.1, --clock manual), runs the load of
# bench/trigger.lua (trigger100: on a schedule created first that matches 100 of the 120 bundled
# hosts, as bench/run.sh's 100-host trigger), bench/get_deployment.lua or bench/cancel.lua (over pending deployments created
# first, not profiled; 2 threads, 32 connections) for SECONDS + 4 s,
# samples the server for SECONDS (default 6) from the load's second second, and writes
# bench/results/profile-<scenario>.txt: time by module, then inclusive time by function
# (Swift names demangled with swift-demangle when it is on PATH). Needs perf (linux-perf).
# PROFILE_KEEP=PATH keeps the raw perf.data there, for `perf report -i PATH` of your own.
# PROFILE_CPU_ONLY=1 skips perf and prints the server's CPU time per request over the whole load
# (user + system, all threads, from /proc): steadier than req/s on a shared machine for an A/B.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="$repo_root/bench"
scenario="${1:-}"
seconds="${2:-6}"
case "$scenario" in trigger | trigger100 | get | cancel) ;; *) echo "usage: bench/profile.sh trigger|trigger100|get|cancel [SECONDS]" >&2; exit 2 ;; esac
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "bench/profile.sh: SECONDS must be a positive integer" >&2; exit 2; }

bin="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$bin" in /*) ;; *) bin="$repo_root/$bin" ;; esac
[ -x "$bin" ] || { echo "bench/profile.sh: $bin not found: run make release first" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench/profile.sh: perf not found: apt-get install linux-perf" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/profile.sh: wrk not found: apt-get install wrk" >&2; exit 1; }
demangle=cat
command -v swift-demangle >/dev/null && demangle="swift-demangle --simplified"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-profile.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    [ -n "${PROFILE_KEEP:-}" ] && cp "$tmp/perf.data" "$PROFILE_KEEP" 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" serve --host 127.0.0.1 --port 0 --db "$tmp/profile.sqlite" --clock manual --rate-limit 100000000 \
    >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
server_pid=$!
port=""
for _ in $(seq 100); do
    port="$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$tmp/server.out" | head -n1)"
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/server.err" >&2; echo "bench/profile.sh: the server failed to start" >&2; exit 1; }
base="http://127.0.0.1:$port"
schedule="3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"

script_args=()
if [ "$scenario" = trigger ]; then
    script=trigger.lua url="$base/api/unstable/fleet/schedules/$schedule/trigger"
elif [ "$scenario" = trigger100 ]; then
    schedule_100="$(python3 "$bench_dir/schedule_100.py" "$base")"
    script=trigger.lua url="$base/api/unstable/fleet/schedules/$schedule_100/trigger"
elif [ "$scenario" = cancel ]; then
    # Pending deployments to cancel, each once: created beforehand (not profiled), like run.sh does.
    wrk --threads 2 --connections 32 --duration "$((seconds + 6))s" --script "$bench_dir/collect_ids.lua" \
        "$base/api/unstable/fleet/schedules/$schedule/trigger" -- "$tmp/ids" >/dev/null 2>&1
    cat "$tmp"/ids.* >"$tmp/ids.all"
    script=cancel.lua url="$base/" script_args=(-- "$tmp/ids.all" 2)
else
    id="$(python3 - "$base" "$schedule" <<'PY'
import json, sys, urllib.request
base, schedule = sys.argv[1:3]
request = urllib.request.Request(f"{base}/api/unstable/fleet/schedules/{schedule}/trigger", data=b"", method="POST",
                                 headers={"DD-API-KEY": "fleetmock-api-key", "DD-APPLICATION-KEY": "fleetmock-app-key"})
print(json.load(urllib.request.urlopen(request, timeout=10))["data"]["id"])
PY
)"
    script=get_deployment.lua url="$base/api/unstable/fleet/deployments/$id"
fi

# utime + stime of the server, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
if [ "${PROFILE_CPU_ONLY:-0}" = 1 ]; then
    before="$(cpu_ticks)"
    wrk --threads 2 --connections 32 --duration "$((seconds + 4))s" --script "$bench_dir/$script" "$url" "${script_args[@]}" \
        >"$tmp/wrk.txt" 2>&1
    after="$(cpu_ticks)"
    result="$(grep -m1 '^FLEETMOCK_RESULT' "$tmp/wrk.txt" | sed 's/^FLEETMOCK_RESULT //')"
    requests="$(echo "$result" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')"
    awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" -v scenario="$scenario" \
        'BEGIN { printf "%s: server CPU %.1f us per request (%d requests, %.2f CPU s)\n", scenario, ticks / hz * 1e6 / n, n, ticks / hz }'
    echo "$result"
    exit 0
fi
wrk --threads 2 --connections 32 --duration "$((seconds + 4))s" --script "$bench_dir/$script" "$url" "${script_args[@]}" \
    >"$tmp/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 1
perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$tmp/perf.data" -- sleep "$seconds" \
    >/dev/null 2>"$tmp/perf.err" || { cat "$tmp/perf.err" >&2; exit 1; }
wait "$wrk_pid"

out="$bench_dir/results/profile-$scenario.txt"
mkdir -p "$(dirname "$out")"
{
    echo "# bench/profile.sh $scenario $seconds  ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs)"
    echo "# load: $(grep -m1 '^FLEETMOCK_RESULT' "$tmp/wrk.txt" || tail -n1 "$tmp/wrk.txt")"
    echo "# perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p SERVER_PID -- sleep $seconds"
    echo
    echo "## Server CPU by module (self time)"
    perf report -i "$tmp/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$'
    echo
    echo "## Inclusive time by function (children), >= 1%"
    perf report -i "$tmp/perf.data" --stdio --children --sort sym -g none --percent-limit 1 2>/dev/null |
        grep -v '^#' | grep -v '^$' | grep -v '\] 0x0000' | $demangle | cut -c1-180
    echo
    echo "## Self time by function, >= 0.5%"
    perf report -i "$tmp/perf.data" --stdio --no-children --sort dso,sym -g none --percent-limit 0.5 2>/dev/null |
        grep -v '^#' | grep -v '^$' | $demangle | cut -c1-180
} >"$out"
echo "$(grep -m1 '^FLEETMOCK_RESULT' "$tmp/wrk.txt" | sed 's/^FLEETMOCK_RESULT //')"
echo "profile written to ${out#"$repo_root"/}"
