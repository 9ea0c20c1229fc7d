#!/usr/bin/env python3
"""A bounded soak: minutes of mixed load on one server, memory measured round by round.

    bench/soak.py [--bin PATH] [--minutes M] [--round-seconds S] [--threads T]

Starts `fleetmock serve --port 0 --clock wall` on a fresh SQLite file (127.0.0.1 only) and runs
rounds of S seconds until M minutes have passed. In each round T threads, each on a keep-alive
connection, loop over a mix a CI suite makes: list and get deployments, list agents and
schedules, trigger a schedule, cancel what it created, create, patch and delete a schedule, and a
few requests that must fail (unknown id, bad query, missing key). Between rounds
`POST /__fleetmock/reset` takes the state back to the fixtures, so what stays resident after a
reset is the server itself plus its bounded journal, and must not grow from round to round.

Prints a line per round (requests, req/s, statuses, VmRSS after the reset) and a verdict. Exits 1
if the server dies, answers any 5xx, answers a request with a status the mix does not expect, or
if resident memory after the last reset exceeds the first round's by more than the allowance
(--allowance-mb, default 8 MB: allocator noise, not growth). Every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUTH = {"DD-API-KEY": "fleetmock-api-key", "DD-APPLICATION-KEY": "fleetmock-app-key"}
SCHEDULE = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"
FLEET = "/api/unstable/fleet"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Worker(threading.Thread):
    """One keep-alive connection looping over the mix until the deadline."""

    def __init__(self, port: int, deadline: float, index: int):
        super().__init__(daemon=True)
        self.port, self.deadline, self.index = port, deadline, index
        self.statuses: dict[int, int] = {}
        self.unexpected: list[str] = []
        self.requests = 0

    def call(self, method: str, path: str, expected: set[int], body: dict | None = None, auth: bool = True) -> dict:
        headers = dict(AUTH) if auth else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        self.requests += 1
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if response.status not in expected and len(self.unexpected) < 10:
            self.unexpected.append(f"{method} {path} -> {response.status} {raw[:200]!r}")
        return json.loads(raw) if raw and response.getheader("Content-Type", "").startswith("application/json") else {}

    def run(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        step = 0
        while time.monotonic() < self.deadline:
            step += 1
            created = self.call("POST", f"{FLEET}/schedules/{SCHEDULE}/trigger", {201})
            deployment = created.get("data", {}).get("id")
            if deployment:
                self.call("GET", f"{FLEET}/deployments/{deployment}?limit=20&page=1", {200})
                # A wall clock moves: the deployment may have finished already (then 400).
                self.call("POST", f"{FLEET}/deployments/{deployment}/cancel", {204, 400})
            self.call("GET", f"{FLEET}/deployments?page_size=20", {200})
            self.call("GET", f"{FLEET}/agents?page_size=50&filter=env:prod", {200})
            self.call("GET", f"{FLEET}/schedules", {200})
            self.call("GET", f"{FLEET}/agent_versions", {200})
            if step % 5 == 0:
                name = f"soak-{self.index}-{step}"
                schedule = self.call("POST", f"{FLEET}/schedules", {201}, {"data": {"type": "schedule", "attributes": {
                    "name": name, "query": "env:staging", "status": "inactive", "version_to_latest": 0,
                    "rule": {"days_of_week": ["Mon"], "start_maintenance_window": "02:00",
                             "maintenance_window_duration": 60, "timezone": "UTC"}}}})
                schedule_id = schedule.get("data", {}).get("id")
                if schedule_id:
                    self.call("PATCH", f"{FLEET}/schedules/{schedule_id}", {200},
                              {"data": {"type": "schedule", "attributes": {"name": name + "-renamed"}}})
                    self.call("DELETE", f"{FLEET}/schedules/{schedule_id}", {204})
            # Requests that must fail cleanly, and leave nothing behind.
            self.call("GET", f"{FLEET}/deployments/{uuid.uuid4()}", {404})
            self.call("GET", f"{FLEET}/agents?filter=env:(prod", {400})
            self.call("GET", f"{FLEET}/schedules", {401}, auth=False)
        self.connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=str(REPO / ".build/release/fleetmock"))
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--round-seconds", type=float, default=15.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--allowance-mb", type=float, default=8.0)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="fleetmock-soak-")
    server = subprocess.Popen(
        [options.bin, "serve", "--host", "127.0.0.1", "--port", "0", "--db", f"{workdir}/soak.sqlite",
         "--clock", "wall", "--rate-limit", "100000000", "--log-level", "warn"],
        stdout=subprocess.PIPE, stderr=open(f"{workdir}/server.err", "wb"), cwd=REPO)
    line = server.stdout.readline().decode()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not found:
        print(f"soak.py: the server did not start: {line!r}", file=sys.stderr)
        return 1
    port = int(found.group(1))
    started_rss = rss_mb(server.pid)
    print(f"soak: {options.minutes} min in {options.round_seconds:.0f} s rounds, {options.threads} threads, "
          f"server pid {server.pid} on port {port}; VmRSS at start {started_rss:.1f} MB")

    rounds: list[tuple[int, float, float]] = []  # (requests, req/s, rss after reset)
    failures: list[str] = []
    end = time.monotonic() + options.minutes * 60
    number = 0
    while time.monotonic() < end and not failures:
        number += 1
        round_start = time.monotonic()
        deadline = min(end, round_start + options.round_seconds)
        workers = [Worker(port, deadline, index) for index in range(options.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=options.round_seconds + 30)
        elapsed = time.monotonic() - round_start
        if server.poll() is not None:
            failures.append(f"the server exited with {server.returncode} in round {number}")
            break
        statuses: dict[int, int] = {}
        for worker in workers:
            for status, count in worker.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            failures.extend(worker.unexpected)
        failures.extend(f"{count} replies with status {status}" for status, count in statuses.items() if status >= 500)
        reset = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        reset.request("POST", "/__fleetmock/reset")
        if reset.getresponse().status != 200:
            failures.append("reset did not answer 200")
        reset.close()
        requests = sum(worker.requests for worker in workers)
        rss = rss_mb(server.pid)
        rounds.append((requests, requests / elapsed, rss))
        summary = " ".join(f"{status}:{count}" for status, count in sorted(statuses.items()))
        print(f"  round {number:2d}: {requests:6d} requests, {requests / elapsed:7.0f} req/s, "
              f"statuses {summary}; VmRSS after reset {rss:.1f} MB", flush=True)

    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        failures.append("the server did not exit within 10 s of SIGTERM")
    if server.returncode not in (0, None) and not failures:
        failures.append(f"the server exited with {server.returncode} after SIGTERM")

    if rounds:
        first, last = rounds[0][2], rounds[-1][2]
        growth = last - first
        total = sum(count for count, _, _ in rounds)
        print(f"soak: {total} requests in {len(rounds)} rounds; VmRSS after reset: first round {first:.1f} MB, "
              f"last {last:.1f} MB, growth {growth:+.1f} MB (allowance {options.allowance_mb:.0f} MB)")
        if growth > options.allowance_mb:
            failures.append(f"resident memory grew by {growth:.1f} MB from the first round to the last")
    for failure in failures:
        print(f"  FAIL: {failure}")
    print("soak: PASS" if not failures else "soak: FAIL")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
