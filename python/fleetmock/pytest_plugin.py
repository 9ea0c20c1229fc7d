"""pytest plugin (entry point ``pytest11``): fixtures ``fleetmock`` and ``fleetmock_org``.

- ``fleetmock``: one server for the session; under pytest-xdist, one per worker.
- ``fleetmock_org``: a fresh org per test (``fleetmock.new_org()``), deleted after it.

Options: ``--fleetmock-arg=ARG`` (repeatable; each is one argument of ``fleetmock serve``, so
write a flag and its value as ``--fleetmock-arg=--progress=immediate`` or as two:
``--fleetmock-arg=--progress --fleetmock-arg=immediate``) and ``--fleetmock-binary=PATH``.
The server's stderr goes to ``fleetmock-WORKER.log`` in pytest's base temporary folder.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from . import FleetMock, FleetMockError, Org, find_binary


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fleetmock", "FleetMock server (fixtures fleetmock, fleetmock_org)")
    group.addoption(
        "--fleetmock-arg", action="append", default=[], dest="fleetmock_args", metavar="ARG",
        help="one more argument for 'fleetmock serve' (repeatable), e.g. "
             "--fleetmock-arg=--progress=immediate")
    group.addoption(
        "--fleetmock-binary", default=None, dest="fleetmock_binary", metavar="PATH",
        help="the fleetmock executable (default: $FLEETMOCK_BIN, the installed one, then PATH)")


def pytest_report_header(config: pytest.Config) -> str:
    try:
        return f"fleetmock: {find_binary(config.getoption('fleetmock_binary'))}"
    except FleetMockError as error:
        return f"fleetmock: {error}"


@pytest.fixture(scope="session")
def fleetmock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetMock]:
    """The FleetMock server of this session (of this worker under pytest-xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    log_path = tmp_path_factory.getbasetemp() / f"fleetmock-{worker}.log"
    server = FleetMock(*request.config.getoption("fleetmock_args"),
                       binary=request.config.getoption("fleetmock_binary"),
                       log_path=log_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fleetmock_org(fleetmock: FleetMock) -> Iterator[Org]:
    """A fresh org for one test: its own keys, hosts, deployments, clock and rate limits."""
    org = fleetmock.new_org()
    try:
        yield org
    finally:
        org.delete()
