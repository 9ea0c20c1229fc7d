"""Hostile input against the real binary, over raw sockets: every request that parses as HTTP gets
the documented `{"errors": [...]}` envelope, the server never crashes, never leaks internals in a
message, and a rejected request never changes the stored state (compared through a snapshot).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import socket
import threading
import time

import pytest

from support import API_KEY, APP_KEY, SCHEDULE_PROD

AUTH = f"DD-API-KEY: {API_KEY}\r\nDD-APPLICATION-KEY: {APP_KEY}\r\n".encode()
SCHEDULES = b"/api/unstable/fleet/schedules"
# Words that would betray internals: the store, the language runtime, source files.
LEAKS = ("sqlite", "SQLITE", "swift", "Swift", ".swift", "Fatal", "fatal error", "Sources/", "/work/", "errno")


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
        return received


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode().strip().lower()] = value.decode(errors="replace").strip()
    return status, headers, body


def request(method: bytes, path: bytes, body: bytes | None = None, extra: bytes = b"", auth: bool = True) -> bytes:
    lines = method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra
    if auth:
        lines += AUTH
    if body is not None:
        lines += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return lines + b"\r\n" + (body or b"")


def snapshot(port: int) -> dict:
    status, _, body = parse(exchange(port, request(b"GET", b"/__fleetmock/snapshot", auth=False)))
    assert status == 200
    document = json.loads(body)
    document.pop("clock", None)  # reading advances nothing, but keep the comparison about data
    return document


def assert_envelope(raw: bytes, expected_status: int | tuple[int, ...]) -> str:
    status, headers, body = parse(raw)
    wanted = expected_status if isinstance(expected_status, tuple) else (expected_status,)
    assert status in wanted, (status, body[:300])
    assert headers.get("content-type") == "application/json", headers
    document = json.loads(body)
    assert isinstance(document, dict) and list(document) == ["errors"], document
    assert len(document["errors"]) == 1 and isinstance(document["errors"][0], str)
    message = document["errors"][0]
    assert len(message) <= 700, len(message)
    for word in LEAKS:
        assert word not in message, (word, message)
    return message


def schedule_body(**attributes) -> bytes:
    base = {
        "name": "n",
        "query": "env:qa",
        "rule": {"days_of_week": ["Mon"], "start_maintenance_window": "02:00", "maintenance_window_duration": 60, "timezone": "UTC"},
    }
    base.update(attributes)
    return json.dumps({"data": {"type": "schedule", "attributes": base}}).encode()


HOSTILE = [
    # (name, raw request, expected status)
    ("invalid JSON", request(b"POST", SCHEDULES, b'{"data": {"type": "schedule",'), 400),
    ("JSON array body", request(b"POST", SCHEDULES, b"[1, 2, 3]"), 400),
    ("wrong type: name is a number", request(b"POST", SCHEDULES, schedule_body(name=5)), 400),
    ("wrong type: rule is a string", request(b"POST", SCHEDULES, schedule_body(rule="weekly")), 400),
    ("deep nesting", request(b"POST", SCHEDULES, b'{"data":' * 10000 + b"1" + b"}" * 10000), 400),
    ("huge number", request(b"POST", SCHEDULES, schedule_body(version_to_latest=10**400)), 400),
    ("huge integer", request(b"POST", SCHEDULES, schedule_body(version_to_latest=2**70)), 400),
    ("invalid UTF-8 in JSON", request(b"POST", SCHEDULES, b'{"data": {"type": "schedule", "attributes": {"name": "\xff\xfe"}}}'), 400),
    ("NUL in JSON string", request(b"POST", SCHEDULES, b'{"data": {"type": "schedule", "attributes": {"name": "a\x00b"}}}'), 400),
    ("NUL byte in id", request(b"GET", SCHEDULES + b"/ab%00cd"), 400),
    ("invalid UTF-8 in path", request(b"GET", SCHEDULES + b"/\xff\xfe"), 400),
    ("very long id", request(b"GET", SCHEDULES + b"/" + b"a" * 20000), 404),
    ("very long bad id", request(b"GET", SCHEDULES + b"/" + b"z" * 20000), 400),
    ("path traversal", request(b"GET", SCHEDULES + b"/..%2F..%2Fetc%2Fpasswd"), 400),
    ("path traversal, raw", request(b"GET", b"/api/unstable/fleet/../../etc/passwd"), 404),
    ("SQL in id", request(b"DELETE", SCHEDULES + b"/1'%3B%20DROP%20TABLE%20schedules%3B--"), 400),
    # Valid query syntax that matches nothing: answered normally, and the store is untouched.
    ("SQL in a filter", request(b"GET", b"/api/unstable/fleet/agents?filter=%27%3B+DROP+TABLE+hosts%3B--"), 200),
    ("bad percent-encoding", request(b"GET", SCHEDULES + b"/%zz"), 400),
    ("bad percent-encoding in query", request(b"GET", b"/api/unstable/fleet/deployments?page_size=%zz"), 400),
    ("TRACE", request(b"TRACE", SCHEDULES), 405),
    ("PUT on a GET route", request(b"PUT", SCHEDULES, b"{}"), 405),
    ("page size not a number", request(b"GET", b"/api/unstable/fleet/deployments?page_size=ten"), 400),
    ("page size huge", request(b"GET", b"/api/unstable/fleet/deployments?page_size=99999999999999999999999"), 400),
    ("negative offset", request(b"GET", b"/api/unstable/fleet/deployments?page_offset=-1"), 400),
    ("headers over 64 KB", request(b"GET", SCHEDULES, extra=b"X-Big: " + b"a" * 70000 + b"\r\n"), 431),
    ("body over 1 MB", request(b"POST", SCHEDULES, b" " * (1 << 20) + b"{}"), 413),
    ("unknown field only", request(b"POST", SCHEDULES, b'{"data": {"type": "schedule", "surprise": true}}'), 400),
    ("cancel, no credentials", request(b"POST", b"/api/unstable/fleet/deployments/0000/cancel", auth=False), 401),
]


@pytest.mark.parametrize("name,raw,expected", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_request_gets_the_envelope_and_changes_nothing(server, name, raw, expected):
    before = snapshot(port_of(server))
    answer = exchange(port_of(server), raw)
    if expected == 200:
        assert parse(answer)[0] == 200
    else:
        assert_envelope(answer, expected)
    assert snapshot(port_of(server)) == before
    status, _, _ = parse(exchange(port_of(server), request(b"GET", b"/__fleetmock/health", auth=False)))
    assert status == 200


def test_sql_looking_text_is_stored_verbatim_and_harms_nothing(fresh_server):
    """The store binds every value: text that looks like SQL is only text."""
    port = port_of(fresh_server)
    # Quoted, so the search syntax takes every character as it is.
    query = 'env:qa OR note:"x\' OR 1=1; DROP TABLE hosts; --"'
    status, _, body = parse(exchange(port, request(b"POST", SCHEDULES, schedule_body(query=query, name="x'); DELETE FROM schedules; --"))))
    assert status == 201
    created = json.loads(body)["data"]
    status, _, body = parse(exchange(port, request(b"GET", SCHEDULES + b"/" + created["id"].encode())))
    assert json.loads(body)["data"]["attributes"]["query"] == query
    status, _, body = parse(exchange(port, request(b"GET", b"/api/unstable/fleet/agents?page_size=1")))
    assert json.loads(body)["meta"]["total_filtered_count"] == 120
    assert len(json.loads(parse(exchange(port, request(b"GET", SCHEDULES)))[2])["data"]) == 5


def test_long_values_are_cut_short_in_messages(server):
    message = assert_envelope(exchange(port_of(server), request(b"GET", SCHEDULES + b"/" + b"a" * 5000)), 404)
    assert "more characters" in message and len(message) < 300


def test_pipelined_requests_are_answered_in_order(server):
    raw = (
        b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n"
        + b"GET " + SCHEDULES + b"/zz HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
        + b"GET /__fleetmock/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    received = exchange(port_of(server), raw)
    # Each answer's status line follows the previous answer's body directly.
    statuses = [int(match) for match in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    assert statuses == [200, 400, 200]


def test_an_unknown_method_with_a_body_ends_its_connection_after_the_405(server):
    """libevent reads no body for a method it does not know; the body must not be taken for a
    second request on the same connection, so the 405 closes it and nothing else is answered."""
    body = b'{"query": "env:prod"}'
    raw = (
        b"QUERY " + SCHEDULES + b" HTTP/1.1\r\nHost: x\r\n" + AUTH
        + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        + b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    received = exchange(port_of(server), raw)
    statuses = [int(match) for match in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    assert statuses == [405], received[:600]
    status, headers, _ = parse(received)
    assert headers.get("connection", "").lower() == "close"
    assert headers.get("allow") == "GET, POST"
    assert_envelope(received, 405)


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_thousand_concurrent_connections_are_served_and_no_descriptor_leaks(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    before = open_files(server.process.pid)
    connections = [socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) for _ in range(1000)]
    try:
        for connection in connections:
            connection.sendall(b"GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answered = 0
        for connection in connections:
            data = b""
            while True:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
            answered += data.startswith(b"HTTP/1.1 200")
        assert answered == 1000
    finally:
        for connection in connections:
            connection.close()
    deadline = time.time() + 5
    while open_files(server.process.pid) > before and time.time() < deadline:
        time.sleep(0.05)
    assert open_files(server.process.pid) <= before


def test_a_slow_client_does_not_hold_the_server(server):
    slow = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    try:
        slow.sendall(b"GET /__fleet")  # and then nothing more for a while
        for _ in range(3):
            time.sleep(0.2)
            started = time.monotonic()
            status, _, _ = parse(exchange(port_of(server), request(b"GET", SCHEDULES)))
            assert status == 200
            assert time.monotonic() - started < 0.5
            slow.sendall(b"m")  # one byte at a time
    finally:
        slow.close()


def test_randomised_queries_and_bodies_never_crash_or_leak(server):
    """A bounded fuzz run: random query strings for the Datadog query parser, and mutated JSON
    bodies for the decoders, each answered with 2xx or the envelope, never 5xx."""
    rng = random.Random(20261123)
    alphabet = 'env:prod service:web-* () AND OR NOT - " \\ * ? : \x01 é 中 %'
    seed_body = schedule_body().decode()
    before = snapshot(port_of(server))
    for _ in range(300):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        encoded = "".join(c if c.isalnum() else "%%%02X" % b for c in query for b in c.encode()[:1]) if query else ""
        raw = exchange(port_of(server), request(b"GET", b"/api/unstable/fleet/agents?filter=" + encoded.encode()))
        status, _, body = parse(raw)
        assert status in (200, 400), (query, status, body[:200])
        if status == 400:
            assert_envelope(raw, 400)
        chars = list(seed_body)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(chars))
            chars[position] = rng.choice('{}[]":,0a\\ \x00é')
        body_bytes = "".join(chars).encode()
        raw = exchange(port_of(server), request(b"POST", b"/api/unstable/fleet/deployments/configure", body_bytes))
        status, _, body = parse(raw)
        assert status in (201, 400), (body_bytes, status, body[:200])
        if status == 400:
            assert_envelope(raw, 400)
    after = snapshot(port_of(server))
    # Only accepted configure deployments may have been added; nothing else changed.
    assert after["hosts"] == before["hosts"] and after["schedules"] == before["schedules"]
