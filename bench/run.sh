#!/usr/bin/env bash
# FleetMock benchmark: start-up time, requests/s and latency under wrk, resident memory.
#   bench/run.sh            (or `make bench`, which builds release and installs wrk first)
# Loopback only (127.0.0.1); every load is bounded in time. Prints a summary with PASS/MISS per
# target and writes it as Markdown to bench/results/latest.md. Then runs bench/peer.sh (FleetMock
# beside moto, bench/results/peer.md) and bench/scale.sh (fleets of 1,000 to 100,000 hosts,
# bench/results/scale.md), about a minute each. Exits 0 whatever the figures are (they depend on
# the machine); non-zero only when the server fails to start or dies, or wrk or a helper fails.
#
# Environment:
#   FLEETMOCK_BIN            server binary (default .build/release/fleetmock; relative to the repo root)
#   BENCH_SECONDS            seconds per wrk run (default 5)
#   BENCH_CONNECTIONS        connections per run (default 32)
#   BENCH_CONNECTIONS_HIGH   connections of the second baseline and GET run (default 64)
#   BENCH_THREADS            wrk threads (default 2)
#   BENCH_STARTS             starts measured for start-up time (default 10)
#   BENCH_CANCEL_IDS         deployments created for each of the two cancel runs (default 4000 x BENCH_SECONDS)
#   BENCH_PREFILL_MAX_SECONDS  time allowed to create them (default 6 x BENCH_SECONDS)
#   BENCH_RESULTS            Markdown output (default bench/results/latest.md)
#   BENCH_PEER               0 skips bench/peer.sh (default 1; it installs moto into bench/.venv-moto)
#   BENCH_SCALE              0 skips bench/scale.sh (default 1)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="$repo_root/bench"
cd "$repo_root"

die() { echo "bench/run.sh: $*" >&2; exit 1; }

positive_int() { # name value
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"
}

bin="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$bin" in /*) ;; *) bin="$repo_root/$bin" ;; esac
seconds="${BENCH_SECONDS:-5}"
connections="${BENCH_CONNECTIONS:-32}"
connections_high="${BENCH_CONNECTIONS_HIGH:-64}"
threads="${BENCH_THREADS:-2}"
starts="${BENCH_STARTS:-10}"
positive_int BENCH_SECONDS "$seconds"
positive_int BENCH_CONNECTIONS "$connections"
positive_int BENCH_CONNECTIONS_HIGH "$connections_high"
positive_int BENCH_THREADS "$threads"
positive_int BENCH_STARTS "$starts"
cancel_ids="${BENCH_CANCEL_IDS:-$((4000 * seconds))}"
prefill_max="${BENCH_PREFILL_MAX_SECONDS:-$((6 * seconds))}"
positive_int BENCH_CANCEL_IDS "$cancel_ids"
positive_int BENCH_PREFILL_MAX_SECONDS "$prefill_max"
results_md="${BENCH_RESULTS:-$bench_dir/results/latest.md}"
[ "$connections" -ge "$threads" ] && [ "$connections_high" -ge "$threads" ] ||
    die "connections must be at least BENCH_THREADS ($threads)"

[ -x "$bin" ] || die "server binary $bin not found or not executable: run make release first (or set FLEETMOCK_BIN)"
command -v wrk >/dev/null || die "wrk not found: apt-get install wrk (make bench installs it)"
command -v python3 >/dev/null || die "python3 not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"

schedule_48_hosts="3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10" # env:prod, 48 hosts: deployments stay pending
api_key="fleetmock-api-key"
app_key="fleetmock-app-key"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-bench.XXXXXX")"
server_pid=""
. "$bench_dir/lib.sh" # stop_server, record, load1, memory, run_wrk
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench/run.sh: interrupted" >&2; exit 130' INT
trap 'echo "bench/run.sh: terminated" >&2; exit 143' TERM

results="$tmp/results.env" # key=value lines, read by bench/report.py
: >"$results"

server_alive() {
    kill -0 "$server_pid" 2>/dev/null || {
        echo "--- server stderr:" >&2
        cat "$tmp/server.err" >&2 || true
        die "the server (pid $server_pid) died during the benchmark"
    }
}

echo "FleetMock benchmark: $bin"
echo "  ${seconds} s per run, $threads wrk threads, $connections connections (GET also $connections_high); $(nproc) CPUs"

# 1. Start-up: exec -> ready line, exec -> first 200, median of BENCH_STARTS fresh databases.
echo "start-up ($starts starts, fresh database each)"
# Flush pending disk writes first (a previous run leaves GBs of WAL being written back), so
# that the starts, which create and seed a database file, do not wait behind them.
sync
mkdir "$tmp/startup"
record startup_load "$(load1)"
startup_line="$(python3 "$bench_dir/startup.py" "$bin" "$starts" "$tmp/startup")" ||
    die "the server failed to start (see above)"
for kv in ${startup_line#FLEETMOCK_STARTUP }; do record "startup_${kv%%=*}" "${kv#*=}"; done
echo "  ${startup_line#FLEETMOCK_STARTUP }"

# 2. The server under load: one process, fresh database, manual clock (deployments stay pending).
start_server() { # DB: starts the server on that new SQLite file; sets server_pid and base
    "$bin" serve --host 127.0.0.1 --port 0 --db "$1" --clock manual \
        --rate-limit 100000000 --failure-rate 0 >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
    server_pid=$!
    local port=""
    for _ in $(seq 100); do
        port="$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$tmp/server.out" | head -n1)"
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.err" >&2; die "the server failed to start"; }
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$tmp/server.err" >&2; die "the server printed no ready line within 10 s"; }
    base="http://127.0.0.1:$port"
}
start_server "$tmp/bench.sqlite"
echo "server pid $server_pid at $base"

# One deployment to GET (48 hosts, pending), created through the API like any client would.
deployment_id="$(python3 - "$base" "$schedule_48_hosts" "$api_key" "$app_key" <<'PY'
import json, sys, urllib.request
base, schedule, api_key, app_key = sys.argv[1:5]
request = urllib.request.Request(f"{base}/api/unstable/fleet/schedules/{schedule}/trigger", data=b"", method="POST",
                                 headers={"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key})
with urllib.request.urlopen(request, timeout=10) as reply:
    assert reply.status == 201, reply.status
    print(json.load(reply)["data"]["id"])
PY
)" || die "could not trigger a deployment to GET"
memory startup

echo "load (each ${seconds} s unless noted)"
run_wrk warmup "$connections" 1 get_deployment.lua "$base/api/unstable/fleet/deployments/$deployment_id" >/dev/null
run_wrk baseline "$connections" "$seconds" health.lua "$base/__fleetmock/health"
run_wrk baseline_high "$connections_high" "$seconds" health.lua "$base/__fleetmock/health"
run_wrk get "$connections" "$seconds" get_deployment.lua "$base/api/unstable/fleet/deployments/$deployment_id"
run_wrk get_high "$connections_high" "$seconds" get_deployment.lua "$base/api/unstable/fleet/deployments/$deployment_id"
run_wrk trigger "$connections" "$seconds" trigger.lua "$base/api/unstable/fleet/schedules/$schedule_48_hosts/trigger"
run_wrk trigger_high "$connections_high" "$seconds" trigger.lua "$base/api/unstable/fleet/schedules/$schedule_48_hosts/trigger"

# Cancel: each deployment can be canceled once, so first create 2 x BENCH_CANCEL_IDS of them
# (collect_ids.lua, not measured), then cancel.lua cancels each id once and stops when they run out:
# half of them at BENCH_CONNECTIONS, the other half at BENCH_CONNECTIONS_HIGH.
trigger_rps="$(awk -F= '$1 == "trigger_rps" {print int($2)}' "$results")"
mkdir "$tmp/ids"
collected=0
prefill_used=0
wanted_ids=$((2 * cancel_ids))
while [ "$collected" -lt "$wanted_ids" ] && [ "$prefill_used" -lt "$prefill_max" ]; do
    # Collecting parses every reply, so expect ~80% of the trigger rate; one second more for slack.
    want_seconds=$(( (wanted_ids - collected) * 5 / (4 * (trigger_rps > 0 ? trigger_rps : 1)) + 1 ))
    left=$((prefill_max - prefill_used))
    [ "$want_seconds" -le "$left" ] || want_seconds="$left"
    run_wrk prefill "$connections" "$want_seconds" collect_ids.lua \
        "$base/api/unstable/fleet/schedules/$schedule_48_hosts/trigger" "$tmp/ids/thread" >/dev/null
    prefill_used=$((prefill_used + want_seconds))
    cat "$tmp"/ids/thread.* >"$tmp/ids.all"
    collected="$(grep -c . "$tmp/ids.all" || true)"
done
record prefill_ids "$collected"
record prefill_seconds "$prefill_used"
echo "  prefill            created $collected pending deployments in ${prefill_used} s (wanted $wanted_ids)"
[ "$collected" -gt 1 ] || die "no deployment id collected for the cancel runs"
half=$((collected / 2))
head -n "$half" "$tmp/ids.all" >"$tmp/ids.first"
tail -n +"$((half + 1))" "$tmp/ids.all" >"$tmp/ids.second"
run_wrk cancel "$connections" "$seconds" cancel.lua "$base/" "$tmp/ids.first" "$threads"
run_wrk cancel_high "$connections_high" "$seconds" cancel.lua "$base/" "$tmp/ids.second" "$threads"
memory after_load
# Context for the memory figures: deployments in the state (the trigger run's completed
# requests, the prefill's, the one to GET; a few in flight at a run's end are not counted)
# and the SQLite files' size on disk.
trigger_requests="$(awk -F= '$1 == "trigger_requests" || $1 == "trigger_high_requests" {t += $2} END {print t + 0}' "$results")"
record deployments_created "$((trigger_requests + collected + 1))"
record db_kb "$(du -k "$tmp/bench.sqlite" | cut -f1)"
record wal_kb "$( (du -k "$tmp/bench.sqlite-wal" 2>/dev/null || echo 0) | cut -f1)"
stop_server

# Trigger of a 100-host deployment (the target's size), on a second server with a new SQLite file,
# so that it does not carry the tens of thousands of deployments the runs above left in the state:
# a schedule created for it through the API, matching 100 of the 120 bundled hosts.
start_server "$tmp/bench-100.sqlite"
echo "server pid $server_pid at $base (new database, for the 100-host trigger)"
schedule_100_hosts="$(python3 "$bench_dir/schedule_100.py" "$base" "$api_key" "$app_key")" || die "could not create the 100-host schedule"
run_wrk trigger_100 "$connections" "$seconds" trigger.lua "$base/api/unstable/fleet/schedules/$schedule_100_hosts/trigger"
stop_server

# 3. Summary: console and Markdown.
git_rev="$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$repo_root" diff --quiet HEAD -- 2>/dev/null || git_rev="$git_rev (with uncommitted changes)"
command_line="BENCH_SECONDS=$seconds BENCH_CONNECTIONS=$connections BENCH_CONNECTIONS_HIGH=$connections_high bench/run.sh"
[ -n "${MAKELEVEL:-}" ] && command_line="make bench  # i.e. $command_line"
record meta_date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta_nproc "$(nproc)"
record meta_cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
record meta_kernel "$(uname -sr)"
record meta_wrk "$(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')"
record meta_binary "${bin#"$repo_root"/} (built $(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC'))"
record meta_git "$git_rev"
record meta_command "$command_line"
record meta_threads "$threads"
record meta_seconds "$seconds"
record meta_load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$(dirname "$results_md")"
python3 "$bench_dir/report.py" "$results" "$results_md"
echo "Markdown summary: ${results_md#"$repo_root"/}"

# 4. The peer comparison and the scale runs, each its own script (also runnable alone).
if [ "${BENCH_PEER:-1}" != 0 ]; then
    echo
    "$bench_dir/peer.sh" || die "bench/peer.sh failed (exit status $?)"
fi
if [ "${BENCH_SCALE:-1}" != 0 ]; then
    echo
    "$bench_dir/scale.sh" || die "bench/scale.sh failed (exit status $?)"
fi
