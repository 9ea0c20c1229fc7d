"""Helpers for the FleetMock conformance tests that use the official Python client.

conftest.py turns these into fixtures; test modules import the constants and helpers from here
(pytest puts this folder on sys.path, as it has no __init__.py).
"""

from __future__ import annotations

import fnmatch
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException
from datadog_api_client.model_utils import ModelSimple, OpenApiModel, UnparsedObject
from datadog_api_client.v2.api.fleet_automation_api import FleetAutomationApi
from datadog_api_client.version import __version__ as CLIENT_VERSION_TEXT

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "Fixtures"
FLEET: dict = json.loads((FIXTURES_DIR / "fleet.json").read_text())

# Demo credentials from Fixtures/credentials.json.
API_KEY = "fleetmock-api-key"
APP_KEY = "fleetmock-app-key"  # hosts_read, agent_upgrade_write, fleet_policies_write
READONLY_APP_KEY = "fleetmock-readonly-app-key"  # hosts_read
UPGRADE_APP_KEY = "fleetmock-upgrade-app-key"  # hosts_read, agent_upgrade_write

# Fixture schedules (Fixtures/README.md).
SCHEDULE_PROD = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"  # env:prod, version_to_latest 0
SCHEDULE_STAGING = "b7e4d2a9-1c3f-4a8e-8d25-6f9b0c1e3a27"  # env:staging, version_to_latest 1
SCHEDULE_WEB_INACTIVE = "c1d9e8f7-2a3b-4c5d-9e6f-7a8b9c0d1e2f"  # service:web-* AND region:us-east-1, inactive
SCHEDULE_SANDBOX = "0d6f3b8a-5e7c-4f21-a9b3-8c2d1e4f5a60"  # env:sandbox, no host

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"  # well formed, names nothing
MALFORMED_ID = "abc-def-ghi"  # the spec's own example id, not a UUID

AGENT_PACKAGE = "datadog-agent"
# "skipped": a host the deployment left alone (at or above the target, or busy), settled at creation.
HOST_STATUSES = {"pending", "running", "succeeded", "failed", "canceled", "skipped"}
TERMINAL_HOST_STATUSES = {"succeeded", "failed", "canceled", "skipped"}
FAIL_TAG = "fleetmock_fail:true"

# The installed client. 2.57.0 has only the unstable surface; 2.58.0 and later moved the reads,
# cancel, configure and upgrade to /api/v2/fleet and kept schedule writes, trigger and the tracers
# unstable. conftest.py runs test_v2_*.py under 2.62.0 and every other test file under 2.57.0.
CLIENT_VERSION = tuple(int(part) for part in CLIENT_VERSION_TEXT.split(".")[:3])
V2_CLIENT = CLIENT_VERSION >= (2, 58, 0)

URL_PATTERN = re.compile(r"http://[0-9.]+:[0-9]+")
STARTUP_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 10.0


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


def fleetmock_binary() -> Path:
    """FLEETMOCK_BIN (relative paths are taken from the repo root), else .build/release/fleetmock."""
    configured = os.environ.get("FLEETMOCK_BIN") or ".build/release/fleetmock"
    path = Path(configured)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"fleetmock binary not found or not executable at {path}: build it with `make release` "
            "or point FLEETMOCK_BIN at it",
            pytrace=False,
        )
    return path


class FleetMock:
    """One `fleetmock serve` process on a loopback port chosen by the OS, with a manual clock."""

    def __init__(self, binary: Path, db_path: Path, extra_args: Iterable[str] = (), clock: str = "manual"):
        self.binary = Path(binary)
        self.db_path = Path(db_path)
        self.extra_args = list(extra_args)
        self.clock = clock
        self.url: Optional[str] = None
        self.process: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.stdout_lines: list[str] = []
        self._stderr = None
        self._pump: Optional[threading.Thread] = None

    @property
    def command(self) -> list[str]:
        return [
            str(self.binary), "serve",
            "--host", "127.0.0.1",
            "--port", "0",
            "--db", str(self.db_path),
            "--clock", self.clock,
            "--fixtures", str(FIXTURES_DIR),
            *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> "FleetMock":
        # Settings come from the flags only: FLEETMOCK_* variables of the caller's shell must not leak in.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("FLEETMOCK_")}
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=REPO_ROOT,
            env=environment,
        )
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def pump() -> None:  # keeps draining stdout so the server can never block on it
            assert self.process is not None and self.process.stdout is not None
            for raw in self.process.stdout:
                line = raw.decode("utf-8", errors="replace")
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, name="fleetmock-stdout", daemon=True)
        self._pump.start()

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.process.kill()
                self.process.wait()
                self._fail_startup(f"printed no http://HOST:PORT line within {timeout:g} s")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait()
                self._fail_startup(f"exited with code {code} before printing its URL")
            match = URL_PATTERN.search(line)
            if match:
                self.url = match.group(0)
                return self

    def _fail_startup(self, what: str) -> None:
        pytest.fail(
            f"fleetmock {what}\ncommand: {' '.join(self.command)}\n"
            f"stdout:\n{''.join(self.stdout_lines) or '(empty)'}\nstderr:\n{self.stderr_text() or '(empty)'}",
            pytrace=False,
        )

    def stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Sends `sig` and waits; returns the exit code (negative: killed by that signal)."""
        assert self.process is not None, "server was never started"
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(
                    f"fleetmock did not exit within {timeout:g} s of signal {sig}\nstderr:\n{self.stderr_text()}",
                    pytrace=False,
                )
        if self._pump is not None:
            self._pump.join(timeout=timeout)
        self.returncode = self.process.returncode
        return self.returncode

    def stop_cleanly(self) -> None:
        """SIGTERM, and the server must exit with code 0."""
        code = self.stop(signal.SIGTERM)
        assert code == 0, f"fleetmock exited with code {code} after SIGTERM\nstderr:\n{self.stderr_text()}"


# --------------------------------------------------------------------------------------------
# The official client
# --------------------------------------------------------------------------------------------


def make_configuration(url: str, api_key: str = API_KEY, app_key: str = APP_KEY, **options: Any) -> Configuration:
    """A Configuration aimed at FleetMock, every Fleet unstable operation of the release enabled.

    Base URL: `Configuration(host=url)` is how 2.57.0 (and 2.62.0) overrides it (read from the installed
    configuration.py): it stores `host` as `_base_path` and leaves `server_index` None, and
    `get_host_from_settings(None)` then returns `_base_path` verbatim, ignoring DD_SITE and the
    server templates. The Fleet endpoints define no per-operation `servers`, so nothing overrides
    it. (`configuration.host = url` after construction does the same.)
    """
    options.setdefault("request_timeout", HTTP_TIMEOUT_SECONDS)
    configuration = Configuration(host=url, api_key={"apiKeyAuth": api_key, "appKeyAuth": app_key}, **options)
    for operation in fleet_unstable_operations(configuration):
        configuration.unstable_operations[operation] = True
    return configuration


def fleet_unstable_operations(configuration: Configuration) -> list[str]:
    """The Fleet operations the installed client marks unstable, as the bare snake_case names
    `unstable_operations[...]` accepts. Both releases key them "v2.<name>"; setting that prefixed
    key stores the value and then raises KeyError (a for/else bug), and setting a name the release
    does not know raises KeyError too, so the list comes from the client itself."""
    return sorted(key.split(".", 1)[1] for key in configuration.unstable_operations.values if "fleet" in key)


class DeepCheckedFleetAutomationApi(FleetAutomationApi):
    """FleetAutomationApi whose every operation, when it succeeds, also walks the whole response
    for parts the client left unparsed (assert_deep_parsed), so no successful response of any test
    escapes that check. Errors still raise as the client raises them."""

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name.startswith("_") or not callable(value) or not hasattr(FleetAutomationApi, name):
            return value

        def checked(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            body = result[0] if isinstance(result, tuple) else result  # (data, status, headers)
            if body is not None:
                assert_deep_parsed(body)
            return result

        return checked


class ClientFactory:
    """Builds FleetAutomationApi instances (deep-checking, see above) and closes their ApiClients
    at teardown."""

    def __init__(self) -> None:
        self._clients: list[ApiClient] = []

    def __call__(self, url: str, api_key: str = API_KEY, app_key: str = APP_KEY, **options: Any) -> FleetAutomationApi:
        client = ApiClient(make_configuration(url, api_key=api_key, app_key=app_key, **options))
        self._clients.append(client)
        return DeepCheckedFleetAutomationApi(client)

    def with_http_info(self, url: str, **kwargs: Any) -> FleetAutomationApi:
        """Calls return (data, status, headers) instead of data alone (return_http_data_only=False)."""
        return self(url, return_http_data_only=False, **kwargs)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def enum_value(value: Any) -> Any:
    """The plain value of a client enum (FleetDeploymentResourceType and so on)."""
    return value.value if isinstance(value, ModelSimple) else value


def assert_fully_parsed(model: OpenApiModel) -> None:
    """2.57.0 does not raise on an unknown enum value or a nested object missing a required field:
    it marks the model `_unparsed` and carries on. Conformance means nothing was left unparsed."""
    assert model._unparsed is False, f"the client could not fully parse the response: {model.to_dict()}"


def unparsed_parts(value: Any, path: str = "$") -> list[str]:
    """Where the client gave up parsing, anywhere in a response (the contract's `deep()` walk).

    The client never raises for an unknown enum value, nor for a list item missing a required field
    or holding a wrong type: it keeps an UnparsedObject or sets `_unparsed` on that model, and the
    flag does not always reach the top-level response (2.57.0 often loses it)."""
    problems: list[str] = []
    if isinstance(value, UnparsedObject):
        problems.append(f"{path}: UnparsedObject {value._data_store if hasattr(value, '_data_store') else value!r}")
    elif isinstance(value, OpenApiModel):
        if getattr(value, "_unparsed", False):
            problems.append(f"{path}: {type(value).__name__} flagged _unparsed")
        store = value.__dict__.get("_data_store", {})
        for key, item in store.items():
            problems += unparsed_parts(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problems += unparsed_parts(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            problems += unparsed_parts(item, f"{path}.{key}")
    return problems


def assert_deep_parsed(model: Any) -> None:
    """Nothing in the response, at any depth, was left unparsed by the client."""
    problems = unparsed_parts(model)
    assert problems == [], "the client could not fully parse the response:\n" + "\n".join(problems)


def expect_api_error(call: Callable[[], Any], status: int) -> ApiException:
    """Runs `call`, which must raise ApiException with `status` and the documented error envelope."""
    with pytest.raises(ApiException) as caught:
        call()
    error = caught.value
    assert error.status == status, f"expected HTTP {status}, got {error.status}: {error.body!r}"
    assert_error_envelope(error.body, header(error.headers, "Content-Type"))
    return error


def assert_error_envelope(body: Any, content_type: Optional[str]) -> None:
    """APIErrorResponse: {"errors": [string, ...]} (required), served as application/json."""
    assert content_type is not None and content_type.split(";")[0].strip().lower() == "application/json", (
        f"error Content-Type is {content_type!r}"
    )
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, f"'errors' must be a non-empty list: {body!r}"
    assert all(isinstance(message, str) and message for message in errors), f"errors must be non-empty strings: {body!r}"


def error_text(error: ApiException) -> str:
    return " ".join(error.body["errors"])


def header(headers: Optional[dict], name: str) -> Optional[str]:
    """Case-insensitive header lookup in a plain dict."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


class Undo:
    """After each scenario the client's BDD runner undoes what it created (undo.json: cancel a
    deployment, delete a schedule). Actions run in reverse order at teardown; a 400 or 404 means
    the thing already ended or is gone, which is fine."""

    TOLERATED = (400, 404)

    def __init__(self) -> None:
        self._actions: list[Callable[[], Any]] = []

    def __call__(self, action: Callable[[], Any]) -> None:
        self._actions.append(action)

    def run(self) -> None:
        actions, self._actions = self._actions, []
        for action in reversed(actions):
            try:
                result = action()
            except ApiException as error:
                if error.status not in self.TOLERATED:
                    raise
                continue
            if isinstance(result, RawResponse):
                assert result.status < 300 or result.status in self.TOLERATED, f"undo answered {result.status}"


# --------------------------------------------------------------------------------------------
# Raw HTTP, for what the client cannot show (headers, control endpoints, malformed requests)
# --------------------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict = field(default_factory=dict)  # lower-cased names
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def assert_error(self, status: int) -> None:
        assert self.status == status, f"expected HTTP {status}, got {self.status}: {self.body[:500]!r}"
        assert_error_envelope(self.json(), self.header("Content-Type"))


def http(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    api_key: Optional[str] = API_KEY,
    app_key: Optional[str] = APP_KEY,
    headers: Optional[dict] = None,
) -> RawResponse:
    """One request with urllib. `body`: bytes as is, str as UTF-8, anything else as JSON.
    api_key/app_key None leaves that credential header out."""
    data: Optional[bytes] = None
    request_headers = {"Accept": "application/json"}
    if body is not None:
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body).encode("utf-8")
        request_headers["Content-Type"] = "application/json"
    elif method in ("POST", "PUT", "PATCH"):
        data = b""
    if api_key is not None:
        request_headers["DD-API-KEY"] = api_key
    if app_key is not None:
        request_headers["DD-APPLICATION-KEY"] = app_key
    request_headers.update(headers or {})
    request = urllib.request.Request(url + path, data=data, method=method, headers=request_headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return RawResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return RawResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def advance_clock(url: str, seconds: float) -> dict:
    """Moves the manual clock; the control surface needs no credentials."""
    response = http(url, "POST", "/__fleetmock/clock/advance", {"seconds": seconds}, api_key=None, app_key=None)
    assert response.status == 200, f"clock/advance {seconds}s answered {response.status}: {response.body!r}"
    return response.json()


def read_clock(url: str) -> dict:
    response = http(url, "GET", "/__fleetmock/clock", api_key=None, app_key=None)
    assert response.status == 200, f"GET /__fleetmock/clock answered {response.status}: {response.body!r}"
    return response.json()


# --------------------------------------------------------------------------------------------
# Expectations computed from the fixtures
# --------------------------------------------------------------------------------------------


def fixture_host_versions() -> dict[str, str]:
    """hostname -> datadog-agent version in Fixtures/fleet.json."""
    return {host["hostname"]: host["packages"][AGENT_PACKAGE] for host in FLEET["hosts"]}


def hosts_matching(query: str) -> list[dict]:
    """Fixture hosts matched by a query made of `key:glob` terms joined by AND (all the fixture
    schedules use; Datadog tags match case-insensitively)."""
    terms = [term.strip().lower() for term in query.split(" AND ")]
    return [
        host
        for host in FLEET["hosts"]
        if all(any(fnmatch.fnmatchcase(tag.lower(), term) for tag in host["tags"]) for term in terms)
    ]


# Long enough for every rollout of the bundled fleet to finish.
THREE_HOURS = 3 * 3600
# The bundled prod schedule's hosts, those tagged to fail every operation, and the others.
PROD_HOSTS = {host["hostname"] for host in hosts_matching("env:prod")}
PROD_FAILING = {host["hostname"] for host in hosts_matching("env:prod") if FAIL_TAG in host["tags"]}
PROD_HEALTHY = sorted(host for host in PROD_HOSTS if host not in PROD_FAILING)


def fixture_schedule(schedule_id: str) -> dict:
    return next(schedule for schedule in FLEET["schedules"] if schedule["id"] == schedule_id)


def hosts_at_or_above(query: str, version: str) -> set[str]:
    """Hostnames `query` matches whose Agent is at or above `version`: an upgrade to it skips them."""
    return {
        host["hostname"] for host in hosts_matching(query)
        if version_key(host["packages"][AGENT_PACKAGE]) >= version_key(version)
    }  # fmt: skip


def version_key(version: str) -> tuple:
    """Orders MAJOR.MINOR.PATCH[-PRERELEASE][-REVISION]: a pre-release sorts before its release, and
    a last part of digits only is a packaging revision, after the version it revises."""
    core, _, suffix = version.partition("-")
    revision = 0
    if suffix.rpartition("-")[2].isdigit():
        head, _, last = suffix.rpartition("-")
        suffix, revision = head, int(last)
    major, minor, patch = (int(part) for part in core.split("."))
    return (major, minor, patch, 0 if suffix else 1, suffix, revision)


def expected_target_version(versions: Iterable[str], version_to_latest: int) -> str:
    """The newest version whose major is (newest major - version_to_latest)."""
    versions = list(versions)
    newest_major = max(version_key(version)[0] for version in versions)
    wanted_major = newest_major - version_to_latest
    candidates = [version for version in versions if version_key(version)[0] == wanted_major]
    assert candidates, f"no version with major {wanted_major} in {versions}"
    return max(candidates, key=version_key)


HOSTS_BY_NAME: dict[str, dict] = {host["hostname"]: host for host in FLEET["hosts"]}
HOSTS_BY_KEY: dict[str, dict] = {host["agent_key"]: host for host in FLEET["hosts"]}
FAILING_HOSTS = {host["hostname"] for host in FLEET["hosts"] if FAIL_TAG in host["tags"]}
DEMO_OWNER = "demo@fleetmock.example"  # owner of fleetmock-app-key (Fixtures/credentials.json)
UNKNOWN_AGENT_KEY_V2 = "0" * 32  # 32 lowercase hex digits: well formed for v2, names no agent


def tag_values(host: dict, key: str) -> list[str]:
    """The values of a host's `key:value` tags with this key, in tag order."""
    return [tag.split(":", 1)[1] for tag in host["tags"] if tag.split(":", 1)[0] == key]


def tag_pairs(host: dict) -> list[tuple[str, str]]:
    return [tuple(tag.split(":", 1)) for tag in host["tags"]]  # type: ignore[misc]


def matches_query(host: dict, query: str) -> bool:
    """A host query made of `key:glob` terms (`hostname:` matches the hostname) joined by AND,
    and such groups joined by OR; no parentheses or NOT. Case-insensitive, as Datadog tags are."""

    def term_matches(term: str) -> bool:
        key, _, pattern = term.strip().lower().partition(":")
        if key in ("hostname", "host"):
            return fnmatch.fnmatchcase(host["hostname"].lower(), pattern)
        return any(fnmatch.fnmatchcase(tag.lower(), f"{key}:{pattern}") for tag in host["tags"])

    return any(all(term_matches(term) for term in group.split(" AND ")) for group in query.split(" OR "))


def hostnames_matching(query: str) -> set[str]:
    return {host["hostname"] for host in FLEET["hosts"] if matches_query(host, query)}


def fixture_tracers() -> list[dict]:
    """Every tracer of the fixtures, each with the `hostname` of the host it runs on."""
    return [
        {**tracer, "hostname": host["hostname"]}
        for host in FLEET["hosts"]
        for tracer in host["attributes"].get("tracers", [])
    ]


def rfc3339(unix_seconds: int) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the v2 schedule timestamp format."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_seconds))


def request_model(api: FleetAutomationApi, model: type, body: dict) -> Any:
    """A request body model built from its JSON, as the client's own BDD runner does for
    `body with value {...}`: the client deserializes it into the operation's body type."""
    return api.api_client.deserialize(json.dumps(body), (model,), True)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Reading deployments through the client
# --------------------------------------------------------------------------------------------


def agent_versions(api: FleetAutomationApi) -> list[str]:
    response = api.list_fleet_agent_versions()
    assert_fully_parsed(response)
    return [item.attributes.version for item in response.data]


def deployment_hosts(api: FleetAutomationApi, deployment_id: str) -> dict[str, dict]:
    """hostname -> host as a plain dict, across every page (limit 100, the maximum)."""
    hosts: dict[str, dict] = {}
    page = 0
    while True:
        response = api.get_fleet_deployment(deployment_id=deployment_id, limit=100, page=page)
        assert_fully_parsed(response)
        batch = response.data.attributes.get("hosts") or []
        for host in batch:
            assert host.hostname not in hosts, f"host {host.hostname} appears twice"
            hosts[host.hostname] = host.to_dict()
        total_pages = response.meta.hosts.total_pages
        page += 1
        if page >= total_pages or not batch:
            return hosts
        assert page < 1000, "pagination does not end"


def agent_version_of(host: dict) -> dict:
    """The datadog-agent entry of a host's `versions`."""
    entries = [entry for entry in host.get("versions") or [] if entry.get("package_name") == AGENT_PACKAGE]
    assert len(entries) == 1, f"host {host.get('hostname')} must list {AGENT_PACKAGE} once: {host}"
    return entries[0]


def by_status(hosts: dict[str, dict]) -> dict[str, set[str]]:
    """status -> hostnames."""
    groups: dict[str, set[str]] = {}
    for hostname, host in hosts.items():
        groups.setdefault(host["status"], set()).add(hostname)
    return groups


def deployment_status(api: FleetAutomationApi, deployment_id: str) -> str:
    response = api.get_fleet_deployment(deployment_id=deployment_id, limit=1)
    assert_fully_parsed(response)
    return response.data.attributes.high_level_status
