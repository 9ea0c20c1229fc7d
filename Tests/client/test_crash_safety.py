"""Crash safety: a write load (trigger, cancel, schedule create and patch) against the real
binary, killed with SIGKILL at random points, many times. After each restart every request that
got a 2xx is reflected in the state, and the database passes PRAGMA integrity_check."""

from __future__ import annotations

import json
import random
import signal
import socket
import sqlite3
import threading
import time

from support import API_KEY, APP_KEY, SCHEDULE_PROD, SCHEDULE_STAGING

ROUNDS = 12
AUTH = f"DD-API-KEY: {API_KEY}\r\nDD-APPLICATION-KEY: {APP_KEY}\r\n"


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    payload = json.dumps(body).encode() if body is not None else b""
    raw = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{AUTH}"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, content = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])  # an empty or cut answer raises: the request was not acknowledged
    return status, (json.loads(content) if content else None)


class Ledger:
    """What the server acknowledged (a 2xx it finished sending), as seen by the client."""

    def __init__(self) -> None:
        self.deployments: set[str] = set()
        self.canceled: set[str] = set()
        self.schedules: dict[str, str] = {}  # id -> name last acknowledged
        self.lock = threading.Lock()


def write_load(port: int, ledger: Ledger, stop: threading.Event, rng: random.Random) -> None:
    while not stop.is_set():
        try:
            choice = rng.random()
            if choice < 0.4:
                status, body = call(port, "POST", f"/api/unstable/fleet/schedules/{rng.choice([SCHEDULE_PROD, SCHEDULE_STAGING])}/trigger")
                if status == 201:
                    with ledger.lock:
                        ledger.deployments.add(body["data"]["id"])
            elif choice < 0.6 and ledger.deployments:
                with ledger.lock:
                    candidates = sorted(ledger.deployments - ledger.canceled)
                if candidates:
                    target = rng.choice(candidates)
                    status, _ = call(port, "POST", f"/api/unstable/fleet/deployments/{target}/cancel")
                    if status == 204:
                        with ledger.lock:
                            ledger.canceled.add(target)
            elif choice < 0.8:
                name = f"crash-{rng.randrange(10**9)}"
                rule = {"days_of_week": ["Mon"], "start_maintenance_window": "02:00", "maintenance_window_duration": 60, "timezone": "UTC"}
                status, body = call(port, "POST", "/api/unstable/fleet/schedules",
                                    {"data": {"type": "schedule", "attributes": {"name": name, "query": "env:qa", "rule": rule}}})
                if status == 201:
                    with ledger.lock:
                        ledger.schedules[body["data"]["id"]] = name
            elif ledger.schedules:
                with ledger.lock:
                    target = rng.choice(sorted(ledger.schedules))
                name = f"patched-{rng.randrange(10**9)}"
                # The acknowledged name is the last one; set it before sending so a lost reply
                # leaves either value acceptable below.
                status, _ = call(port, "PATCH", f"/api/unstable/fleet/schedules/{target}",
                                 {"data": {"type": "schedule", "attributes": {"name": name}}})
                if status == 200:
                    with ledger.lock:
                        ledger.schedules[target] = name
        except (OSError, ValueError, IndexError):
            # The server died mid-request: that request was never acknowledged.
            if stop.is_set():
                return
            time.sleep(0.001)


def test_acknowledged_writes_survive_sigkill_at_random_points(launch, tmp_path):
    rng = random.Random(7)
    db = tmp_path / "crash.sqlite"
    ledger = Ledger()
    server = launch(db=db)
    for round_number in range(ROUNDS):
        stop = threading.Event()
        worker = threading.Thread(target=write_load, args=(port_of(server), ledger, stop, random.Random(round_number)))
        worker.start()
        time.sleep(rng.uniform(0.05, 0.4))
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        stop.set()
        worker.join(timeout=10)

        with sqlite3.connect(db) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        server = launch(db=db)
        port = port_of(server)
        with ledger.lock:
            deployments = set(ledger.deployments)
            canceled = set(ledger.canceled)
            schedules = dict(ledger.schedules)
        for deployment in deployments:
            status, body = call(port, "GET", f"/api/unstable/fleet/deployments/{deployment}?limit=1")
            assert status == 200, (round_number, deployment)
            if deployment in canceled:
                assert body["data"]["attributes"]["high_level_status"] == "canceled", (round_number, deployment)
        for schedule, name in schedules.items():
            status, body = call(port, "GET", f"/api/unstable/fleet/schedules/{schedule}")
            assert status == 200, (round_number, schedule)
            # A PATCH killed after committing but before answering may have landed unacknowledged:
            # the stored name is the acknowledged one or a later one, never an older one.
            stored = body["data"]["attributes"]["name"]
            assert stored == name or stored.startswith("patched-"), (round_number, schedule, stored, name)
    assert len(ledger.deployments) > 20 and len(ledger.canceled) > 5 and len(ledger.schedules) > 5
