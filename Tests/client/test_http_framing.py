"""Seeded random requests over a few kept-alive raw sockets, each reply read by a strict HTTP/1.1
parser: a status line, headers, a Content-Length and exactly that many body bytes (none for HEAD,
1xx, 204, 304), the next reply right after. The spec fuzzing opens a connection per call, so it
never saw a reply that frames badly or a body left on the connection for the next request to be
parsed from; this run reuses connections. Every reply is the {"errors": [...]} envelope or a
success body; a reply that closes its connection is the last thing on it. Loopback only, bounded
in count and time.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.request

from support import API_KEY, APP_KEY

SEED = 20260101
REQUESTS = 400
CONNECTIONS = 4
TIME_BUDGET_SECONDS = 60
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "QUERY", "PROPFIND"]
# Control routes change the server's own behaviour (faults, clock, reset): only read them.
CONTROL_METHODS = ["GET", "HEAD", "PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "QUERY"]
PARAMETER_VALUES = ["3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10", "00000000-0000-0000-0000-000000000000", "abc", "%2F..", "x" * 300, ""]


class StrictConnection:
    """One kept-alive connection, read byte-exactly: nothing past a reply's length is consumed."""

    def __init__(self, port: int):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.pending = b""

    def close(self) -> None:
        self.socket.close()

    def _fill(self, waiting_for: str) -> None:
        chunk = self.socket.recv(65536)
        assert chunk, f"the connection ended while waiting for {waiting_for}; had {self.pending[:300]!r}"
        self.pending += chunk

    def read_reply(self, method: str) -> tuple[int, dict[str, str], bytes, bytes]:
        while b"\r\n\r\n" not in self.pending:
            self._fill("a reply's head")
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        assert len(parts) >= 2 and parts[0] == b"HTTP/1.1" and len(parts[1]) == 3 and parts[1].isdigit(), (
            f"not a status line: {lines[0][:200]!r}"
        )
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            assert colon and name and name == name.strip() and b" " not in name, f"not a header line: {line[:200]!r}"
            key = name.decode().lower()
            assert key not in headers or key not in ("content-length", "connection"), f"{key} twice: {head!r}"
            headers[key] = value.decode(errors="replace").strip()
        assert "transfer-encoding" not in headers, head
        body = b""
        if method != "HEAD" and status >= 200 and status not in (204, 304):
            assert "content-length" in headers, f"a {status} reply to {method} without a Content-Length: {head!r}"
            length = int(headers["content-length"])
            while len(self.pending) < length:
                self._fill(f"{length} body bytes")
            body, self.pending = self.pending[:length], self.pending[length:]
        return status, headers, body, head

    def expect_clean_end(self) -> None:
        assert self.pending == b"", f"stray bytes after the last reply: {self.pending[:300]!r}"
        try:
            chunk = self.socket.recv(4096)
        except ConnectionResetError:
            raise AssertionError("reset instead of a clean end") from None
        assert chunk == b"", f"stray bytes before the close: {chunk[:300]!r}"


def routes(base_url: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(base_url + "/__fleetmock/routes", timeout=5) as response:
        return [(route["method"], route["path"]) for route in json.load(response)["routes"]]


def random_path(rng: random.Random, table: list[tuple[str, str]]) -> str:
    if rng.random() < 0.1:
        return rng.choice(["/", "/api/unstable/fleet/nope", "/__fleetmock/nope", "/api/v2/fleet/agents/a/b/c", "*"])
    _, template = rng.choice(table)
    segments = []
    for segment in template.split("/"):
        segments.append(rng.choice(PARAMETER_VALUES) if segment.startswith("{") else segment)
    path = "/".join(segments)
    if rng.random() < 0.2:
        path += "?" + rng.choice(["page_size=2", "limit=-1", "filter=env:prod", "page_size=x", "a=%ZZ"])
    return path


def random_body(rng: random.Random) -> bytes | None:
    roll = rng.random()
    if roll < 0.45:
        return None
    if roll < 0.75:
        return json.dumps(rng.choice([{}, {"data": {}}, {"data": {"attributes": {"query": "env:prod"}}}, [1, 2], "x"])).encode()
    if roll < 0.9:  # looks like a request: taken for one if it is left on the connection
        return b"GET /__fleetmock/nope HTTP/1.1\r\nHost: x\r\n\r\n"
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))


def build_request(method: str, path: str, body: bytes | None, chunked: bool) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nDD-API-KEY: {API_KEY}\r\nDD-APPLICATION-KEY: {APP_KEY}\r\n"
    if body is None:
        return (head + "\r\n").encode()
    if chunked:
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    return (head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def check_reply(method: str, path: str, status: int, headers: dict[str, str], body: bytes, head: bytes) -> None:
    where = f"{method} {path[:80]} -> {status} {head[:300]!r} {body[:200]!r}"
    assert status < 500, where
    if status >= 400:
        assert headers.get("content-type") == "application/json", where
        if method != "HEAD":
            document = json.loads(body)
            assert list(document) == ["errors"] and document["errors"], where
            assert all(isinstance(message, str) and message for message in document["errors"]), where
        return
    assert 200 <= status < 300, where
    if status == 204 or method == "HEAD":
        assert body == b"", where
        return
    assert headers.get("content-type"), where
    if headers["content-type"].startswith("application/json"):
        json.loads(body)


def test_random_requests_over_reused_connections_are_framed(server):
    port = int(server.url.rsplit(":", 1)[1])
    table = [(method, path) for method, path in routes(server.url)]
    rng = random.Random(SEED)
    connections = [StrictConnection(port) for _ in range(CONNECTIONS)]
    started = time.monotonic()
    closed_by_server = 0
    try:
        for _ in range(REQUESTS):
            assert time.monotonic() - started < TIME_BUDGET_SECONDS, "over the time budget"
            index = rng.randrange(CONNECTIONS)
            path = random_path(rng, table)
            method = rng.choice(CONTROL_METHODS if path.startswith("/__fleetmock/") else METHODS)
            body = random_body(rng)
            chunked = body is not None and rng.random() < 0.15
            pipelined = rng.random() < 0.25  # a health check written right behind it
            request = build_request(method, path, body, chunked)
            follow = b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n"
            connection = connections[index]
            connection.socket.sendall(request + (follow if pipelined else b""))
            status, headers, reply_body, head = connection.read_reply(method)
            check_reply(method, path, status, headers, reply_body, head)
            if headers.get("connection", "").lower() == "close":
                connection.expect_clean_end()
                connection.close()
                connections[index] = StrictConnection(port)
                closed_by_server += 1
                continue
            if pipelined:
                status, _, reply_body, head = connection.read_reply("GET")
                assert (status, reply_body) == (200, b'{"status":"ok"}'), f"after {method} {path[:80]}: {head!r}"
        for connection in connections:  # every connection still open still serves
            connection.socket.sendall(b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, reply_body, _ = connection.read_reply("GET")
            assert (status, reply_body) == (200, b'{"status":"ok"}')
            assert connection.pending == b""
    finally:
        for connection in connections:
            connection.close()
    assert server.running
    # Bodies libevent does not read (HEAD, TRACE, unknown methods) close their connection: some did.
    assert closed_by_server > 0
