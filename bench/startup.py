#!/usr/bin/env python3
"""Start-up time of fleetmock, for bench/run.sh.

    bench/startup.py BINARY RUNS WORKDIR

Starts `BINARY serve --port 0 --clock manual` RUNS times, each on a fresh SQLite file in WORKDIR
(so every start seeds the fixtures), and measures on a monotonic clock, from just before the
exec:
  ready  - until the line "... listening on http://127.0.0.1:PORT" is read from its stdout;
  first  - until a GET /__fleetmock/health on a new connection returns 200 (retried until then).
Each server is stopped with SIGTERM before the next start. Prints one line:
  FLEETMOCK_STARTUP runs=N ready_ms_median=X ready_ms_min=X ready_ms_max=X
                    first_ms_median=X first_ms_min=X first_ms_max=X
Exits 1 (with the server's stderr) when a server does not become ready within 10 s.
"""
import os
import re
import select
import statistics
import subprocess
import sys
import time

from first_response import status_of, stop  # beside this script

READY_TIMEOUT_S = 10.0
READY_LINE = re.compile(rb"http://([0-9.]+):([0-9]+)")


def fail(message, stderr_path=None):
    print(f"startup.py: {message}", file=sys.stderr)
    if stderr_path and os.path.exists(stderr_path):
        with open(stderr_path, "rb") as f:
            sys.stderr.write(f.read().decode(errors="replace"))
    sys.exit(1)


def health_ok(host, port, deadline):
    """True once GET /__fleetmock/health answers 200 on a fresh connection."""
    request = f"GET /__fleetmock/health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        if status_of(port, request, host) == 200:
            return True
        time.sleep(0.0005)
    return False


def one_start(binary, db, stderr_path):
    args = [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db,
            "--clock", "manual", "--rate-limit", "100000000"]
    with open(stderr_path, "wb") as stderr:
        start = time.monotonic_ns()
        server = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = b""
        fd = server.stdout.fileno()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail(f"no ready line within {READY_TIMEOUT_S:.0f} s", stderr_path)
            readable, _, _ = select.select([fd], [], [], remaining)
            if readable:
                chunk = os.read(fd, 4096)
                if not chunk:
                    fail(f"server exited (status {server.wait()}) before printing the ready line", stderr_path)
                line += chunk
        ready_ns = time.monotonic_ns() - start
        match = READY_LINE.search(line)
        if not match:
            fail(f"unexpected ready line: {line!r}", stderr_path)
        host, port = match.group(1).decode(), int(match.group(2))
        if not health_ok(host, port, deadline):
            fail("no 200 from GET /__fleetmock/health after the ready line", stderr_path)
        first_ns = time.monotonic_ns() - start
        return ready_ns / 1e6, first_ns / 1e6
    finally:
        stop(server)
        server.stdout.close()


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary, runs, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ready, first = [], []
    for run in range(runs):
        db = os.path.join(workdir, f"startup-{run}.sqlite")
        r, f = one_start(binary, db, os.path.join(workdir, f"startup-{run}.stderr"))
        ready.append(r)
        first.append(f)
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(db + suffix)
            except FileNotFoundError:
                pass
    print("FLEETMOCK_STARTUP runs=%d ready_ms_median=%.2f ready_ms_min=%.2f ready_ms_max=%.2f "
          "first_ms_median=%.2f first_ms_min=%.2f first_ms_max=%.2f" % (
              runs, statistics.median(ready), min(ready), max(ready),
              statistics.median(first), min(first), max(first)))


if __name__ == "__main__":
    main()
