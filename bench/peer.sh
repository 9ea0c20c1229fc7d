#!/usr/bin/env bash
# FleetMock beside a peer, in the same run: moto's server mode (the most used local cloud-API
# mock), pinned to moto[server]==5.2.1 in a venv at bench/.venv-moto (created on first use,
# reused after; pip needs PyPI). Also run by bench/run.sh (and so `make bench`) unless BENCH_PEER=0.
#   bench/peer.sh
# Per server, same machine, same wrk settings (2 threads, 32 connections, BENCH_SECONDS each):
#   - start to first successful response, median of BENCH_PEER_STARTS starts: FleetMock on a fresh
#     SQLite file (so it seeds the bundled fixtures) answering GET /api/unstable/fleet/schedules;
#     moto answering GET / (S3 ListBuckets; it loads the S3 backend on that first request);
#   - a write: FleetMock POST trigger (a 48-host deployment: 49 rows in SQLite, 9 KB reply);
#     moto S3 PutObject, a new 1 KB object per request;
#   - a read: FleetMock GET deployment (48 hosts); moto S3 GetObject of an object of the same
#     size as that deployment's JSON;
#   - a write to an existing resource: FleetMock cancel (each pending deployment once); moto S3
#     DeleteObject (each object the PutObject run created, once);
#   - resident memory (VmRSS) after start-up and after the load;
# and the ratios FleetMock/moto. Loopback only; every load bounded in time. Writes the summary as
# Markdown to bench/results/peer.md. Exits 0 when moto cannot be installed or started (saying
# why); non-zero when FleetMock fails, or wrk or a helper does.
#
# Environment:
#   FLEETMOCK_BIN            server binary (default .build/release/fleetmock)
#   BENCH_SECONDS            seconds per wrk run (default 5)
#   BENCH_PEER_CONNECTIONS   connections (default 32)
#   BENCH_THREADS            wrk threads (default 2)
#   BENCH_PEER_STARTS        starts measured per server (default 5)
#   BENCH_PEER_VENV          the venv holding moto (default bench/.venv-moto)
#   BENCH_PEER_RESULTS       Markdown output (default bench/results/peer.md)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="$repo_root/bench"
cd "$repo_root"

die() { echo "bench/peer.sh: $*" >&2; exit 1; }
skip() { echo "peer comparison skipped: $*"; exit 0; }
positive_int() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }

moto_version="5.2.1"
bin="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$bin" in /*) ;; *) bin="$repo_root/$bin" ;; esac
seconds="${BENCH_SECONDS:-5}"
connections="${BENCH_PEER_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"
starts="${BENCH_PEER_STARTS:-5}"
venv="${BENCH_PEER_VENV:-$bench_dir/.venv-moto}"
case "$venv" in /*) ;; *) venv="$repo_root/$venv" ;; esac
results_md="${BENCH_PEER_RESULTS:-$bench_dir/results/peer.md}"
positive_int BENCH_SECONDS "$seconds"
positive_int BENCH_PEER_CONNECTIONS "$connections"
positive_int BENCH_THREADS "$threads"
positive_int BENCH_PEER_STARTS "$starts"
[ "$connections" -ge "$threads" ] || die "BENCH_PEER_CONNECTIONS must be at least BENCH_THREADS ($threads)"
[ -x "$bin" ] || die "server binary $bin not found or not executable: run make release first (or set FLEETMOCK_BIN)"
command -v wrk >/dev/null || die "wrk not found: apt-get install wrk (make bench installs it)"
command -v python3 >/dev/null || die "python3 not found"

schedule_48_hosts="3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"
api_key="fleetmock-api-key"
app_key="fleetmock-app-key"
moto_auth="AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x"
bucket="fleetmock-bench"
put_bytes=1024

# --- moto, installed once into its own venv ---------------------------------------------------
echo "Peer comparison: FleetMock vs moto $moto_version (python -m moto.server)"
py="$venv/bin/python"
moto_ready() {
    [ -x "$py" ] && "$py" - "$moto_version" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import flask, flask_cors, werkzeug  # the [server] extra
sys.exit(0 if version("moto") == sys.argv[1] else 1)
PY
}
if moto_ready; then
    echo "  reusing ${venv#"$repo_root"/}"
else
    echo "  installing moto[server]==$moto_version into ${venv#"$repo_root"/} (pip, from PyPI)"
    if [ ! -x "$py" ]; then
        venv_log="$(python3 -m venv "$venv" 2>&1)" ||
            skip "could not create the venv ${venv#"$repo_root"/}: $(echo "$venv_log" | tail -n 3 | tr '\n' ' ')(on Debian: apt-get install python3-venv)"
    fi
    pip_log="$(timeout 600 "$py" -m pip install --disable-pip-version-check -q "moto[server]==$moto_version" 2>&1)" ||
        skip "pip could not install moto[server]==$moto_version: $(echo "$pip_log" | tail -n 3 | tr '\n' ' ')"
    moto_ready || skip "moto $moto_version is not importable from ${venv#"$repo_root"/} after pip install"
fi
moto_python_version="$("$py" -c 'import platform; print(platform.python_version())')"
werkzeug_version="$("$py" -c 'from importlib.metadata import version; print(version("werkzeug"))')"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetmock-peer.XXXXXX")"
server_pid=""
server_name=""
. "$bench_dir/lib.sh" # stop_server, record, load1, memory, run_wrk
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'echo "bench/peer.sh: interrupted" >&2; exit 130' INT
trap 'echo "bench/peer.sh: terminated" >&2; exit 143' TERM

results="$tmp/results.env"
: >"$results"

server_alive() {
    kill -0 "$server_pid" 2>/dev/null && return 0
    echo "--- $server_name stderr:" >&2
    tail -n 40 "$tmp/$server_name.err" >&2 || true
    [ "$server_name" = moto ] && skip "moto (pid $server_pid) died during the benchmark"
    die "FleetMock (pid $server_pid) died during the benchmark"
}

# --- 1. start to first successful response ----------------------------------------------------
echo "start to first successful response ($starts starts each)"
sync
mkdir "$tmp/first-fleetmock" "$tmp/first-moto"
record first_load "$(load1)"
line="$(python3 "$bench_dir/first_response.py" --runs "$starts" --workdir "$tmp/first-fleetmock" \
    --path /api/unstable/fleet/schedules --header "DD-API-KEY: $api_key" --header "DD-APPLICATION-KEY: $app_key" \
    -- "$bin" serve --host 127.0.0.1 --port '{port}' --db "$tmp/first-fleetmock/state-{run}.sqlite" \
    --clock manual --rate-limit 100000000)" || die "FleetMock failed to start (see above)"
for kv in ${line#FLEETMOCK_FIRST }; do record "fleetmock_first_${kv%%=*}" "${kv#*=}"; done
echo "  fleetmock  ${line#FLEETMOCK_FIRST }"
line="$(python3 "$bench_dir/first_response.py" --runs "$starts" --workdir "$tmp/first-moto" --path / \
    -- "$py" -m moto.server -H 127.0.0.1 -p '{port}')" || skip "moto failed to start (see above)"
for kv in ${line#FLEETMOCK_FIRST }; do record "moto_first_${kv%%=*}" "${kv#*=}"; done
echo "  moto       ${line#FLEETMOCK_FIRST }"

# --- 2. FleetMock under load ------------------------------------------------------------------
server_name=fleetmock
"$bin" serve --host 127.0.0.1 --port 0 --db "$tmp/fleetmock.sqlite" --clock manual \
    --rate-limit 100000000 --failure-rate 0 >"$tmp/fleetmock.out" 2>"$tmp/fleetmock.err" </dev/null &
server_pid=$!
port=""
for _ in $(seq 100); do
    port="$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$tmp/fleetmock.out" | head -n1)"
    [ -n "$port" ] && break
    server_alive
    sleep 0.1
done
[ -n "$port" ] || die "FleetMock printed no ready line within 10 s"
base="http://127.0.0.1:$port"
read -r deployment_id get_bytes < <(python3 - "$base" "$schedule_48_hosts" "$api_key" "$app_key" <<'PY'
import json, sys, urllib.request
base, schedule, api_key, app_key = sys.argv[1:5]
headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key}
request = urllib.request.Request(f"{base}/api/unstable/fleet/schedules/{schedule}/trigger", data=b"",
                                 method="POST", headers=headers)
with urllib.request.urlopen(request, timeout=10) as reply:
    assert reply.status == 201, reply.status
    deployment = json.load(reply)["data"]["id"]
with urllib.request.urlopen(urllib.request.Request(f"{base}/api/unstable/fleet/deployments/{deployment}",
                                                   headers=headers), timeout=10) as reply:
    print(deployment, len(reply.read()))
PY
) || die "could not trigger a deployment to GET"
[ -n "${get_bytes:-}" ] || die "could not read the deployment to GET"
record get_bytes "$get_bytes"
echo "FleetMock pid $server_pid at $base (GET deployment: $get_bytes bytes)"
memory fleetmock_start
run_wrk fm_warmup "$connections" 1 get_deployment.lua "$base/api/unstable/fleet/deployments/$deployment_id" >/dev/null
run_wrk fm_read "$connections" "$seconds" get_deployment.lua "$base/api/unstable/fleet/deployments/$deployment_id"
run_wrk fm_write "$connections" "$seconds" trigger.lua "$base/api/unstable/fleet/schedules/$schedule_48_hosts/trigger"
# Pending deployments to cancel, each once (not measured; see bench/run.sh).
mkdir "$tmp/ids"
run_wrk fm_prefill "$connections" "$seconds" collect_ids.lua "$base/api/unstable/fleet/schedules/$schedule_48_hosts/trigger" \
    "$tmp/ids/thread" >/dev/null
cat "$tmp"/ids/thread.* >"$tmp/ids.all"
[ -s "$tmp/ids.all" ] || die "no deployment id collected for the cancel run"
run_wrk fm_update "$connections" "$seconds" cancel.lua "$base/" "$tmp/ids.all" "$threads"
memory fleetmock_after_load
stop_server

# --- 3. moto under load -----------------------------------------------------------------------
server_name=moto
moto_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$py" -m moto.server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.out" 2>"$tmp/moto.err" </dev/null &
server_pid=$!
base="http://127.0.0.1:$moto_port"
python3 - "$base" "$server_pid" <<'PY' || { server_alive; skip "moto did not answer GET / within 30 s"; }
import os, sys, time, urllib.request
base, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(base + "/", timeout=5) as reply:
            if reply.status == 200:
                sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
PY
python3 - "$base" "$bucket" "$get_bytes" "$moto_auth" <<'PY' || skip "could not create moto's bucket and object"
import sys, urllib.request
base, bucket, size, auth = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for path, body in ((f"/{bucket}", b""), (f"/{bucket}/read", b"x" * size)):
    request = urllib.request.Request(base + path, data=body, method="PUT", headers={
        "Authorization": auth, "Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200, (path, reply.status)
with urllib.request.urlopen(urllib.request.Request(f"{base}/{bucket}/read", headers={"Authorization": auth}),
                            timeout=10) as reply:
    assert reply.status == 200 and len(reply.read()) == size
PY
echo "moto pid $server_pid at $base (moto $moto_version, Werkzeug $werkzeug_version, Python $moto_python_version)"
memory moto_start
run_wrk moto_warmup "$connections" 1 moto_get.lua "$base/$bucket/read" >/dev/null
run_wrk moto_read "$connections" "$seconds" moto_get.lua "$base/$bucket/read"
run_wrk moto_write "$connections" "$seconds" moto_put.lua "$base/" "$bucket" "$put_bytes"
counts="$(awk -F= '$1 ~ /^moto_write_sent_[0-9]+$/ {print $2}' "$results" | paste -sd, -)"
[ -n "$counts" ] || die "moto_put.lua reported no key count"
# Up to three times BENCH_SECONDS: it stops when every key is deleted.
run_wrk moto_update "$connections" "$((3 * seconds))" moto_delete.lua "$base/" "$bucket" "$counts"
memory moto_after_load
stop_server

# --- 4. Summary -------------------------------------------------------------------------------
record meta_date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta_nproc "$(nproc)"
record meta_cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
record meta_load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
record meta_seconds "$seconds"
record meta_threads "$threads"
record meta_connections "$connections"
record meta_starts "$starts"
record meta_put_bytes "$put_bytes"
record meta_moto "moto $moto_version (python -m moto.server, Werkzeug $werkzeug_version, Python $moto_python_version)"
command_line="BENCH_SECONDS=$seconds BENCH_PEER_CONNECTIONS=$connections bench/peer.sh"
[ -n "${MAKELEVEL:-}" ] && command_line="make bench  # i.e. $command_line"
record meta_command "$command_line"
mkdir -p "$(dirname "$results_md")"
python3 "$bench_dir/peer_report.py" "$results" "$results_md"
echo "Markdown summary: ${results_md#"$repo_root"/}"
