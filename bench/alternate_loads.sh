#!/usr/bin/env bash
# Two or more fleetmock binaries (or one binary with different flags) under the same trigger load
# in turn, ROUNDS times each: a fresh server per run, wrk at 64 connections for 5 s on the bundled
# 48-host schedule. Prints each run's req/s, p50 and p99, the CPU the server's loop thread spent
# per request and that of all its threads, and the machine's steal time; then the means per
# variant. On this VM, whose speed drifts from minute to minute, alternating is what makes two
# builds comparable.
#   bench/alternate_loads.sh ROUNDS VARIANT VARIANT [VARIANT...]
# A VARIANT is a binary path, optionally followed by serve flags in the same word, split on spaces:
#   bench/alternate_loads.sh 5 /tmp/old/fleetmock .build/release/fleetmock
#   bench/alternate_loads.sh 3 ".build/release/fleetmock --concurrency 10" .build/release/fleetmock
# BENCH_CONNECTIONS (default 64) and BENCH_SECONDS (default 5) change the load; BENCH_LOAD=get
# reads one 48-host deployment (triggered first) instead of triggering.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bench/alternate_loads.sh ROUNDS VARIANT VARIANT [VARIANT...]" >&2; exit 2; }
rounds="$1"
shift
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
connections="${BENCH_CONNECTIONS:-64}"
seconds="${BENCH_SECONDS:-5}"
load="${BENCH_LOAD:-trigger}"
case "$load" in trigger | get) ;; *) echo "BENCH_LOAD must be trigger or get" >&2; exit 2 ;; esac
schedule="3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-loads.XXXXXX")"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# The machine's steal and total jiffies.
steal() { awk '/^cpu /{ print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# One run of variant $1 (index $2): prints its figures on one line and appends them to $tmp/all.
run() {
    local -a variant
    read -r -a variant <<<"$1"
    rm -f "$tmp/db.sqlite"*
    "${variant[@]:0:1}" serve --host 127.0.0.1 --port 0 --db "$tmp/db.sqlite" --clock manual \
        --rate-limit 100000000 --log-level warn "${variant[@]:1}" >"$tmp/out" 2>"$tmp/err" </dev/null &
    pid=$!
    local port=""
    for _ in $(seq 100); do
        port="$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$tmp/out" | head -n1)"
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$tmp/err" >&2; echo "$1 did not start" >&2; exit 1; }
    local loop_before all_before steal_before
    loop_before="$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat")"
    all_before="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    steal_before="$(steal)"
    local script="trigger.lua" url="http://127.0.0.1:$port/api/unstable/fleet/schedules/$schedule/trigger"
    if [ "$load" = get ]; then
        local id
        id="$(curl -s -X POST -H 'DD-API-KEY: fleetmock-api-key' -H 'DD-APPLICATION-KEY: fleetmock-app-key' "$url" \
            | grep -o '"id":"[0-9a-f-]*"' | head -n1 | cut -d'"' -f4)"
        [ -n "$id" ] || { echo "no deployment to read" >&2; exit 1; }
        script="get_deployment.lua" url="http://127.0.0.1:$port/api/unstable/fleet/deployments/$id"
    fi
    wrk --threads 2 --connections "$connections" --duration "${seconds}s" --latency \
        --script "$bench_dir/$script" "$url" >"$tmp/wrk.out"
    local loop_after all_after steal_after
    loop_after="$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat")"
    all_after="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    steal_after="$(steal)"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    awk -v variant_index="$2" -v name="$1" -v hz="$(getconf CLK_TCK)" -v loop="$((loop_after - loop_before))" \
        -v all="$((all_after - all_before))" -v steal="$steal_before $steal_after" '
        /requests in/ { requests = $1 }
        /Requests\/sec/ { rps = $2 }
        / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
        function ms(text) { return text ~ /us$/ ? text / 1000 : text ~ /ms$/ ? text + 0 : text * 1000 }
        END {
            split(steal, s, " ")
            printf "%d %.0f %.2f %.2f %.1f %.1f %.1f\n", variant_index, rps, ms(p50), ms(p99),
                loop / hz * 1e6 / requests, all / hz * 1e6 / requests, 100 * (s[3] - s[1]) / (s[4] - s[2]) >> "'"$tmp/all"'"
            printf "%-60s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  loop %6.1f us/req  all threads %6.1f us/req  steal %4.1f%%\n",
                name, rps, ms(p50), ms(p99), loop / hz * 1e6 / requests, all / hz * 1e6 / requests, 100 * (s[3] - s[1]) / (s[4] - s[2])
        }' "$tmp/wrk.out"
}

for _ in $(seq "$rounds"); do
    index=0
    for variant in "$@"; do
        run "$variant" "$index"
        index=$((index + 1))
    done
done
echo "means over $rounds rounds:"
index=0
for variant in "$@"; do
    awk -v variant_index="$index" -v name="$variant" '$1 == variant_index { n++; rps += $2; p50 += $3; p99 += $4; loop += $5; all += $6 }
        END { printf "%-60s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  loop %6.1f us/req  all threads %6.1f us/req\n",
              name, rps / n, p50 / n, p99 / n, loop / n, all / n }' "$tmp/all"
    index=$((index + 1))
done
