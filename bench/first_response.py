#!/usr/bin/env python3
"""Start to first successful response of any HTTP server, for bench/peer.sh and bench/scale.sh.

    bench/first_response.py [--runs N] [--path PATH] [--header 'Name: value']... [--timeout S]
                            [--workdir DIR] -- COMMAND ARG...

Starts COMMAND RUNS times (default 5), one after the other. In COMMAND's arguments, {port} is
replaced by a free loopback port chosen just before the start and {run} by the run number
(0, 1, ...), so each start can get its own state file. From just before the exec, on a monotonic
clock, it polls GET PATH (default /) on 127.0.0.1:{port} over a new connection each time, every
millisecond, until a reply with a 2xx status arrives; that is one figure. Right then it reads the
server's resident memory (VmRSS, and VmHWM) from /proc. The server is then stopped with SIGTERM
(SIGKILL after 10 s) before the next start.

Prints one line:
  FLEETMOCK_FIRST runs=N first_ms_median=X first_ms_min=X first_ms_max=X rss_kb_median=N hwm_kb_max=N
Exits 1, with the server's stderr, when a start gives no 2xx within --timeout seconds (default 60).
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port, request, host="127.0.0.1"):
    """The status code of one request on a new connection, or None when nothing answers yet.
    bench/startup.py uses it too."""
    try:
        with socket.create_connection((host, port), timeout=5.0) as s:
            s.sendall(request)
            reply = b""
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            parts = reply.split(b" ", 2)
            if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
                return int(parts[1])
    except OSError:
        pass
    return None


def proc_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fail(message, stderr_path):
    print(f"first_response.py: {message}", file=sys.stderr)
    try:
        with open(stderr_path, "rb") as f:
            sys.stderr.write(f.read()[-4000:].decode(errors="replace"))
    except OSError:
        pass
    sys.exit(1)


def one_start(command, run, path, headers, timeout, workdir):
    port = free_port()
    args = [a.replace("{port}", str(port)).replace("{run}", str(run)) for a in command]
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               + "".join(f"{h}\r\n" for h in headers) + "Connection: close\r\n\r\n").encode()
    stderr_path = os.path.join(workdir, f"first-{run}.stderr")
    with open(stderr_path, "wb") as stderr:
        start = time.monotonic_ns()
        server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        code = status_of(port, request)
        if code is not None and 200 <= code < 300:
            elapsed_ms = (time.monotonic_ns() - start) / 1e6
            break
        last = code if code is not None else last
        if server.poll() is not None:
            fail(f"{args[0]} exited with status {server.returncode} before a 2xx (last status {last})", stderr_path)
        if time.monotonic() > deadline:
            stop(server)
            fail(f"no 2xx for GET {path} within {timeout:.0f} s (last status {last})", stderr_path)
        time.sleep(0.001)
    rss = proc_status_kb(server.pid, "VmRSS")
    hwm = proc_status_kb(server.pid, "VmHWM")
    return server, port, elapsed_ms, rss, hwm


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command or options.runs < 1:
        parser.error("give --runs >= 1 and a command after --")

    times, rss, hwm = [], [], []
    for run in range(options.runs):
        server, port, ms, r, h = one_start(command, run, options.path, options.header, options.timeout,
                                           options.workdir)
        times.append(ms)
        rss.append(r)
        hwm.append(h)
        stop(server)
    print("FLEETMOCK_FIRST runs=%d first_ms_median=%.2f first_ms_min=%.2f first_ms_max=%.2f "
          "rss_kb_median=%d hwm_kb_max=%d" % (
              options.runs, statistics.median(times), min(times), max(times),
              statistics.median(rss), max(hwm)), flush=True)


if __name__ == "__main__":
    main()
