"""FleetMock from Python: start the server, point Datadog's client at it, read what it saw.

    from fleetmock import FleetMock

    with FleetMock("--progress=immediate") as fm:
        org = fm.new_org()                  # its own keys, hosts, deployments, clock, rate limits
        config = org.configuration()        # a datadog_api_client.Configuration for that org
        ...
        org.advance(60)                     # simulated time
        print(org.requests("TriggerFleetSchedule"))

Standard library only. ``configuration()`` needs the ``datadog`` extra
(``pip install 'fleetmock[datadog]'``).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Union

__all__ = [
    "FleetMock",
    "Org",
    "FleetMockError",
    "FleetMockStartError",
    "MissingDatadogClient",
    "find_binary",
    "DEFAULT_ORG",
    "DEFAULT_API_KEY",
    "DEFAULT_APP_KEY",
]

DEFAULT_ORG = "default"
DEFAULT_API_KEY = "fleetmock-api-key"
DEFAULT_APP_KEY = "fleetmock-app-key"
READY_PREFIX = "FleetMock listening on "

PathLike = Union[str, "os.PathLike[str]"]


class FleetMockError(RuntimeError):
    """A control call failed, or the server is not running."""


class FleetMockStartError(FleetMockError):
    """The server did not become ready. ``returncode`` is its exit code (None if still running),
    ``log_path`` the file holding its stderr."""

    def __init__(self, message: str, returncode: Optional[int], log_path: Optional[str]):
        super().__init__(message)
        self.returncode = returncode
        self.log_path = log_path


class MissingDatadogClient(ImportError):
    """``configuration()`` was called without datadog-api-client installed."""


# --------------------------------------------------------------------------- binary lookup

def _exe_name() -> str:
    return "fleetmock" + (sysconfig.get_config_var("EXE") or "")


def _user_scheme() -> str:
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def _installed_binary() -> Optional[str]:
    """The ``fleetmock`` that the wheel installed beside this package, if any."""
    exe = _exe_name()
    candidates = [os.path.join(sysconfig.get_path("scripts"), exe)]
    try:
        candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=_user_scheme()), exe))
    except KeyError:
        pass
    # pip install --target DIR puts scripts in DIR/bin.
    candidates.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin", exe))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def find_binary(binary: Optional[PathLike] = None) -> str:
    """The fleetmock executable: ``binary`` if given, else ``$FLEETMOCK_BIN``, else the one the
    wheel installed (this interpreter's scripts folder, then the user scheme's), else PATH."""
    if binary:
        path = os.fspath(binary)
        if not os.path.isfile(path):
            raise FleetMockError(f"fleetmock binary not found: {path}")
        return path
    env = os.environ.get("FLEETMOCK_BIN")
    if env:
        if not os.path.isfile(env):
            raise FleetMockError(f"FLEETMOCK_BIN points at no file: {env}")
        return env
    found = _installed_binary() or shutil.which("fleetmock")
    if not found:
        raise FleetMockError(
            "no fleetmock binary: install the fleetmock wheel, set FLEETMOCK_BIN, or pass binary=")
    return found


# --------------------------------------------------------------------------- HTTP

def _http(method: str, url: str, body: Any = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise FleetMockError(f"{method} {url} -> {error.code}: {detail}") from None
    except urllib.error.URLError as error:
        raise FleetMockError(f"{method} {url} failed: {error.reason}") from None
    return json.loads(raw) if raw.strip() else None


def _enable_fleet_operations(config: Any) -> None:
    """Turns on every unstable operation whose name mentions fleet. Keys are stored as
    ``v2.name``, but only the bare name may be set (a prefixed key raises KeyError)."""
    operations = config.unstable_operations
    names = getattr(operations, "values", operations)
    for key in list(names):
        short = key.split(".", 1)[1] if key.startswith(("v1.", "v2.")) else key
        if "fleet" in short:
            operations[short] = True


# --------------------------------------------------------------------------- orgs

class _Tenant:
    """What a server's default org and every new org share: keys, config, clock, journal."""

    url: str
    api_key: str
    app_key: str
    org: str

    @property
    def id(self) -> str:
        """The org's id (as in the journal's ``org`` field)."""
        return self.org

    def _control(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        query = {k: v for k, v in query.items() if v is not None}
        url = f"{self.url}/__fleetmock/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return _http(method, url, body)

    def configuration(self, **kwargs: Any) -> Any:
        """A ``datadog_api_client.Configuration`` pointed at this server and org, every unstable
        Fleet operation enabled. ``kwargs`` go to ``Configuration``."""
        try:
            from datadog_api_client import Configuration
        except ImportError as error:
            raise MissingDatadogClient(
                "fleetmock's configuration() needs datadog-api-client: "
                "pip install 'fleetmock[datadog]'") from error
        config = Configuration(host=self.url, **kwargs)
        config.api_key["apiKeyAuth"] = self.api_key
        config.api_key["appKeyAuth"] = self.app_key
        _enable_fleet_operations(config)
        return config

    def headers(self) -> Dict[str, str]:
        """The ``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers of this org."""
        return {"DD-API-KEY": self.api_key, "DD-APPLICATION-KEY": self.app_key}

    def advance(self, seconds: float) -> Dict[str, Any]:
        """Moves this org's simulated time by ``seconds`` and runs every rollout event due."""
        return self._control("POST", "clock/advance", {"seconds": seconds}, org=self.org)

    def clock(self) -> Dict[str, Any]:
        """This org's clock (``GET /__fleetmock/clock``)."""
        return self._control("GET", "clock", org=self.org)

    def progress(self, policy: Optional[str] = None) -> str:
        """This org's progress policy; with ``policy`` (immediate, stepped or timed), sets it."""
        if policy is not None:
            self._control("POST", "progress", {"policy": policy}, org=self.org)
        return self._control("GET", "progress", org=self.org)["policy"]

    def reset(self) -> Dict[str, Any]:
        """Brings this org back to its fixtures (state, rate limits, faults)."""
        return self._control("POST", "reset", org=self.org)

    def requests(self, operation: Optional[str] = None, **filters: Any) -> List[Dict[str, Any]]:
        """This org's entries in the journal, oldest first, optionally of one ``operation``
        (an operationId such as ``TriggerFleetSchedule``). ``filters``: status, method, since, limit."""
        # A deleted org's entries stay in the journal, but ?org= no longer names an org.
        org = None if getattr(self, "deleted", False) else self.org
        entries = self._control("GET", "requests", operation=operation, org=org, **filters)
        return [e for e in entries["requests"]
                if e.get("org", self.org) == self.org
                and (operation is None or e.get("operation") == operation)]


class Org(_Tenant):
    """An isolated org of a running FleetMock: its own keys, hosts, deployments, clock, progress
    policy and rate limits. Made by ``FleetMock.new_org()``; ``delete()`` removes it."""

    def __init__(self, url: str, info: Dict[str, Any]):
        self.url = url
        self.org = info["org"]
        self.api_key = info["api_key"]
        self.app_key = info["app_key"]
        self.info = info
        self.deleted = False

    def delete(self) -> None:
        """Deletes the org and revokes its keys. Idempotent."""
        if self.deleted:
            return
        self.deleted = True
        try:
            self._control("DELETE", f"orgs/{urllib.parse.quote(self.org)}")
        except FleetMockError:
            pass  # the server may already be gone

    close = delete

    def __enter__(self) -> "Org":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.delete()

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<fleetmock.Org {self.org} at {self.url}{state}>"


# --------------------------------------------------------------------------- the server

class FleetMock(_Tenant):
    """A ``fleetmock serve --port 0 --db :memory:`` process, plus extra ``serve_args``.

    Its own members act on the default org (demo keys). ``reset()`` resets the whole server.
    Stopped with SIGTERM on ``stop()``, on leaving ``with``, and at interpreter exit.
    """

    def __init__(self, *serve_args: str, binary: Optional[PathLike] = None,
                 timeout: float = 30.0, log_path: Optional[PathLike] = None,
                 env: Optional[Dict[str, str]] = None,
                 api_key: str = DEFAULT_API_KEY, app_key: str = DEFAULT_APP_KEY):
        self.binary = find_binary(binary)
        self.serve_args = [str(a) for a in serve_args]
        self.timeout = timeout
        self.env = env
        self.api_key = api_key
        self.app_key = app_key
        self.org = DEFAULT_ORG
        self.url = ""
        self._keep_log = log_path is not None
        self.log_path: Optional[str] = os.fspath(log_path) if log_path is not None else None
        self.process: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.command: List[str] = self._command()
        self._lock = threading.Lock()

    def _command(self) -> List[str]:
        return [self.binary, "serve", "--port", "0", "--db", ":memory:", *self.serve_args]

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """What the server wrote on stderr so far."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def _log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def start(self) -> "FleetMock":
        """Starts the server and waits (up to ``timeout`` seconds) for its ready line."""
        with self._lock:
            if self.process is not None:
                if self.running:
                    return self
                raise FleetMockError("this FleetMock was already stopped; make a new one")
            if self.log_path is None:
                handle, self.log_path = tempfile.mkstemp(prefix="fleetmock-", suffix=".log")
                os.close(handle)
            log = open(self.log_path, "wb")
            try:
                self.process = subprocess.Popen(
                    self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                    env=self.env, close_fds=True)
            finally:
                log.close()
            atexit.register(self.stop)
            try:
                self.url = self._wait_ready()
            except BaseException:
                self._terminate()
                self.returncode = self.process.returncode
                atexit.unregister(self.stop)
                raise
        return self

    def _wait_ready(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout
        deadline = time.monotonic() + self.timeout
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(f"fleetmock did not print its ready line within {self.timeout:g} s")
            readable, _, _ = select.select([stream], [], [], min(remaining, 0.5))
            if readable:
                chunk = os.read(stream.fileno(), 4096)
                if not chunk:
                    self.process.wait(timeout=5)
                    self._fail("fleetmock exited before it was ready")
                buffer += chunk
            elif self.process.poll() is not None:
                self._fail("fleetmock exited before it was ready")
        line = buffer.split(b"\n", 1)[0].decode(errors="replace").strip()
        if not line.startswith(READY_PREFIX):
            self._fail(f"unexpected first line from fleetmock: {line!r}")
        return line[len(READY_PREFIX):].rstrip("/")

    def _fail(self, reason: str) -> None:
        assert self.process is not None
        code = self.process.poll()
        if code is None:
            self._terminate()
        code = self.process.returncode
        raise FleetMockStartError(
            f"{reason} (exit code {code}; command: {' '.join(self.command)}); "
            f"log {self.log_path}:\n{self._log_tail()}", code, self.log_path)

    def _terminate(self, grace: float = 10.0) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            except ProcessLookupError:
                pass
        if process.stdout is not None:
            process.stdout.close()

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after 10 s. Returns the exit code (0: a clean stop). Idempotent."""
        with self._lock:
            if self.process is None:
                return None
            if self.returncode is None:
                self._terminate()
                self.returncode = self.process.returncode
                atexit.unregister(self.stop)
                if self.returncode == 0 and not self._keep_log and self.log_path:
                    try:
                        os.unlink(self.log_path)
                    except OSError:
                        pass
            return self.returncode

    def __enter__(self) -> "FleetMock":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> Dict[str, Any]:
        """Every org back to its fixtures; rate limits, faults and the journal cleared."""
        return self._control("POST", "reset")

    def new_org(self, **options: Any) -> Org:
        """A fresh, isolated org seeded from the fixtures. ``options`` form the body of
        ``POST /__fleetmock/orgs``: ``name``, ``progress``, ``app_keys``, ``fixture``."""
        if not self.running:
            raise FleetMockError("the server is not running")
        return Org(self.url, self._control("POST", "orgs", options))

    def version(self) -> str:
        """The binary's version (``fleetmock --version``)."""
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True, check=True)
        return out.stdout.split()[-1]

    def __repr__(self) -> str:
        if self.process is None:
            state = "not started"
        elif self.running:
            state = f"running at {self.url}, pid {self.pid}"
        else:
            state = f"stopped (exit code {self.returncode if self.returncode is not None else self.process.poll()})"
        return f"<fleetmock.FleetMock {state}; binary {self.binary}>"
