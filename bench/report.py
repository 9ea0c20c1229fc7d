#!/usr/bin/env python3
"""Summary of one bench/run.sh run: a console table and the same as Markdown.

    bench/report.py RESULTS_ENV MARKDOWN_OUT

RESULTS_ENV holds key=value lines written by run.sh (the last value of a key wins). Compares
each figure to its target and prints PASS or MISS; always exits 0 (figures depend on the machine).
"""
import sys

TARGETS = {
    "ready_ms": 50.0,       # start-up to the ready line, median: below
    "get_rps": 20000.0,     # GET deployment: above
    "cancel_rps": 15000.0,  # cancel: above
    "trigger_rps": 5000.0,  # trigger of a 100-host deployment: above (also shown for the 48-host one)
    "p99_high_ms": 10.0,    # p99 at BENCH_CONNECTIONS_HIGH (64) connections: below
    "rss_mb": 30.0,         # resident memory: below
}


def load(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def num(values, key, default=0.0):
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return default


def verdict(value, limit, above):
    return "PASS" if (value > limit if above else value < limit) else "MISS"


def ms(us):
    return f"{us / 1000:.2f} ms"


def main():
    results_path, markdown_path = sys.argv[1], sys.argv[2]
    v = load(results_path)
    seconds = v.get("meta_seconds", "?")

    # Throughput: (label, key, baseline key, target req/s or None)
    load_rows = [
        ("Baseline: GET /__fleetmock/health", "baseline", None, None),
        ("Baseline: GET /__fleetmock/health", "baseline_high", None, None),
        ("GET deployment (48 hosts)", "get", "baseline", TARGETS["get_rps"]),
        ("GET deployment (48 hosts)", "get_high", "baseline_high", TARGETS["get_rps"]),
        ("POST trigger (48-host schedule)", "trigger", "baseline", TARGETS["trigger_rps"]),
        ("POST trigger (48-host schedule)", "trigger_high", "baseline_high", TARGETS["trigger_rps"]),
        ("POST cancel (pending deployment)", "cancel", "baseline", TARGETS["cancel_rps"]),
        ("POST cancel (pending deployment)", "cancel_high", "baseline_high", TARGETS["cancel_rps"]),
        ("POST trigger (100-host schedule)", "trigger_100", "baseline", TARGETS["trigger_rps"]),
    ]
    head = ["Operation", "Conn", "req/s", "p50", "p99", "non-2xx", "vs baseline", "Target", "Result", "load"]
    table = []
    notes = []
    for label, key, baseline, target in load_rows:
        if f"{key}_rps" not in v:
            continue
        rps = num(v, f"{key}_rps")
        errors = int(num(v, f"{key}_non2xx"))
        if key.startswith("cancel"):
            errors = int(num(v, f"{key}_non204"))
        ratio = f"{rps / num(v, f'{baseline}_rps', 1):.2f}x" if baseline else "1.00x"
        table.append([
            label, v.get(f"{key}_connections", "?"), f"{rps:,.0f}",
            ms(num(v, f"{key}_p50_us")), ms(num(v, f"{key}_p99_us")), f"{errors:,}", ratio,
            f"> {target:,.0f}" if target else "-",
            verdict(rps, target, True) if target else "-",
            v.get(f"{key}_load", "?"),
        ])
        socket = sum(int(num(v, f"{key}_{kind}")) for kind in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        if socket:
            notes.append(f"{key}: {socket} socket errors or timeouts (connect {int(num(v, f'{key}_connect_errors'))}, "
                         f"read {int(num(v, f'{key}_read_errors'))}, write {int(num(v, f'{key}_write_errors'))}, "
                         f"timeout {int(num(v, f'{key}_timeouts'))}).")
    for key in ("cancel", "cancel_high"):
        if f"{key}_rps" not in v:
            continue
        cancel_seconds = num(v, f"{key}_duration_us") / 1e6
        notes.append(
            f"{key}: {int(num(v, f'{key}_ids')):,} pending deployments (half of those created beforehand by "
            f"{int(num(v, 'prefill_seconds'))} s of triggers, not measured), each canceled once; "
            f"{int(num(v, f'{key}_requests')):,} replies in {cancel_seconds:.2f} s, "
            f"{int(num(v, f'{key}_non204')):,} not 204."
            + (" The ids ran out before the run's time was up, so req/s is over that shorter time."
               if num(v, f"{key}_exhausted") > 0 else ""))

    other_head = ["Figure", "Value", "Target", "Result"]
    other = []
    for label, key in [("GET /__fleetmock/health", "baseline_high"), ("GET deployment", "get_high"),
                       ("POST trigger (48 hosts)", "trigger_high"), ("POST cancel", "cancel_high")]:
        if f"{key}_p99_us" in v:
            p99 = num(v, f"{key}_p99_us") / 1000
            other.append([f"p99 at {v.get(f'{key}_connections', '?')} connections: {label}", f"{p99:.2f} ms",
                          f"< {TARGETS['p99_high_ms']:.0f} ms", verdict(p99, TARGETS["p99_high_ms"], False)])
    ready = num(v, "startup_ready_ms_median")
    runs = v.get("startup_runs", "?")
    other.append([f"Start-up: exec to ready line (median of {runs}; load {v.get('startup_load', '?')})",
                  f"{ready:.1f} ms (min {num(v, 'startup_ready_ms_min'):.1f}, max {num(v, 'startup_ready_ms_max'):.1f})",
                  f"< {TARGETS['ready_ms']:.0f} ms", verdict(ready, TARGETS["ready_ms"], False)])
    first = num(v, "startup_first_ms_median")
    other.append([f"Start-up: exec to first 200 (median of {runs})",
                  f"{first:.1f} ms (min {num(v, 'startup_first_ms_min'):.1f}, max {num(v, 'startup_first_ms_max'):.1f})",
                  "-", "-"])
    for label, key in [("VmRSS after start-up", "startup_rss_kb"), ("VmHWM after start-up", "startup_hwm_kb")]:
        mb = num(v, key) / 1024
        other.append([label, f"{mb:.1f} MB", f"< {TARGETS['rss_mb']:.0f} MB", verdict(mb, TARGETS["rss_mb"], False)])
    # After the load the server holds every deployment the load created: informative, no target.
    for label, key in [("VmRSS after the load", "after_load_rss_kb"), ("VmHWM (peak) after the load", "after_load_hwm_kb")]:
        other.append([label, f"{num(v, key) / 1024:.1f} MB", "-", "-"])

    if "deployments_created" in v:
        created = num(v, "deployments_created")
        other.append(["Deployments in the state after the load (about)", f"{int(created):,}", "-", "-"])
        if created > 0:
            grown_kb = num(v, "after_load_rss_kb") - num(v, "startup_rss_kb")
            other.append(["Resident memory per deployment held (48 hosts each, about)",
                          f"{grown_kb / created:.1f} KB", "-", "-"])
        other.append(["SQLite file / WAL on disk after the load",
                      f"{num(v, 'db_kb') / 1024:.1f} MB / {num(v, 'wal_kb') / 1024:.1f} MB", "-", "-"])

    meta = [
        ("Date", v.get("meta_date", "?")),
        ("Machine", f"{v.get('meta_nproc', '?')} CPUs (nproc), {v.get('meta_cpu', '?')}, {v.get('meta_kernel', '?')}; "
                    f"load average at the end {v.get('meta_load_end', '?')}"),
        ("Command", v.get("meta_command", "?")),
        ("Binary", f"{v.get('meta_binary', '?')}; source tree at commit {v.get('meta_git', '?')}"),
        ("Load", f"{v.get('meta_wrk', 'wrk')}, {v.get('meta_threads', '?')} threads, {seconds} s per run, "
                 f"loopback; server with --clock manual --rate-limit 100000000, fresh SQLite file"),
    ]

    # Console
    print()
    print("FleetMock benchmark summary")
    for name, value in meta:
        print(f"  {name + ':':9} {value}")
    print()
    print_table(head, table)
    print()
    print_table(other_head, other)
    if notes:
        print()
        for note in notes:
            print(f"  * {note}")
    print("  vs baseline: the operation's req/s over GET /__fleetmock/health at the same connection count,")
    print("  in the same run (the HTTP transport's ceiling with no domain work). load: the 1-minute load")
    print("  average just before the run. PASS/MISS are informative: this script exits 0 whatever the figures.")

    # Markdown
    lines = ["# FleetMock benchmark results", ""]
    lines += [f"- **{name}:** {value if name != 'Command' else '`' + value + '`'}" for name, value in meta]
    lines += ["", "## Throughput and latency", ""]
    lines += markdown_table(head, table)
    lines += ["", "## Start-up and memory", ""]
    lines += markdown_table(other_head, other)
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in notes]
    lines += [
        "- *vs baseline*: the operation's req/s divided by that of `GET /__fleetmock/health` (no credentials, "
        "no domain work) at the same connection count, measured in the same run.",
        "- Latencies are wrk's p50/p99 per request. non-2xx counts replies with a status above 399 "
        "(for cancel: every reply other than 204).",
        "- Memory is VmRSS/VmHWM from `/proc/PID/status` of the server under load; \"after the load\" "
        "follows every run above, including the deployments that trigger and prefill created.",
        "- *load*: the 1-minute load average just before the run; it includes the previous runs' own load, "
        "so a figure well above the previous one's means other work on the machine.",
        "- The 100-host trigger runs on a second server with a new SQLite file (a schedule created for it, "
        "matching 100 of the 120 bundled hosts); every other run shares one server, in the order shown. "
        "Memory and the state's size are those of the first server, after the cancel run.",
        "- Targets: ready < 50 ms; GET deployment > 20,000 req/s; cancel > 15,000 req/s; trigger of a 100-host "
        "deployment > 5,000 req/s (the 48-host trigger is held to the same); p99 < 10 ms at 64 connections; "
        "RSS < 30 MB. PASS/MISS are informative; figures vary by machine.",
        "",
    ]
    with open(markdown_path, "w") as f:
        f.write("\n".join(lines))


def print_table(head, rows):
    widths = [max(len(str(row[i])) for row in [head] + rows) for i in range(len(head))]
    numeric = {i for i in range(1, len(head)) if all(_looks_numeric(row[i]) for row in rows)}

    def fmt(row):
        return "  " + "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    print(fmt(head))
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))


def _looks_numeric(cell):
    text = str(cell).replace(",", "").replace(".", "").replace("x", "").replace(" ms", "")
    return text.isdigit()


def markdown_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return out


if __name__ == "__main__":
    main()
