"""Response conformance of the unstable surface against Datadog's OpenAPI contract.

Every operation of spec/fleet-automation-openapi.yaml and spec/fleet-tracers-openapi.yaml is called
on a live server, on its success paths and its error paths (400, 401, 403, 404 and 429), and each
answer is checked with openapi-core: the status code is documented for the operation, the
Content-Type is the documented media type, and the body matches the response schema. The client
tests elsewhere see responses only through datadog-api-client, which keeps what it cannot parse;
here the raw bytes meet the schema the client is generated from.

Beyond the schema (which allows unknown properties), FleetMock must send no undocumented field: on a
mock, an extra field is almost always a misspelt documented one. A 204 must have an empty body.
The route table must name exactly the spec's operations, and every documented status of every
operation must be exercised here or be listed, with a reason, as unreachable.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from support import (
    API_KEY,
    APP_KEY,
    FLEET,
    FleetMock,
    MALFORMED_ID,
    READONLY_APP_KEY,
    RawResponse,
    SCHEDULE_PROD,
    SCHEDULE_SANDBOX,
    SCHEDULE_STAGING,
    SCHEDULE_WEB_INACTIVE,
    UNKNOWN_ID,
    UPGRADE_APP_KEY,
    advance_clock,
    assert_error_envelope,
    http,
)

SPEC_DIR = Path(__file__).resolve().parent / "spec"
SPEC_FILES = ("fleet-automation-openapi.yaml", "fleet-tracers-openapi.yaml")
# FleetMock stands in for the spec's default server. The tracers spec lists only this one (no
# `{protocol}://{name}` template), so requests are matched as if sent there.
SPEC_HOST = "https://api.datadoghq.com"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

AGENT_KEY = FLEET["hosts"][0]["agent_key"]
TRACER_AGENT_KEY = next(host["agent_key"] for host in FLEET["hosts"] if host["attributes"].get("tracers"))
NO_TRACER_AGENT_KEY = next(host["agent_key"] for host in FLEET["hosts"] if not host["attributes"].get("tracers"))
UNKNOWN_AGENT_KEY = "0" * 32
MALFORMED_AGENT_KEY = "REPLACE.ME"  # the feature files' placeholder


# --------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecOperation:
    operation_id: str
    method: str  # upper case
    path: str  # the spec's template, e.g. /api/unstable/fleet/schedules/{id}
    statuses: frozenset[int]
    schemas: dict[int, str]  # status -> the response schema's $ref, where it has a body
    permissions: frozenset[str]
    contract: OpenAPI  # validates as the spec says (unknown properties allowed)
    closed: OpenAPI  # the same schemas, with unknown properties forbidden


def response_schema(document: dict, response: dict) -> Optional[str]:
    """The $ref of a response's JSON schema, through a components/responses $ref if need be."""
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def load_spec_operations() -> dict[str, SpecOperation]:
    operations: dict[str, SpecOperation] = {}
    for name in SPEC_FILES:
        document = yaml.safe_load((SPEC_DIR / name).read_text())
        contract = OpenAPI.from_dict(document)
        closed = OpenAPI.from_dict(document, config=Config(additional_properties_default_policy="forbid"))
        for path, item in document["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                spec = item[method]
                operation_id = spec["operationId"]
                assert operation_id not in operations, f"{operation_id} is defined twice across {SPEC_FILES}"
                operations[operation_id] = SpecOperation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    statuses=frozenset(int(status) for status in spec["responses"]),
                    schemas={
                        int(status): ref
                        for status, response in spec["responses"].items()
                        if (ref := response_schema(document, response))
                    },
                    permissions=frozenset(spec.get("x-permission", {}).get("permissions", [])),
                    contract=contract,
                    closed=closed,
                )
    return operations


SPEC_OPERATIONS = load_spec_operations()


def validation_failure(error: Exception, schema: str = "") -> str:
    """openapi-core's error; for a body, each schema violation with its instance path and its path
    in the spec from `schema`, the response schema's $ref (the error's own text repeats the body)."""
    schema_errors = getattr(error.__cause__, "schema_errors", None) or ()
    if not schema_errors:
        return f"{type(error).__name__}: {error}"
    lines = [f"{type(error).__name__}: the body does not match the response schema"]
    for schema_error in schema_errors:
        schema_path = "/".join([schema, *(str(part) for part in schema_error.absolute_schema_path)])
        lines.append(f"  at {schema_error.json_path}: {schema_error.message} [schema: {schema_path}]")
    return "\n".join(lines)


def conformance_problems(operation: SpecOperation, request: MockRequest, response: RawResponse) -> list[str]:
    """Everything in `response` that breaks the contract of `operation`; empty if it conforms."""
    content_type = (response.header("Content-Type") or "").lower()
    answer = MockResponse(
        response.body, status_code=response.status, headers=response.headers, content_type=content_type
    )
    schema = operation.schemas.get(response.status, "")
    try:
        operation.contract.validate_response(request, answer)
    except Exception as error:  # openapi-core raises a different class for each kind of mismatch
        return [validation_failure(error, schema)]
    problems: list[str] = []
    try:
        operation.closed.validate_response(request, answer)
    except Exception as error:
        problems.append("undocumented field(s) in the body:\n" + validation_failure(error, schema))
    if response.status == 204 and response.body:
        problems.append(f"204 with a body: {response.body[:200]!r}")
    return problems


# --------------------------------------------------------------------------------------------
# What the cases run against
# --------------------------------------------------------------------------------------------

Credentials = tuple[Optional[str], Optional[str]]  # (DD-API-KEY, DD-APPLICATION-KEY); None: header left out


@dataclass
class Scene:
    """The module server with a deployment in every state, and credentials for every denial."""

    url: str
    deployments: dict[str, str]  # a SCENE_DEPLOYMENTS name -> deployment id
    credentials: dict[str, Credentials]

    def new_deployment(self) -> str:
        """A pending deployment, for a case that cancels it."""
        return create(self.url, "/api/unstable/fleet/deployments/configure", configure_body("env:qa"))

    def new_schedule(self) -> str:
        """A schedule of its own, for a case that deletes it."""
        return create(self.url, "/api/unstable/fleet/schedules", schedule_body())


CONFIG_OPERATIONS = (
    {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "info"}},
    {"file_op": "delete", "file_path": "/conf.d/old.d/conf.yaml"},
)


def configure_body(query: str, *operations: dict) -> dict:
    attributes = {"filter_query": query, "config_operations": list(operations or CONFIG_OPERATIONS)}
    return {"data": {"type": "deployment", "attributes": attributes}}


def upgrade_body(query: str, version: str = "7.53.0") -> dict:
    return {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": query, "target_packages": [{"name": "datadog-agent", "version": version}]},
        }
    }


RULE = {
    "days_of_week": ["Mon", "Thu"],
    "start_maintenance_window": "03:30",
    "maintenance_window_duration": 90,
    "timezone": "Europe/Paris",
}


def schedule_body(**attributes: Any) -> dict:
    """Every attribute a schedule has; `attributes` replace some."""
    base = {"name": "Conformance", "query": "env:qa", "rule": RULE, "status": "inactive", "version_to_latest": 1}
    return {"data": {"type": "schedule", "attributes": {**base, **attributes}}}


def with_rule(**changes: Any) -> dict:
    """A full schedule body whose rule has `changes`."""
    return schedule_body(rule={**RULE, **changes})


def create(url: str, path: str, body: Any) -> str:
    response = http(url, "POST", path, body)
    assert response.status == 201, f"POST {path} answered {response.status}: {response.body[:500]!r}"
    return response.json()["data"]["id"]


def deployment_state(url: str, deployment_id: str) -> str:
    response = http(url, "GET", f"/api/unstable/fleet/deployments/{deployment_id}?limit=1")
    assert response.status == 200, response.body[:500]
    return response.json()["data"]["attributes"]["high_level_status"]


# The scene's deployments and the high_level_status each must have.
SCENE_DEPLOYMENTS = {
    "completed": "completed",
    "failed": "failed",
    "running": "running",
    "running-to-cancel": "running",  # a case cancels it, so `running` stays running for the others
    "pending": "pending",
    "canceled": "canceled",
    # One state, two renderings: what the v2 surface created must read as unstable schemas here.
    "v2-configure": "completed",
    "v2-upgrade": "pending",
}


@pytest.fixture(scope="module")
def scene(server: FleetMock) -> Scene:
    """The server runs --clock manual (stepped progress): nothing moves until the clock does."""
    url = server.url
    deployments = {
        "completed": create(url, "/api/unstable/fleet/deployments/upgrade", upgrade_body("env:qa")),
        # search-dev-01 carries fleetmock_fail:true, so this configure ends `failed`.
        "failed": create(
            url, "/api/unstable/fleet/deployments/configure", configure_body("service:search AND env:dev")
        ),
        "v2-configure": create(
            url, "/api/v2/fleet/deployments/configure", configure_body("env:qa AND service:checkout")
        ),
    }
    advance_clock(url, 7200)
    response = http(url, "POST", f"/api/unstable/fleet/schedules/{SCHEDULE_STAGING}/trigger")
    assert response.status == 201, response.body[:500]
    deployments["running"] = response.json()["data"]["id"]
    deployments["running-to-cancel"] = create(
        url, "/api/unstable/fleet/deployments/configure", configure_body("env:staging")
    )
    advance_clock(url, 10)  # past the 5 s pending phase, well short of any host's end
    deployments["pending"] = create(url, "/api/unstable/fleet/deployments/upgrade", upgrade_body("env:prod"))
    deployments["v2-upgrade"] = create(
        url, "/api/v2/fleet/deployments/upgrade", upgrade_body("env:dev AND service:search")
    )
    deployments["canceled"] = create(url, "/api/unstable/fleet/deployments/configure", configure_body("env:dev"))
    cancel = http(url, "POST", f"/api/unstable/fleet/deployments/{deployments['canceled']}/cancel")
    assert cancel.status == 204, cancel.body[:500]
    for name, state in SCENE_DEPLOYMENTS.items():
        assert deployment_state(url, deployments[name]) == state, f"the scene's {name} deployment is not {state}"

    org = http(
        url,
        "POST",
        "/__fleetmock/orgs",
        {"app_keys": [{"name": "nothing", "permissions": []}]},
        api_key=None,
        app_key=None,
    )
    assert org.status == 201, org.body[:500]
    org_api_key = org.json()["api_key"]
    no_permission_key = next(key["key"] for key in org.json()["app_keys"] if key["name"] == "nothing")
    credentials: dict[str, Credentials] = {
        "demo": (API_KEY, APP_KEY),
        "no API key": (None, APP_KEY),
        "no application key": (API_KEY, None),
        "unknown API key": ("no-such-api-key", APP_KEY),
        "unknown application key": (API_KEY, "no-such-app-key"),
        "read-only key": (API_KEY, READONLY_APP_KEY),  # hosts_read
        "upgrade-only key": (API_KEY, UPGRADE_APP_KEY),  # hosts_read, agent_upgrade_write
        "no-permission key": (org_api_key, no_permission_key),
    }
    return Scene(url, deployments, credentials)


@pytest.fixture(scope="module")
def rate_limited_server(fleetmock_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetMock]:
    """One call per API key and operation per minute: an operation's second call is a 429."""
    instance = FleetMock(
        fleetmock_bin, tmp_path_factory.mktemp("rate-limited") / "state.db", ["--rate-limit", "1"]
    ).start()
    yield instance
    instance.stop_cleanly()


# --------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------

PathParameters = Union[dict, Callable[[Scene], dict]]


@dataclass(frozen=True)
class Case:
    operation: str
    status: int  # what FleetMock must answer
    label: str
    params: PathParameters = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: Any = None  # JSON, or bytes sent as they are
    credentials: str = "demo"  # a Scene.credentials key
    rate_limited: bool = False  # on the --rate-limit 1 server, after one call that spends the quota

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.status}-{self.label}"


# A request each operation accepts but for its credentials or quota (ids name nothing: the
# credential, permission and rate-limit checks all come before existence).
BASELINE: dict[str, tuple[dict, Any]] = {
    "ListFleetAgentVersions": ({}, None),
    "ListFleetAgents": ({}, None),
    "GetFleetAgentInfo": ({"agent_key": AGENT_KEY}, None),
    "ListFleetAgentTracers": ({"agent_key": TRACER_AGENT_KEY}, None),
    "ListFleetDeployments": ({}, None),
    "CreateFleetDeploymentConfigure": ({}, configure_body("env:qa")),
    "CreateFleetDeploymentUpgrade": ({}, upgrade_body("env:qa")),
    "GetFleetDeployment": ({"deployment_id": UNKNOWN_ID}, None),
    "CancelFleetDeployment": ({"deployment_id": UNKNOWN_ID}, None),
    "ListFleetSchedules": ({}, None),
    "CreateFleetSchedule": ({}, schedule_body()),
    "GetFleetSchedule": ({"id": UNKNOWN_ID}, None),
    "UpdateFleetSchedule": ({"id": UNKNOWN_ID}, {"data": {"type": "schedule", "attributes": {"status": "active"}}}),
    "DeleteFleetSchedule": ({"id": UNKNOWN_ID}, None),
    "TriggerFleetSchedule": ({"id": UNKNOWN_ID}, None),
    "ListFleetTracers": ({}, None),
}


def baseline_case(operation: str, status: int, label: str, **changes: Any) -> Case:
    params, body = BASELINE[operation]
    return Case(operation, status, label, params=params, body=body, **changes)


def denial_cases() -> list[Case]:
    """401, 403 and 429 for every operation of the spec."""
    cases: list[Case] = []
    for operation in SPEC_OPERATIONS.values():
        name = operation.operation_id
        for credentials in ("no API key", "no application key", "unknown API key", "unknown application key"):
            cases.append(baseline_case(name, 401, credentials.replace(" ", "-"), credentials=credentials))
        # The strongest key that still lacks one of the operation's permissions (x-permission, AND).
        if operation.permissions <= {"hosts_read"}:
            cases.append(baseline_case(name, 403, "no-permission-key", credentials="no-permission key"))
        else:
            cases.append(baseline_case(name, 403, "read-only-key", credentials="read-only key"))
            if "fleet_policies_write" in operation.permissions:
                cases.append(baseline_case(name, 403, "upgrade-only-key", credentials="upgrade-only key"))
        cases.append(baseline_case(name, 429, "second-call", rate_limited=True))
    return cases


def deployment_path(name: str) -> Callable[[Scene], dict]:
    return lambda scene: {"deployment_id": scene.deployments[name]}


AGENT = {"agent_key": AGENT_KEY}
TRACER_AGENT = {"agent_key": TRACER_AGENT_KEY}
PENDING = deployment_path("pending")
PROD = {"id": SCHEDULE_PROD}
STAGING = {"id": SCHEDULE_STAGING}
EMPTY_PATCH = {"data": {"type": "schedule"}}
MINIMAL_SCHEDULE = {"data": {"type": "schedule", "attributes": {"name": "Minimal", "query": "env:dev", "rule": RULE}}}
FILTER_QUERY_ONLY = {"data": {"type": "deployment", "attributes": {"filter_query": "env:qa"}}}
UNKNOWN_FILE_OP = {"file_op": "append", "file_path": "/datadog.yaml"}
NO_RULE = {"data": {"type": "schedule", "attributes": {"name": "No rule", "query": "env:qa"}}}
INVALID_JSON = b'{"data": {'

SUCCESS_CASES = [
    Case("ListFleetAgentVersions", 200, "all"),
    Case("ListFleetAgents", 200, "defaults"),
    Case("ListFleetAgents", 200, "every-agent", query={"page_size": "100", "page_number": "1"}),
    Case("ListFleetAgents", 200, "sorted", query={"sort_attribute": "agent_version", "sort_descending": "true"}),
    Case("ListFleetAgents", 200, "filtered", query={"filter": "env:prod OR env:dev"}),
    Case("ListFleetAgents", 200, "tags", query={"tags": "env:prod,service:checkout"}),
    Case("ListFleetAgents", 200, "past-the-end", query={"page_number": "50"}),
    Case("GetFleetAgentInfo", 200, "agent", params=AGENT),
    Case("GetFleetAgentInfo", 200, "agent-with-tracers", params=TRACER_AGENT),
    Case("ListFleetAgentTracers", 200, "agent", params=TRACER_AGENT),
    Case("ListFleetAgentTracers", 200, "agent-without-tracers", params={"agent_key": NO_TRACER_AGENT_KEY}),
    Case("ListFleetAgentTracers", 200, "paged", params=TRACER_AGENT, query={"page_size": "1", "page_number": "1"}),
    Case("ListFleetAgentTracers", 200, "sorted", params=TRACER_AGENT, query={"sort_attribute": "language"}),
    Case("ListFleetDeployments", 200, "every-state", query={"page_size": "100"}),
    Case("ListFleetDeployments", 200, "paged", query={"page_size": "2", "page_offset": "1"}),
    Case("CreateFleetDeploymentConfigure", 201, "two-operations", body=configure_body("service:web-api")),
    Case("CreateFleetDeploymentConfigure", 201, "no-matching-host", body=configure_body("env:nowhere")),
    Case("CreateFleetDeploymentUpgrade", 201, "agent", body=upgrade_body("env:dev AND service:checkout")),
    Case("CreateFleetDeploymentUpgrade", 201, "no-matching-host", body=upgrade_body("env:nowhere")),
    *(Case("GetFleetDeployment", 200, name, params=deployment_path(name)) for name in SCENE_DEPLOYMENTS),
    Case("GetFleetDeployment", 200, "host-page", params=PENDING, query={"limit": "7", "page": "2"}),
    Case("GetFleetDeployment", 200, "past-the-last-page", params=PENDING, query={"limit": "100", "page": "9"}),
    Case("CancelFleetDeployment", 204, "pending", params=lambda scene: {"deployment_id": scene.new_deployment()}),
    Case("CancelFleetDeployment", 204, "running", params=deployment_path("running-to-cancel")),
    Case("ListFleetSchedules", 200, "all"),
    Case("CreateFleetSchedule", 201, "every-field", body=schedule_body()),
    Case("CreateFleetSchedule", 201, "required-fields-only", body=MINIMAL_SCHEDULE),
    Case("GetFleetSchedule", 200, "fixture", params=PROD),
    Case("UpdateFleetSchedule", 200, "every-field", params=STAGING, body=schedule_body(name="New")),
    Case("UpdateFleetSchedule", 200, "nothing", params=STAGING, body=EMPTY_PATCH),
    Case("DeleteFleetSchedule", 204, "own", params=lambda scene: {"id": scene.new_schedule()}),
    Case("TriggerFleetSchedule", 201, "fixture", params=PROD),
    Case("TriggerFleetSchedule", 201, "no-matching-host", params={"id": SCHEDULE_SANDBOX}),
    Case("TriggerFleetSchedule", 201, "inactive", params={"id": SCHEDULE_WEB_INACTIVE}),
    Case("ListFleetTracers", 200, "defaults"),
    Case("ListFleetTracers", 200, "every-tracer", query={"page_size": "100", "page_number": "0"}),
    Case("ListFleetTracers", 200, "sorted", query={"sort_attribute": "tracer_version", "sort_descending": "false"}),
    Case("ListFleetTracers", 200, "filtered", query={"filter": "language:python"}),
]

ERROR_CASES = [
    Case("ListFleetAgents", 400, "page-size-0", query={"page_size": "0"}),
    Case("ListFleetAgents", 400, "page-size-101", query={"page_size": "101"}),
    Case("ListFleetAgents", 400, "negative-page", query={"page_number": "-1"}),
    Case("ListFleetAgents", 400, "page-not-a-number", query={"page_number": "one"}),
    Case("ListFleetAgents", 400, "unknown-sort", query={"sort_attribute": "colour"}),
    Case("ListFleetAgents", 400, "sort-descending-not-boolean", query={"sort_descending": "maybe"}),
    Case("ListFleetAgents", 400, "filter-does-not-parse", query={"filter": "env:("}),
    Case("GetFleetAgentInfo", 400, "malformed-key", params={"agent_key": MALFORMED_AGENT_KEY}),
    Case("GetFleetAgentInfo", 404, "unknown-key", params={"agent_key": UNKNOWN_AGENT_KEY}),
    Case("ListFleetAgentTracers", 400, "malformed-key", params={"agent_key": MALFORMED_AGENT_KEY}),
    Case("ListFleetAgentTracers", 400, "page-size-0", params=TRACER_AGENT, query={"page_size": "0"}),
    Case("ListFleetAgentTracers", 404, "unknown-key", params={"agent_key": UNKNOWN_AGENT_KEY}),
    Case("ListFleetDeployments", 400, "page-size-101", query={"page_size": "101"}),
    Case("ListFleetDeployments", 400, "negative-offset", query={"page_offset": "-1"}),
    Case("ListFleetDeployments", 400, "page-size-not-a-number", query={"page_size": "ten"}),
    Case("CreateFleetDeploymentConfigure", 400, "invalid-json", body=INVALID_JSON),
    Case("CreateFleetDeploymentConfigure", 400, "no-body", body=b""),
    Case("CreateFleetDeploymentConfigure", 400, "no-config-operations", body=FILTER_QUERY_ONLY),
    Case("CreateFleetDeploymentConfigure", 400, "unknown-file-op", body=configure_body("env:qa", UNKNOWN_FILE_OP)),
    Case("CreateFleetDeploymentConfigure", 400, "query-does-not-parse", body=configure_body("env:qa AND (")),
    Case("CreateFleetDeploymentUpgrade", 400, "invalid-json", body=INVALID_JSON),
    Case("CreateFleetDeploymentUpgrade", 400, "no-target-packages", body=FILTER_QUERY_ONLY),
    Case("CreateFleetDeploymentUpgrade", 400, "unknown-version", body=upgrade_body("env:qa", version="9.9.9")),
    Case("GetFleetDeployment", 400, "malformed-id", params={"deployment_id": MALFORMED_ID}),
    Case("GetFleetDeployment", 400, "limit-101", params=PENDING, query={"limit": "101"}),
    Case("GetFleetDeployment", 400, "negative-page", params=PENDING, query={"page": "-1"}),
    Case("GetFleetDeployment", 404, "unknown-id", params={"deployment_id": UNKNOWN_ID}),
    Case("CancelFleetDeployment", 400, "malformed-id", params={"deployment_id": MALFORMED_ID}),
    Case("CancelFleetDeployment", 400, "already-completed", params=deployment_path("completed")),
    Case("CancelFleetDeployment", 400, "already-canceled", params=deployment_path("canceled")),
    Case("CancelFleetDeployment", 404, "unknown-id", params={"deployment_id": UNKNOWN_ID}),
    Case("CreateFleetSchedule", 400, "invalid-json", body=INVALID_JSON),
    Case("CreateFleetSchedule", 400, "no-rule", body=NO_RULE),
    Case("CreateFleetSchedule", 400, "version-to-latest-3", body=schedule_body(version_to_latest=3)),
    Case("CreateFleetSchedule", 400, "unknown-day", body=with_rule(days_of_week=["Someday"])),
    Case("CreateFleetSchedule", 400, "time-25-00", body=with_rule(start_maintenance_window="25:00")),
    Case("CreateFleetSchedule", 400, "unknown-timezone", body=with_rule(timezone="Mars/Olympus")),
    Case("CreateFleetSchedule", 400, "window-0", body=with_rule(maintenance_window_duration=0)),
    Case("GetFleetSchedule", 400, "malformed-id", params={"id": MALFORMED_ID}),
    Case("GetFleetSchedule", 404, "unknown-id", params={"id": UNKNOWN_ID}),
    Case("UpdateFleetSchedule", 400, "malformed-id", params={"id": MALFORMED_ID}, body=EMPTY_PATCH),
    Case("UpdateFleetSchedule", 400, "unknown-status", params=PROD, body=schedule_body(status="paused")),
    Case("UpdateFleetSchedule", 400, "invalid-json", params=PROD, body=INVALID_JSON),
    Case("UpdateFleetSchedule", 404, "unknown-id", params={"id": UNKNOWN_ID}, body=EMPTY_PATCH),
    Case("DeleteFleetSchedule", 400, "malformed-id", params={"id": MALFORMED_ID}),
    Case("DeleteFleetSchedule", 404, "unknown-id", params={"id": UNKNOWN_ID}),
    Case("TriggerFleetSchedule", 400, "malformed-id", params={"id": MALFORMED_ID}),
    Case("TriggerFleetSchedule", 404, "unknown-id", params={"id": UNKNOWN_ID}),
    Case("ListFleetTracers", 400, "page-size-0", query={"page_size": "0"}),
    Case("ListFleetTracers", 400, "unknown-sort", query={"sort_attribute": "colour"}),
    Case("ListFleetTracers", 400, "filter-does-not-parse", query={"filter": "service:("}),
]

CASES = [*SUCCESS_CASES, *ERROR_CASES, *denial_cases()]

# Documented statuses no request can draw from FleetMock, each with the reason.
UNREACHABLE = {
    ("ListFleetAgentVersions", 400): "the operation takes no parameter and no body",
    ("ListFleetAgentVersions", 404): "a collection: there is nothing to not find",
    ("ListFleetAgents", 404): "a collection: there is nothing to not find",
    ("ListFleetSchedules", 400): "the operation takes no parameter and no body",
    ("ListFleetTracers", 404): "a collection: there is nothing to not find",
    ("CreateFleetDeploymentUpgrade", 404): "an unknown version is a 400; a query matching no host, a 201",
}


def send(url: str, case: Case, scene: Scene) -> tuple[MockRequest, RawResponse]:
    """Sends the case's request; returns it as openapi-core sees it, and FleetMock's answer."""
    operation = SPEC_OPERATIONS[case.operation]
    parameters = case.params(scene) if callable(case.params) else case.params
    path = operation.path.format(
        **{name: urllib.parse.quote(str(value), safe="") for name, value in parameters.items()}
    )
    query = ("?" + urllib.parse.urlencode(case.query)) if case.query else ""
    api_key, app_key = scene.credentials[case.credentials]
    response = http(url, operation.method, path + query, case.body, api_key=api_key, app_key=app_key)

    headers = {"Accept": "application/json"}
    if api_key is not None:
        headers["DD-API-KEY"] = api_key
    if app_key is not None:
        headers["DD-APPLICATION-KEY"] = app_key
    data = case.body if isinstance(case.body, bytes) or case.body is None else json.dumps(case.body).encode()
    request = MockRequest(SPEC_HOST, operation.method, path, args=case.query, headers=headers, data=data)
    return request, response


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_response_conforms_to_the_spec(case: Case, scene: Scene, request: pytest.FixtureRequest):
    operation = SPEC_OPERATIONS[case.operation]
    url = scene.url
    if case.rate_limited:
        url = request.getfixturevalue("rate_limited_server").url
        _, first = send(url, case, scene)  # spends the quota
        assert first.status != 429, f"the first call was already limited: {first.body[:300]!r}"

    sent, response = send(url, case, scene)

    exchange = f"{case.operation} {operation.method} {sent.path}: {response.status} {response.body[:1500]!r}"
    assert response.status == case.status, f"expected {case.status}\n{exchange}"
    problems = conformance_problems(operation, sent, response)
    assert not problems, "\n".join(["does not conform:", *problems, exchange])
    if response.status >= 400:
        # FleetMock's own promise on top of the schema: at least one message, none empty.
        assert_error_envelope(response.json(), response.header("Content-Type"))
    else:
        # A success answers a request the contract allows: FleetMock accepts what the spec accepts.
        operation.contract.validate_request(sent)


def test_every_fixture_agent_conforms(scene: Scene):
    """The fixtures' hosts differ in what they carry (integrations in each state, tracers, otel
    collectors, empty fields): every agent's detail and tracer list is checked, not a sample."""
    problems: list[str] = []
    for host in FLEET["hosts"]:
        for operation in ("GetFleetAgentInfo", "ListFleetAgentTracers"):
            case = Case(operation, 200, host["hostname"], params={"agent_key": host["agent_key"]})
            sent, response = send(scene.url, case, scene)
            if response.status != 200:
                problems.append(f"{operation} {sent.path}: {response.status} {response.body[:300]!r}")
                continue
            problems += [
                f"{operation} {sent.path}: {problem}"
                for problem in conformance_problems(SPEC_OPERATIONS[operation], sent, response)
            ]
    assert not problems, "\n".join(problems)


def test_forced_error_statuses_conform(scene: Scene):
    """A test double's users force errors (`Prefer: code=N`, fault rules) to drive their retry and
    error paths: every error status the spec documents for an operation, forced, must still be the
    documented answer."""
    problems: list[str] = []
    for operation in SPEC_OPERATIONS.values():
        params, body = BASELINE[operation.operation_id]
        path = operation.path.format(**params)
        for status in sorted(code for code in operation.statuses if code >= 400):
            response = http(scene.url, operation.method, path, body, headers={"Prefer": f"code={status}"})
            if response.status != status:
                problems.append(f"{operation.operation_id} Prefer: code={status} answered {response.status}")
                continue
            sent = MockRequest(SPEC_HOST, operation.method, path)
            problems += [
                f"{operation.operation_id} forced {status}: {problem}"
                for problem in conformance_problems(operation, sent, response)
            ]
    assert not problems, "\n".join(problems)


def test_every_documented_status_is_exercised():
    documented = {
        (operation.operation_id, status) for operation in SPEC_OPERATIONS.values() for status in operation.statuses
    }
    exercised = {(case.operation, case.status) for case in CASES}
    never = documented - exercised
    assert exercised <= documented, f"cases expect undocumented statuses: {sorted(exercised - documented)}"
    assert never <= set(UNREACHABLE), f"documented, never exercised: {sorted(never - set(UNREACHABLE))}"
    assert set(UNREACHABLE) <= never, f"listed as unreachable, yet exercised: {sorted(set(UNREACHABLE) - never)}"


def test_route_table_serves_exactly_the_spec(server: FleetMock):
    response = http(server.url, "GET", "/__fleetmock/routes", api_key=None, app_key=None)
    assert response.status == 200, response.body[:500]
    routes = response.json()["routes"]
    served = {(route["method"], route["path"]): route for route in routes if route["surface"] == "unstable"}
    documented = {(operation.method, operation.path): operation for operation in SPEC_OPERATIONS.values()}

    assert not served.keys() - documented.keys(), f"routes the spec lacks: {sorted(served.keys() - documented.keys())}"
    assert not documented.keys() - served.keys(), f"unserved operations: {sorted(documented.keys() - served.keys())}"
    for key, operation in documented.items():
        route = served[key]
        assert route["operation"] == operation.operation_id, f"{key} is served as {route['operation']}"
        assert set(route["permissions"]) == operation.permissions, (
            f"{operation.operation_id} asks for {sorted(route['permissions'])}, "
            f"its x-permission says {sorted(operation.permissions)}"
        )
    stray = [route for route in routes if route["path"].startswith("/api/unstable/") and route["surface"] != "unstable"]
    assert not stray, f"/api/unstable routes outside the unstable surface: {stray}"


def test_the_checks_reject_a_nonconforming_answer(server: FleetMock):
    """The validation above can fail: each kind of breach of a real answer is caught."""
    operation = SPEC_OPERATIONS["GetFleetSchedule"]
    path = f"/api/unstable/fleet/schedules/{SCHEDULE_PROD}"
    real = http(server.url, "GET", path)
    request = MockRequest(SPEC_HOST, "GET", path)
    assert conformance_problems(operation, request, real) == []

    body = real.json()

    def problems(status: int = 200, payload: Any = body, content_type: str = "application/json") -> list[str]:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return conformance_problems(operation, request, RawResponse(status, {"content-type": content_type}, data))

    def changed(change: Callable[[dict], Any]) -> dict:
        copy = json.loads(json.dumps(body))
        change(copy["data"])
        return copy

    assert problems(payload=changed(lambda data: data["attributes"].update(version_to_latest="0")))  # wrong type
    assert problems(payload=changed(lambda data: data.pop("id")))  # a required field missing
    assert problems(payload=changed(lambda data: data["attributes"].update(status="paused")))  # not in the enum
    misspelt = changed(lambda data: data["attributes"].update(created_at=data["attributes"].pop("created_at_unix")))
    assert any("undocumented field" in problem for problem in problems(payload=misspelt))
    assert problems(status=409, payload={"errors": ["conflict"]})  # a status the operation does not document
    assert problems(content_type="text/plain")
    assert problems(status=404, payload={"error": "gone"})  # not the error envelope
    assert problems(payload=b"")

    cancel = SPEC_OPERATIONS["CancelFleetDeployment"]
    cancel_request = MockRequest(SPEC_HOST, "POST", f"/api/unstable/fleet/deployments/{UNKNOWN_ID}/cancel")
    no_content = RawResponse(204, {}, b"")
    assert conformance_problems(cancel, cancel_request, no_content) == []
    assert conformance_problems(cancel, cancel_request, RawResponse(204, {"content-type": "application/json"}, b"{}"))
