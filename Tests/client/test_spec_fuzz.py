"""Schemathesis over the unstable surface: property-based requests generated from the spec.

For every operation of spec/fleet-automation-openapi.yaml and spec/fleet-tracers-openapi.yaml,
Schemathesis sends the spec's examples, boundary and invalid values and random requests, with the
demo credentials, to this module's server (--clock manual), and checks each answer: never a 5xx, a
status code the operation documents, the documented Content-Type and a body matching the schema.
Its coverage phase also sends each path the methods the spec does not list for it: never a 5xx either.
The run is bounded (examples per operation, a deadline per example) and derandomized, so CI sees the
same requests every time and the file takes well under a minute on two cores.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support import API_KEY, APP_KEY, FleetMock, http

SPEC_DIR = Path(__file__).resolve().parent / "spec"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUEST_TIMEOUT_SECONDS = 10

# The credentials go through the spec's security schemes, not as plain headers: Schemathesis then
# sends them on every request except those it generates to probe missing or partial credentials
# (which must get the documented 401). An explicit config also keeps a stray schemathesis.toml out.
CONFIG = SchemathesisConfig.from_dict(
    {"auth": {"openapi": {"apiKeyAuth": {"api_key": API_KEY}, "appKeyAuth": {"api_key": APP_KEY}}}}
)
automation = schemathesis.openapi.from_path(SPEC_DIR / "fleet-automation-openapi.yaml", config=CONFIG)
tracers = schemathesis.openapi.from_path(SPEC_DIR / "fleet-tracers-openapi.yaml", config=CONFIG)
SPEC_OPERATIONS = {result.ok().label for schema in (automation, tracers) for result in schema.get_all_operations()}

# "METHOD /path" -> statuses answered, split by whether the request carried both demo keys; filled
# by the generated tests for the summary test below.
ANSWERED: dict[str, list[int]] = defaultdict(list)
ANSWERED_WITHOUT_CREDENTIALS: dict[str, list[int]] = defaultdict(list)
FAILED: set[str] = set()  # operations whose generated test failed (Hypothesis then stops early)


@schemathesis.pytest.parametrize(automation=automation, tracers=tracers)
@hypothesis.settings(
    max_examples=50,
    deadline=2000,  # ms per example; FleetMock answers in about one millisecond
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),  # about the generated data, not FleetMock
)
def test_generated_requests_get_conforming_answers(case, server: FleetMock):
    response = case.call(base_url=server.url, timeout=REQUEST_TIMEOUT_SECONDS)
    if case.method.upper() == case.operation.method.upper():  # not a coverage-phase unexpected method
        sent = response.request.headers
        authenticated = sent.get("DD-API-KEY") == API_KEY and sent.get("DD-APPLICATION-KEY") == APP_KEY
        (ANSWERED if authenticated else ANSWERED_WITHOUT_CREDENTIALS)[case.operation.label].append(response.status_code)
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException:  # Schemathesis's FailureGroup is a BaseExceptionGroup
        FAILED.add(case.operation.label)
        raise


def test_the_run_reached_every_operation_and_the_server_still_serves(server: FleetMock):
    """Runs after the generated tests (file order): the process is still up and answering. Then,
    against a vacuous run: every operation was called with the demo keys and none of those calls
    was refused them (the key holds every permission); Schemathesis's own probes with a blank key
    were all 401; successes and rejections were both seen."""
    assert server.running, f"fleetmock exited during the run\nstderr:\n{server.stderr_text()}"
    assert http(server.url, "GET", "/__fleetmock/health", api_key=None, app_key=None).status == 200
    assert http(server.url, "GET", "/api/unstable/fleet/schedules").status == 200

    if not ANSWERED:
        pytest.skip("the generated tests did not run in this session")
    if FAILED:
        pytest.skip(f"generated tests failed ({len(FAILED)}), so stopped early: their coverage is not judged")
    assert set(ANSWERED) == SPEC_OPERATIONS, f"never called with credentials: {sorted(SPEC_OPERATIONS - set(ANSWERED))}"
    statuses = {status for answered in ANSWERED.values() for status in answered}
    refused = {
        label: sorted(set(answered) & {401, 403}) for label, answered in ANSWERED.items() if set(answered) & {401, 403}
    }
    assert not refused, f"calls with the demo keys were refused: {refused}"
    unauthenticated = {label: sorted(set(answered)) for label, answered in ANSWERED_WITHOUT_CREDENTIALS.items()}
    assert all(answered == [401] for answered in unauthenticated.values()), unauthenticated
    assert any(200 <= status < 300 for status in statuses) and 400 in statuses, sorted(statuses)


@pytest.mark.parametrize("method", ["QUERY", "PROPFIND", "FOO"])
def test_a_method_the_server_does_not_know_is_a_405_in_the_envelope(server: FleetMock, method: str):
    """What Schemathesis's unexpected-method probe (QUERY) runs into, stated directly: a method
    token the HTTP library does not know must be answered like TRACE or CONNECT (405, Allow, the
    JSON error envelope), not with a 5xx HTML page that bypasses FleetMock's own error handling."""
    response = http(server.url, method, "/api/unstable/fleet/schedules")
    response.assert_error(405)
    assert response.header("Allow") == "GET, POST"
