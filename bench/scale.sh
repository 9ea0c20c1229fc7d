#!/usr/bin/env bash
# FleetMock with fleets of 1,000, 10,000 and 100,000 hosts (fleetmock fixtures generate --hosts N):
# start time (first start, which seeds SQLite, and restart from the state file), resident memory,
# trigger latency for a query matching 10% (os:windows) and 100% (the empty query) of the fleet,
# GET deployment page latency (limit=50), cancel latency, and the cost of one simulated minute
# (POST /__fleetmock/clock/advance {"seconds":60}) with the 100% deployment in flight; then how
# each cost grows with the fleet. The work is done by bench/scale.py (its docstring has the steps).
#   bench/scale.sh            (also run at the end of bench/run.sh, so by `make bench`, unless BENCH_SCALE=0)
# Takes about a minute on 2 CPUs: about half of it advancing the clock over the 100,000-host
# deployment, most of the rest the 100,000-host starts. Loopback only; every server is stopped
# before the script ends. Writes the tables as Markdown to bench/results/scale.md.
#
# Environment:
#   FLEETMOCK_BIN              server binary (default .build/release/fleetmock)
#   BENCH_SCALE_SIZES          fleet sizes, comma-separated (default 1000,10000,100000)
#   BENCH_SCALE_STARTS         first starts and restarts measured per size (default 3)
#   BENCH_SCALE_MINUTES        simulated minutes advanced, one request each (default 10)
#   BENCH_SCALE_CONCURRENCY    serve --concurrency (default 100)
#   BENCH_SCALE_RESULTS        Markdown output (default bench/results/scale.md)
#   BENCH_SCALE_MAX_SECONDS    the whole run is stopped after this long (default 900)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="$repo_root/bench"
cd "$repo_root"

die() { echo "bench/scale.sh: $*" >&2; exit 1; }
positive_int() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }

bin="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$bin" in /*) ;; *) bin="$repo_root/$bin" ;; esac
sizes="${BENCH_SCALE_SIZES:-1000,10000,100000}"
starts="${BENCH_SCALE_STARTS:-3}"
minutes="${BENCH_SCALE_MINUTES:-10}"
concurrency="${BENCH_SCALE_CONCURRENCY:-100}"
max_seconds="${BENCH_SCALE_MAX_SECONDS:-900}"
results_md="${BENCH_SCALE_RESULTS:-$bench_dir/results/scale.md}"
positive_int BENCH_SCALE_STARTS "$starts"
positive_int BENCH_SCALE_MINUTES "$minutes"
positive_int BENCH_SCALE_CONCURRENCY "$concurrency"
positive_int BENCH_SCALE_MAX_SECONDS "$max_seconds"
[[ "$sizes" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "BENCH_SCALE_SIZES must be comma-separated positive integers, got '$sizes'"
[ -x "$bin" ] || die "server binary $bin not found or not executable: run make release first (or set FLEETMOCK_BIN)"
command -v python3 >/dev/null || die "python3 not found"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-scale.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

command_line="bench/scale.sh"
[ "$sizes" != 1000,10000,100000 ] && command_line="BENCH_SCALE_SIZES=$sizes $command_line"
[ -n "${MAKELEVEL:-}" ] && command_line="make bench  # i.e. $command_line"
echo "FleetMock at scale: $sizes hosts; $starts starts each; $minutes simulated minutes at --concurrency $concurrency"
sync
# scale.py stops its servers on every exit path it controls; timeout's SIGTERM reaches it too.
timeout --foreground --kill-after=10 "$max_seconds" \
    python3 "$bench_dir/scale.py" --bin "$bin" --workdir "$tmp" --results-md "$results_md" --sizes "$sizes" \
    --starts "$starts" --minutes "$minutes" --concurrency "$concurrency" --command "$command_line" ||
    die "scale.py failed (exit status $?)"
echo "Markdown summary: ${results_md#"$repo_root"/}"
