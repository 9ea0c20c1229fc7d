#!/usr/bin/env python3
"""FleetMock at fleet sizes of 1,000 to 100,000 hosts: the work of bench/scale.sh (see there).

    bench/scale.py --bin BINARY --workdir DIR --results-md FILE [--sizes 1000,10000,100000]
                   [--starts 3] [--minutes 10] [--concurrency 100] [--repeats 3] [--gets 20]

For each size N: `fleetmock fixtures generate --hosts N`, then
  1. first start (a new SQLite file, which the server seeds from the fixtures), STARTS times:
     exec to the ready line, exec to the first 200 of an API call, VmRSS/VmHWM at that moment;
  2. restart from that state file (no deployments yet), STARTS times, the same figures;
  3. on one more restart: the matching counts of the 10% query (os:windows) and the 100% query
     (empty) from GET /api/unstable/fleet/agents?page_size=1 (timed too); one schedule per query;
     REPEATS triggers of each (the reply renders the first 50 hosts) and a cancel of every one but
     the last 100% deployment; GET deployment pages (limit=50, first and middle page), GETS each,
     over one keep-alive connection; then, with only that 100% deployment in flight and
     --concurrency C, MINUTES x POST /__fleetmock/clock/advance {"seconds":60}, each timed, and the
     host operations finished (GET /api/v2/fleet/deployments/{id}, which lists every host, timed);
     VmRSS/VmHWM after all that;
  4. a restart with those deployments in the state: ready time and VmRSS.
Every server listens on 127.0.0.1 with --clock manual, and is stopped with SIGTERM. Prints the
tables and writes them as Markdown to --results-md. Exits 1 when a server fails or a request gets
an unexpected status.
"""
import argparse
import http.client
import json
import math
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

HEADERS = {"DD-API-KEY": "fleetmock-api-key", "DD-APPLICATION-KEY": "fleetmock-app-key"}
READY_LINE = re.compile(rb"http://127\.0\.0\.1:([0-9]+)")
QUERY_10 = "os:windows"
QUERY_100 = ""
RULE = {"days_of_week": ["Mon"], "start_maintenance_window": "02:00", "maintenance_window_duration": 60,
        "timezone": "UTC"}
TARGET_READY_MS = 1000.0      # ready with 100,000 hosts: below
TARGET_RSS_MB = 200.0         # resident with 100,000 hosts: below


def fail(message, server=None):
    print(f"bench/scale.py: {message}", file=sys.stderr)
    if server is not None:
        server.stop()
        try:
            with open(server.stderr_path, "rb") as f:
                sys.stderr.write(f.read()[-3000:].decode(errors="replace"))
        except OSError:
            pass
    sys.exit(1)


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


LIVE = []  # servers not yet stopped, stopped on any exit (including SIGTERM from timeout)


class Server:
    """One `fleetmock serve` process: started, timed to its ready line and its first API answer."""

    def __init__(self, binary, fixtures, db, workdir, concurrency, name):
        LIVE.append(self)
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        args = [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db, "--fixtures", fixtures,
                "--clock", "manual", "--rate-limit", "100000000", "--failure-rate", "0",
                "--concurrency", str(concurrency)]
        with open(self.stderr_path, "wb") as stderr:
            start = time.monotonic_ns()
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        line = b""
        fd = self.process.stdout.fileno()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail("no ready line within 120 s", self)
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    fail(f"the server exited (status {self.process.wait()}) before its ready line", self)
                line += chunk
        self.ready_ms = (time.monotonic_ns() - start) / 1e6
        match = READY_LINE.search(line)
        if not match:
            fail(f"unexpected ready line {line!r}", self)
        self.port = int(match.group(1))
        while True:  # first 200 of an API call, on a new connection each time
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                connection.request("GET", "/api/unstable/fleet/schedules", headers=HEADERS)
                reply = connection.getresponse()
                reply.read()
                connection.close()
                if reply.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                fail("no 200 from GET /api/unstable/fleet/schedules within 120 s", self)
            time.sleep(0.001)
        self.first_ms = (time.monotonic_ns() - start) / 1e6
        self.rss_kb = proc_kb(self.process.pid, "VmRSS")
        self.hwm_kb = proc_kb(self.process.pid, "VmHWM")
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def call(self, method, path, body=None, expect=(200,), control=False):
        """(status, parsed JSON or None, milliseconds) over the keep-alive connection."""
        headers = {} if control else dict(HEADERS)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter_ns()
        self.connection.request(method, path, body=data if data is not None else (b"" if method == "POST" else None),
                                headers=headers)
        reply = self.connection.getresponse()
        raw = reply.read()
        elapsed = (time.perf_counter_ns() - start) / 1e6
        if reply.status not in expect:
            fail(f"{method} {path}: status {reply.status}: {raw[:300]!r}", self)
        return reply.status, (json.loads(raw) if raw else None), elapsed

    def stop(self):
        if self in LIVE:
            LIVE.remove(self)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def remove_db(db):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(db + suffix)
        except FileNotFoundError:
            pass
    shutil.rmtree(db + ".orgs", ignore_errors=True)


def med(values):
    return statistics.median(values) if values else 0.0


def run_size(n, options, out):
    work = os.path.join(options.workdir, f"n{n}")
    os.makedirs(work, exist_ok=True)
    fixtures = os.path.join(work, "fixtures")
    start = time.monotonic()
    subprocess.run([options.bin, "fixtures", "generate", "--hosts", str(n), "--out", fixtures], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out["generate_ms"] = (time.monotonic() - start) * 1000
    out["fleet_json_mb"] = os.path.getsize(os.path.join(fixtures, "fleet.json")) / 1e6
    db = os.path.join(work, "state.sqlite")
    C = options.concurrency

    # 1. First start, each on a new state file.
    subprocess.run(["sync"], check=False)
    out["load_start"] = load1()

    def starts(label, name, fresh):
        """options.starts servers started and stopped, each on a new state file when fresh."""
        servers = []
        for run in range(options.starts):
            if fresh:
                remove_db(db)
            server = Server(options.bin, fixtures, db, work, C, f"{name}-{run}")
            servers.append(server)
            server.stop()
            print(f"  {n:>7} hosts  {label} {run + 1}: ready {server.ready_ms:7.1f} ms, first 200 "
                  f"{server.first_ms:7.1f} ms, VmRSS {server.rss_kb / 1024:6.1f} MB", flush=True)
        return servers

    first = starts("first start", "first", fresh=True)
    out["first_ready_ms"] = med([s.ready_ms for s in first])
    out["first_first_ms"] = med([s.first_ms for s in first])
    out["first_rss_mb"] = med([s.rss_kb for s in first]) / 1024
    out["first_hwm_mb"] = max(s.hwm_kb for s in first) / 1024
    out["db_mb"] = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1e6

    # 2. Restarts from that state file (fleet seeded, no deployment).
    again = starts("restart    ", "restart", fresh=False)
    out["restart_ready_ms"] = med([s.ready_ms for s in again])
    out["restart_first_ms"] = med([s.first_ms for s in again])
    out["restart_rss_mb"] = med([s.rss_kb for s in again]) / 1024

    # 3. The workload.
    out["load_work"] = load1()
    server = Server(options.bin, fixtures, db, work, C, "work")
    for label, query in (("q10", QUERY_10), ("q100", QUERY_100)):
        times = []
        for _ in range(3):
            _, body, ms = server.call("GET", "/api/unstable/fleet/agents?" + urllib.parse.urlencode(
                {"filter": query, "page_size": 1}))
            times.append(ms)
        out[f"{label}_hosts"] = body["meta"]["total_filtered_count"]
        out[f"{label}_list_agents_ms"] = med(times)
    schedules = {}
    for label, query in (("q10", QUERY_10), ("q100", QUERY_100)):
        _, body, _ = server.call("POST", "/api/unstable/fleet/schedules", expect=(201,), body={
            "data": {"type": "schedule", "attributes": {"name": f"bench {label}", "query": query, "rule": RULE}}})
        schedules[label] = body["data"]["id"]

    deployments = {}
    for label in ("q10", "q100"):
        times, ids = [], []
        for _ in range(options.repeats):
            _, body, ms = server.call("POST", f"/api/unstable/fleet/schedules/{schedules[label]}/trigger",
                                      expect=(201,))
            times.append(ms)
            ids.append(body["data"]["id"])
            total = body["data"]["attributes"]["total_hosts"]
            if total != out[f"{label}_hosts"]:
                fail(f"trigger of {label} covered {total} hosts, the agents list said {out[f'{label}_hosts']}", server)
        out[f"{label}_trigger_ms"] = med(times)
        out[f"{label}_trigger_max_ms"] = max(times)
        deployments[label] = ids
        print(f"  {n:>7} hosts  trigger {label:>4} ({total:,} hosts): " + ", ".join(f"{t:.1f}" for t in times)
              + " ms", flush=True)

    # GET deployment pages (before any cancel, so both are pending).
    for label in ("q10", "q100"):
        deployment = deployments[label][-1]
        pages = max(1, math.ceil(out[f"{label}_hosts"] / 50))
        for page_label, page in (("first", 0), ("middle", pages // 2)):
            times = []
            for _ in range(options.gets):
                _, body, ms = server.call("GET", f"/api/unstable/fleet/deployments/{deployment}?limit=50&page={page}")
                times.append(ms)
            if len(body["data"]["attributes"]["hosts"]) != min(50, out[f"{label}_hosts"]):
                fail(f"page {page} of {label} has {len(body['data']['attributes']['hosts'])} hosts", server)
            out[f"{label}_get_{page_label}_ms"] = med(times)
            out[f"{label}_get_{page_label}_p90_ms"] = sorted(times)[int(0.9 * (len(times) - 1))]

    # Cancel all but the last 100% deployment.
    for label in ("q10", "q100"):
        to_cancel = deployments[label] if label == "q10" else deployments[label][:-1]
        times = [server.call("POST", f"/api/unstable/fleet/deployments/{d}/cancel", expect=(204,))[2]
                 for d in to_cancel]
        if times:
            out[f"{label}_cancel_ms"] = med(times)

    # Simulation: advance the clock minute by minute with the 100% deployment in flight.
    live = deployments["q100"][-1]
    times = []
    for _ in range(options.minutes):
        times.append(server.call("POST", "/__fleetmock/clock/advance", body={"seconds": 60}, control=True)[2])
    out["advance_ms"] = med(times)
    out["advance_max_ms"] = max(times)
    out["advance_first_ms"] = times[0]
    _, body, ms = server.call("GET", f"/api/v2/fleet/deployments/{live}")
    attributes = body["data"]["attributes"]
    out["v2_detail_ms"] = ms
    out["finished_hosts"] = attributes.get("succeeded_hosts", 0) + attributes.get("failed_hosts", 0)
    out["running_hosts"] = attributes.get("running_hosts", 0)
    print(f"  {n:>7} hosts  {options.minutes} x advance 60 s: " + ", ".join(f"{t:.0f}" for t in times)
          + f" ms; {out['finished_hosts']:,} host operations finished, {out['running_hosts']} running", flush=True)
    out["work_rss_mb"] = proc_kb(server.process.pid, "VmRSS") / 1024
    out["work_hwm_mb"] = proc_kb(server.process.pid, "VmHWM") / 1024
    server.connection.close()
    server.stop()

    # 4. Restart with the deployments in the state.
    server = Server(options.bin, fixtures, db, work, C, "restart-loaded")
    out["loaded_restart_ready_ms"] = server.ready_ms
    out["loaded_restart_rss_mb"] = server.rss_kb / 1024
    _, body, _ = server.call("GET", "/__fleetmock/ready", control=True)
    out["loaded_deployments"] = body.get("deployments", 0)
    out["loaded_host_operations"] = options.repeats * (out["q10_hosts"] + out["q100_hosts"])
    server.connection.close()
    server.stop()
    out["loaded_db_mb"] = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1e6
    remove_db(db)
    shutil.rmtree(work, ignore_errors=True)


def exponent(rows, key, sizes_key="q100_hosts"):
    """Growth exponent between the two largest sizes: log(cost ratio) / log(hosts ratio)."""
    if len(rows) < 2:
        return None
    a, b = rows[-2], rows[-1]
    if a.get(key, 0) <= 0 or b.get(key, 0) <= 0 or a[sizes_key] == b[sizes_key]:
        return None
    return math.log(b[key] / a[key]) / math.log(b[sizes_key] / a[sizes_key])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--results-md", required=True)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gets", type=int, default=20)
    parser.add_argument("--command", default="bench/scale.sh")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.replace(" ", ",").split(",") if s]
    began = time.monotonic()
    rows = []
    for n in sizes:
        out = {"n": n}
        run_size(n, options, out)
        rows.append(out)
    elapsed = time.monotonic() - began
    report(rows, options, elapsed)


def report(rows, options, elapsed):
    def col(fmt, key):
        return [fmt.format(r[key]) if key in r else "-" for r in rows]

    heads = ["Figure"] + [f"{r['n']:,} hosts" for r in rows]
    biggest = rows[-1] if rows and rows[-1]["n"] >= 100000 else None
    start_rows = [
        ["fixtures generate (fleet.json size)"] + [f"{r['generate_ms']:.0f} ms ({r['fleet_json_mb']:.1f} MB)" for r in rows],
        [f"First start (seeds SQLite): exec to ready line, median of {options.starts}"] + col("{:.0f} ms", "first_ready_ms"),
        ["First start: exec to first 200 of an API call"] + col("{:.0f} ms", "first_first_ms"),
        ["First start: VmRSS at the first 200"] + col("{:.1f} MB", "first_rss_mb"),
        ["State file after seeding (db + WAL)"] + col("{:.1f} MB", "db_mb"),
        [f"Restart from the state file: exec to ready line, median of {options.starts}"] + col("{:.0f} ms", "restart_ready_ms"),
        ["Restart: VmRSS at the first 200"] + col("{:.1f} MB", "restart_rss_mb"),
        ["Load average (1 min) before the starts"] + col("{:.2f}", "load_start"),
    ]
    work_rows = [
        ["Hosts matching os:windows (the 10% query)"] + col("{:,}", "q10_hosts"),
        ["Hosts matching the empty query (100%)"] + col("{:,}", "q100_hosts"),
        ["List agents, page_size=1, filter os:windows"] + col("{:.1f} ms", "q10_list_agents_ms"),
        ["List agents, page_size=1, empty filter"] + col("{:.1f} ms", "q100_list_agents_ms"),
        [f"Trigger, 10% query, median of {options.repeats}"] + col("{:.1f} ms", "q10_trigger_ms"),
        [f"Trigger, 100% query, median of {options.repeats}"] + col("{:.1f} ms", "q100_trigger_ms"),
        ["GET deployment limit=50, 10%: first page / middle page"] + [
            f"{r['q10_get_first_ms']:.2f} / {r['q10_get_middle_ms']:.2f} ms" for r in rows],
        ["GET deployment limit=50, 100%: first page / middle page"] + [
            f"{r['q100_get_first_ms']:.2f} / {r['q100_get_middle_ms']:.2f} ms" for r in rows],
        ["Cancel, 10% deployment"] + col("{:.1f} ms", "q10_cancel_ms"),
        ["Cancel, 100% deployment"] + col("{:.1f} ms", "q100_cancel_ms"),
        [f"Advance 60 s (one simulated minute), 100% deployment in flight, median of {options.minutes}"]
        + col("{:.1f} ms", "advance_ms"),
        ["  the same, per 1,000 matching hosts"] + [f"{r['advance_ms'] / r['q100_hosts'] * 1000:.2f} ms" for r in rows],
        ["  host operations finished after those minutes"] + col("{:,}", "finished_hosts"),
        ["GET v2 deployment detail (every host), 100%"] + col("{:.0f} ms", "v2_detail_ms"),
        ["VmRSS / VmHWM after the workload"] + [f"{r['work_rss_mb']:.1f} / {r['work_hwm_mb']:.1f} MB" for r in rows],
        ["Restart with those deployments: ready / VmRSS"] + [
            f"{r['loaded_restart_ready_ms']:.0f} ms / {r['loaded_restart_rss_mb']:.1f} MB" for r in rows],
        ["  deployments / host operations in that state"] + [
            f"{r['loaded_deployments']} / {r['loaded_host_operations']:,}" for r in rows],
        ["Load average (1 min) before the workload"] + col("{:.2f}", "load_work"),
    ]
    growth_head = ["Cost", "Growth exponent between the two largest sizes", "Verdict"]
    growth = []
    for label, key, want in [
        ("First start, ready", "first_ready_ms", "linear"),
        ("Restart, ready", "restart_ready_ms", "linear"),
        ("VmRSS after first start", "first_rss_mb", "linear"),
        ("Trigger, 100% query", "q100_trigger_ms", "linear"),
        ("Trigger, 10% query", "q10_trigger_ms", "linear"),
        ("Advance one simulated minute", "advance_ms", "linear"),
        ("GET deployment page, 10% query", "q10_get_first_ms", "flat"),
        ("GET deployment page, 100% query", "q100_get_first_ms", "flat"),
        ("Cancel, 100% deployment", "q100_cancel_ms", "linear"),
    ]:
        e = exponent(rows, key)
        if e is None:
            continue
        if want == "linear":
            verdict = "no worse than linear" if e <= 1.15 else "worse than linear"
        else:
            verdict = "flat" if e <= 0.2 else "grows with the deployment's size"
        growth.append([label, f"{e:.2f}", verdict])
    target_head = ["Target (100,000 hosts)", "Value", "Result"]
    targets = []
    if biggest:
        for label, key, limit in [
            ("First start ready < 1 s", "first_ready_ms", TARGET_READY_MS),
            ("Restart ready < 1 s", "restart_ready_ms", TARGET_READY_MS),
        ]:
            targets.append([label, f"{biggest[key]:.0f} ms", "PASS" if biggest[key] < limit else "MISS"])
        for label, key in [("VmRSS after first start < 200 MB", "first_rss_mb"),
                           ("VmRSS after restart < 200 MB", "restart_rss_mb"),
                           ("VmRSS after the workload < 200 MB", "work_rss_mb")]:
            targets.append([label, f"{biggest[key]:.1f} MB", "PASS" if biggest[key] < TARGET_RSS_MB else "MISS"])

    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    meta = [
        ("Date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        ("Machine", f"{os.cpu_count()} CPUs, {cpu}; load average at the end "
                    + " ".join(open('/proc/loadavg').read().split()[:3])),
        ("Command", options.command),
        ("Server", f"fleetmock serve --clock manual --concurrency {options.concurrency} --rate-limit 100000000, "
                   "127.0.0.1, fixtures from `fleetmock fixtures generate --hosts N`"),
        ("Took", f"{elapsed:.0f} s"),
    ]
    from report import markdown_table, print_table
    print()
    print("FleetMock at scale")
    for name, value in meta:
        print(f"  {name + ':':9} {value}")
    for head, table in ((heads, start_rows), (heads, work_rows), (growth_head, growth), (target_head, targets)):
        if table:
            print()
            print_table(head, table)
    notes = [
        "Latencies are one client, one request at a time, over a keep-alive connection (Python http.client), "
        "so they include the client's own parsing of the reply.",
        "Growth exponent: log(cost at the largest size / cost at the one before) / log(hosts ratio); "
        "1 is linear, 0 is flat. Below ~1 ms a figure is mostly fixed overhead, so its exponent says little.",
        f"The clock advances run with one 100% deployment in flight and --concurrency {options.concurrency}: "
        "at most that many host operations run at once, so the simulation's own work per minute is about the same "
        "at every size; what grows with N is the cost of each step.",
    ]
    print()
    for note in notes:
        print(f"  * {note}")
    lines = ["# FleetMock at scale", ""]
    lines += [f"- **{name}:** {'`' + value + '`' if name == 'Command' else value}" for name, value in meta]
    lines += ["", "## Start-up and memory", ""] + markdown_table(heads, start_rows)
    lines += ["", "## Operations at scale", ""] + markdown_table(heads, work_rows)
    lines += ["", "## Growth", ""] + markdown_table(growth_head, growth)
    if targets:
        lines += ["", "## Targets", ""] + markdown_table(target_head, targets)
    lines += ["", "## Notes", ""] + [f"- {note}" for note in notes] + [""]
    os.makedirs(os.path.dirname(os.path.abspath(options.results_md)), exist_ok=True)
    with open(options.results_md, "w") as f:
        f.write("\n".join(lines))


def on_signal(number, frame):
    raise SystemExit(128 + number)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    signal.signal(signal.SIGTERM, on_signal)
    try:
        main()
    finally:
        for server in list(LIVE):
            server.stop()
