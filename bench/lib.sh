# Shared by bench/run.sh and bench/peer.sh, which source it: stopping the server, the results
# file, wrk runs and memory figures. The caller sets $tmp, $bench_dir, $threads, $results and $server_pid, and
# defines die MESSAGE and server_alive (which dies, or skips, when the server is gone).

# Stops the server of $server_pid: SIGTERM, then SIGKILL if it is still there after 5 s.
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

# record KEY VALUE: one key=value line of the results file, which the report scripts read.
record() { echo "$1=$2" >>"$results"; }

# The 1-minute load average.
load1() { cut -d' ' -f1 /proc/loadavg; }

# memory NAME: records NAME_rss_kb and NAME_hwm_kb of the running server, and prints them.
memory() {
    local rss hwm
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")"
    hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"
    record "${1}_rss_kb" "$rss"
    record "${1}_hwm_kb" "$hwm"
    awk -v name="$1" -v rss="$rss" -v hwm="$hwm" \
        'BEGIN { printf "  memory %-16s VmRSS %.1f MB, VmHWM %.1f MB\n", name, rss / 1024, hwm / 1024 }'
}

# run_wrk NAME CONNECTIONS SECONDS SCRIPT URL [SCRIPT ARGS...]: records NAME_* from the
# FLEETMOCK_RESULT line that the script's done() prints, plus NAME_connections and NAME_load (the
# 1-minute load average just before the run).
run_wrk() {
    local name="$1" conns="$2" secs="$3" script="$4" url="$5"
    shift 5
    local out="$tmp/wrk-$name.txt" status=0 line kv requests=0 load
    local script_args=()
    [ "$#" -gt 0 ] && script_args=(-- "$@")
    load="$(load1)"
    timeout --foreground --kill-after=5 "$((secs + 30))" \
        wrk --threads "$threads" --connections "$conns" --duration "${secs}s" --timeout 2s \
        --script "$bench_dir/$script" "$url" "${script_args[@]}" >"$out" 2>&1 || status=$?
    line="$(grep -m1 '^FLEETMOCK_RESULT ' "$out" || true)"
    if [ "$status" -ne 0 ] || [ -z "$line" ]; then
        echo "--- wrk output ($name):" >&2
        cat "$out" >&2
        die "wrk failed for $name (exit status $status)"
    fi
    server_alive
    for kv in ${line#FLEETMOCK_RESULT }; do
        record "${name}_${kv%%=*}" "${kv#*=}"
        [ "${kv%%=*}" = requests ] && requests="${kv#*=}"
    done
    record "${name}_connections" "$conns"
    record "${name}_load" "$load"
    [ "$requests" -gt 0 ] || { cat "$out" >&2; die "wrk completed no request for $name"; }
    printf '  %-18s %3s conn  load %-5s %s\n' "$name" "$conns" "$load" "${line#FLEETMOCK_RESULT }"
}
