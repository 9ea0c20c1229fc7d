#!/usr/bin/env python3
"""Summary of one bench/peer.sh run: FleetMock beside moto, a console table and the same as Markdown.

    bench/peer_report.py RESULTS_ENV MARKDOWN_OUT

RESULTS_ENV holds key=value lines written by peer.sh. Ratios are FleetMock / moto: above 1 means
FleetMock is higher (better for req/s; worse for latency, start-up time and memory). Exits 0.
"""
import sys

from report import load, markdown_table, num, print_table

PAIRS = [
    # (label, FleetMock key, FleetMock request, moto key, moto request)
    ("write (create)", "fm_write", "POST trigger: a 48-host deployment",
     "moto_write", "S3 PutObject: a new 1 KB object"),
    ("read", "fm_read", "GET deployment (48 hosts)",
     "moto_read", "S3 GetObject (same size as the deployment)"),
    ("write (update)", "fm_update", "POST cancel, each deployment once",
     "moto_update", "S3 DeleteObject, each object once"),
]


def ms(us):
    return f"{us / 1000:.2f} ms"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def errors(v, key):
    if f"{key}_non204" in v:
        bad = int(num(v, f"{key}_non204"))
    else:
        bad = int(num(v, f"{key}_non2xx"))
    socket = sum(int(num(v, f"{key}_{kind}")) for kind in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return f"{bad:,}" + (f" (+{socket:,} socket)" if socket else "")


def main():
    v = load(sys.argv[1])
    markdown_path = sys.argv[2]
    conns = v.get("meta_connections", "?")

    head = ["Operation", "Server: request", "req/s", "p50", "p99", "errors", "load"]
    rows = []
    for label, fm, fm_request, moto, moto_request in PAIRS:
        for key, request in ((fm, "FleetMock: " + fm_request), (moto, "moto: " + moto_request)):
            if f"{key}_rps" not in v:
                continue
            rows.append([label, request, f"{num(v, f'{key}_rps'):,.0f}", ms(num(v, f"{key}_p50_us")),
                         ms(num(v, f"{key}_p99_us")), errors(v, key), v.get(f"{key}_load", "?")])

    ratio_head = ["Operation", "req/s FleetMock/moto", "p50 FleetMock/moto", "p99 FleetMock/moto"]
    ratios = []
    for label, fm, _, moto, _ in PAIRS:
        if f"{fm}_rps" in v and f"{moto}_rps" in v:
            ratios.append([label, ratio(num(v, f"{fm}_rps"), num(v, f"{moto}_rps")),
                           ratio(num(v, f"{fm}_p50_us"), num(v, f"{moto}_p50_us")),
                           ratio(num(v, f"{fm}_p99_us"), num(v, f"{moto}_p99_us"))])

    starts = v.get("meta_starts", "?")
    other_head = ["Figure", "FleetMock", "moto", "FleetMock/moto"]
    other = []
    fm_first, moto_first = num(v, "fleetmock_first_first_ms_median"), num(v, "moto_first_first_ms_median")
    other.append([f"Start to first successful response, median of {starts} (load {v.get('first_load', '?')})",
                  f"{fm_first:.1f} ms ({num(v, 'fleetmock_first_first_ms_min'):.1f} to "
                  f"{num(v, 'fleetmock_first_first_ms_max'):.1f})",
                  f"{moto_first:.1f} ms ({num(v, 'moto_first_first_ms_min'):.1f} to "
                  f"{num(v, 'moto_first_first_ms_max'):.1f})",
                  ratio(fm_first, moto_first)])
    for label, fm, moto in [
        ("VmRSS at the first response (median)", "fleetmock_first_rss_kb_median", "moto_first_rss_kb_median"),
        ("VmRSS after start-up and setup, before the load", "fleetmock_start_rss_kb", "moto_start_rss_kb"),
        ("VmRSS after the load", "fleetmock_after_load_rss_kb", "moto_after_load_rss_kb"),
        ("VmHWM (peak) after the load", "fleetmock_after_load_hwm_kb", "moto_after_load_hwm_kb"),
    ]:
        a, b = num(v, fm) / 1024, num(v, moto) / 1024
        other.append([label, f"{a:.1f} MB", f"{b:.1f} MB", ratio(a, b)])

    meta = [
        ("Date", v.get("meta_date", "?")),
        ("Machine", f"{v.get('meta_nproc', '?')} CPUs (nproc), {v.get('meta_cpu', '?')}; "
                    f"load average at the end {v.get('meta_load_end', '?')}"),
        ("Command", v.get("meta_command", "?")),
        ("Peer", v.get("meta_moto", "?")),
        ("Load", f"wrk, {v.get('meta_threads', '?')} threads, {conns} connections, {v.get('meta_seconds', '?')} s "
                 f"per run (the update runs end early when their ids run out), loopback"),
    ]
    notes = [
        "Ratios are FleetMock / moto: above 1 is FleetMock higher (better for req/s; worse for latency, "
        "start-up time and memory).",
        "load: the 1-minute load average just before the run (it includes the previous runs' own load).",
        "moto's development server (Werkzeug) answers every request with `Connection: close`, so wrk opens a "
        "connection per request there; FleetMock keeps connections alive. That is how each is used by default.",
        "The FleetMock write is much heavier than moto's: a trigger resolves the schedule's query over 120 hosts, "
        "writes a deployment and 48 host operations to SQLite in one transaction and replies with 9 KB; "
        "a PutObject keeps 1 KB in memory. Cancel updates 48 host operations; DeleteObject drops one key.",
        "FleetMock's first response is `GET /api/unstable/fleet/schedules` with credentials, on a new SQLite file "
        "(seeded from the bundled fixtures); moto's is `GET /` (ListBuckets), which loads its S3 backend.",
        "errors: replies with a status above 399 (update runs: every reply other than 204), "
        "and wrk's socket errors if any.",
    ]

    print()
    print("Peer comparison summary")
    for name, value in meta:
        print(f"  {name + ':':9} {value}")
    print()
    print_table(head, rows)
    print()
    print_table(ratio_head, ratios)
    print()
    print_table(other_head, other)
    print()
    for note in notes:
        print(f"  * {note}")

    lines = ["# FleetMock beside moto", ""]
    lines += [f"- **{name}:** {value if name != 'Command' else '`' + value + '`'}" for name, value in meta]
    lines += ["", "## Throughput and latency", ""] + markdown_table(head, rows)
    lines += ["", "## Ratios", ""] + markdown_table(ratio_head, ratios)
    lines += ["", "## Start-up and memory", ""] + markdown_table(other_head, other)
    lines += ["", "## Notes", ""] + [f"- {note}" for note in notes] + [""]
    with open(markdown_path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
