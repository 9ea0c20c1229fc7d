"""Out of file descriptors: the server runs under `prlimit --nofile=64:64` (it raises its soft limit
to the hard one, so both are set) and 120 connections are held open. It must stay quiet and idle
while accept() has no descriptor (before, it retried at once: a whole core and megabytes of the
same warning a second), say so once, and serve again within a couple of seconds of the
connections closing. Loopback only, about 5 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from support import FleetMock

DESCRIPTOR_LIMIT = 64
HELD_CONNECTIONS = 120
MEASURED_SECONDS = 2.0


class LimitedFleetMock(FleetMock):
    """fleetmock run through prlimit, which sets the limits and then execs it (same pid)."""

    @property
    def command(self) -> list[str]:
        return ["prlimit", f"--nofile={DESCRIPTOR_LIMIT}:{DESCRIPTOR_LIMIT}", *super().command]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def health(port: int, timeout: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
def test_out_of_descriptors_the_server_idles_logs_once_and_recovers(fleetmock_bin, tmp_path):
    server = LimitedFleetMock(fleetmock_bin, tmp_path / "state.db", extra_args=["--log-level", "warn"]).start()
    try:
        check_idles_logs_once_and_recovers(server)
        server.stop_cleanly()
    finally:
        if server.running:  # a failed check must not leave the server behind
            server.stop(signal.SIGKILL)


def check_idles_logs_once_and_recovers(server: FleetMock) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        for _ in range(HELD_CONNECTIONS):  # the kernel completes them all: the backlog holds the rest
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.3)  # the loop accepts what it can and meets the limit
        stderr_before = len(server.stderr_text())
        cpu_before, started = cpu_seconds(server.process.pid), time.monotonic()
        time.sleep(MEASURED_SECONDS)
        cpu_share = (cpu_seconds(server.process.pid) - cpu_before) / (time.monotonic() - started)
        grown = server.stderr_text()[stderr_before:]
        assert cpu_share < 0.2, f"{cpu_share:.0%} of a core while out of descriptors"
        assert grown.count("\n") <= 2, f"stderr grew by {len(grown)} bytes: {grown[:300]!r}"
        assert "out of file descriptors" in server.stderr_text(), server.stderr_text()[-500:]
    finally:
        for connection in held:
            connection.close()
    started = time.monotonic()
    reply = health(port, timeout=5)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert time.monotonic() - started < 2.0
    time.sleep(0.3)  # the recovery line follows a quiet interval
    log = server.stderr_text()
    assert log.count("out of file descriptors") == 1, log[-800:]
    assert "descriptors free again" in log, log[-800:]
    assert len(log) < 2000, f"{len(log)} bytes of stderr"
