#!/usr/bin/env bash
# Two or more fleetmock binaries started in turn, ROUNDS times each, on the same fixtures: exec to
# ready line per start, then the median, fastest and slowest per binary. On this VM, whose speed
# drifts from minute to minute, alternating is what makes two builds comparable.
#   bench/alternate_starts.sh first|restart ROUNDS FIXTURES_DIR BIN_A BIN_B [BIN...]
# first: every start seeds a new state file; restart: each binary restarts from a state file it
# seeded once before the rounds. Make fixtures with `fleetmock fixtures generate --hosts N --out DIR`.
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: bench/alternate_starts.sh first|restart ROUNDS FIXTURES_DIR BIN_A BIN_B [BIN...]" >&2; exit 2; }
mode="$1" rounds="$2" fixtures="$3"
shift 3
case "$mode" in first | restart) ;; *) echo "mode must be first or restart" >&2; exit 2 ;; esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
[ -f "$fixtures/fleet.json" ] || { echo "no fleet.json in $fixtures" >&2; exit 2; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-starts.XXXXXX")"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Starts binary $1 on state file $2; prints milliseconds from exec to the ready file's line.
start_ms() {
    rm -f "$tmp/ready"
    local begin end
    begin=$(date +%s%N)
    "$1" serve --port 0 --db "$2" --fixtures "$fixtures" --ready-file "$tmp/ready" --log-level warn >/dev/null 2>&1 &
    pid=$!
    while [ ! -s "$tmp/ready" ]; do
        kill -0 "$pid" 2>/dev/null || { echo "$1 exited before it was ready" >&2; exit 1; }
        sleep 0.005
    done
    end=$(date +%s%N)
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    echo $(((end - begin) / 1000000))
}

index=0
for bin in "$@"; do
    index=$((index + 1))
    [ "$mode" = restart ] && start_ms "$bin" "$tmp/state-$index.sqlite" >/dev/null
done
for round in $(seq "$rounds"); do
    index=0
    for bin in "$@"; do
        index=$((index + 1))
        [ "$mode" = first ] && rm -f "$tmp/state-$index.sqlite"*
        echo "$bin $(start_ms "$bin" "$tmp/state-$index.sqlite")" | tee -a "$tmp/results"
    done
done
python3 - "$tmp/results" "$mode" <<'PY'
import collections, statistics, sys
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    binary, ms = line.rsplit(" ", 1)
    times[binary].append(int(ms))
for binary, values in times.items():
    print(f"{sys.argv[2]} start, {binary}: median {statistics.median(values):.0f} ms, "
          f"fastest {min(values)}, slowest {max(values)}, {len(values)} starts")
PY
