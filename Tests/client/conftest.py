"""Fixtures: real `fleetmock serve` processes and official-client instances pointed at them.

Each server runs on 127.0.0.1 with --port 0, its own SQLite file under pytest's tmp dir,
--clock manual and the repo's Fixtures/. At teardown it gets SIGTERM and must exit with code 0.
The helpers themselves (process control, client configuration, raw HTTP) live in support.py.

Two official clients run this folder (run.sh): datadog-api-client 2.62.0 collects only the
test_v2_*.py files, and 2.57.0 every other test file, whatever paths pytest is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from support import CLIENT_VERSION_TEXT, V2_CLIENT, ClientFactory, FleetMock, Undo, fleetmock_binary

V2_TEST_PREFIX = "test_v2_"


def is_other_clients_file(path: Path) -> bool:
    """test_v2_*.py need a client with the /api/v2/fleet methods (2.58.0+); the other test files
    are written for 2.57.0, the last release with every unstable Fleet method."""
    name = path.name
    return path.suffix == ".py" and name.startswith("test_") and name.startswith(V2_TEST_PREFIX) != V2_CLIENT


def pytest_ignore_collect(collection_path: Path, config: pytest.Config):
    """Skips the other client's files found while walking a folder."""
    return True if is_other_clients_file(collection_path) else None


def pytest_configure(config: pytest.Config) -> None:
    """Drops the other client's files named on the command line (pytest_ignore_collect does not
    see those). With nothing left, the run collects nothing (exit code 5)."""
    config.args[:] = [arg for arg in config.args if not is_other_clients_file(Path(arg.split("::", 1)[0]))]


def pytest_report_header(config: pytest.Config) -> str:
    files = "test_v2_*.py only" if V2_CLIENT else "every test file except test_v2_*.py"
    return f"datadog-api-client {CLIENT_VERSION_TEXT}: {files}"


@pytest.fixture(scope="session")
def fleetmock_bin() -> Path:
    return fleetmock_binary()


@pytest.fixture(scope="module")
def server(fleetmock_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetMock]:
    """One server per test module, for tests that neither move its clock nor depend on what
    other tests of the module did to it."""
    instance = FleetMock(fleetmock_bin, tmp_path_factory.mktemp("fleetmock-module") / "state.db").start()
    yield instance
    instance.stop_cleanly()


@pytest.fixture
def fresh_server(fleetmock_bin: Path, tmp_path: Path) -> Iterator[FleetMock]:
    """A server of this test alone, seeded anew from the fixtures."""
    instance = FleetMock(fleetmock_bin, tmp_path / "state.db").start()
    yield instance
    instance.stop_cleanly()


@pytest.fixture
def launch(fleetmock_bin: Path, tmp_path: Path) -> Iterator[Callable[..., FleetMock]]:
    """Starts servers with extra flags or on a given --db; `launch(*args, db=path)`.
    At teardown each one still running gets SIGTERM and must exit with code 0."""
    started: list[FleetMock] = []

    def start(*extra_args: str, db: Path | None = None) -> FleetMock:
        instance = FleetMock(fleetmock_bin, db or tmp_path / f"state-{len(started)}.db", extra_args).start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.returncode is None:
            instance.stop_cleanly()


@pytest.fixture
def clients() -> Iterator[ClientFactory]:
    """`clients(url, api_key=..., app_key=..., **Configuration options)` -> FleetAutomationApi;
    `clients.with_http_info(url)` gives one whose calls return (data, status, headers)."""
    factory = ClientFactory()
    yield factory
    factory.close()


@pytest.fixture
def api(server: FleetMock, clients: ClientFactory):
    """The module server, with the all-permissions demo keys."""
    return clients(server.url)


@pytest.fixture
def fresh_api(fresh_server: FleetMock, clients: ClientFactory):
    """This test's own server, with the all-permissions demo keys."""
    return clients(fresh_server.url)


@pytest.fixture
def undo() -> Iterator[Undo]:
    """`undo(action)` registers what reverses a scenario's creation; it runs at teardown."""
    actions = Undo()
    yield actions
    actions.run()
