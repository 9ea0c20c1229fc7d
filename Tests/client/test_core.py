"""FleetMock against the unmodified official Python client, datadog-api-client 2.57.0.

Behaviour is asserted through the client wherever it can express it; raw HTTP (support.http) is
used only for headers, the /__fleetmock/ control surface and requests the client refuses to send.
Tests that move the clock or need a known deployment history use a server of their own.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
from datadog_api_client.exceptions import ApiValueError
from datadog_api_client.v2.model.fleet_deployment_response import FleetDeploymentResponse

from support import (
    hosts_at_or_above,
    AGENT_PACKAGE,
    FAIL_TAG,
    FLEET,
    HOST_STATUSES,
    MALFORMED_ID,
    PROD_FAILING,
    PROD_HOSTS,
    READONLY_APP_KEY,
    SCHEDULE_PROD,
    SCHEDULE_SANDBOX,
    SCHEDULE_STAGING,
    SCHEDULE_WEB_INACTIVE,
    TERMINAL_HOST_STATUSES,
    THREE_HOURS,
    UNKNOWN_ID,
    UPGRADE_APP_KEY,
    advance_clock,
    agent_version_of,
    agent_versions,
    assert_fully_parsed,
    by_status,
    deployment_hosts,
    deployment_status,
    enum_value,
    error_text,
    expect_api_error,
    expected_target_version,
    fixture_host_versions,
    fixture_schedule,
    header,
    hosts_matching,
    http,
    is_uuid,
    read_clock,
)



def trigger(api, schedule_id: str) -> FleetDeploymentResponse:
    response = api.trigger_fleet_schedule(id=schedule_id)
    assert isinstance(response, FleetDeploymentResponse)
    assert_fully_parsed(response)
    return response


def assert_deployment_targets(response: FleetDeploymentResponse, query: str, version: str) -> None:
    """A new deployment of the datadog-agent at `version` over the fixture hosts `query` matches."""
    data = response.data
    assert enum_value(data.type) == "deployment"
    assert is_uuid(data.id), f"deployment id {data.id!r} is not a UUID"
    attributes = data.attributes
    assert attributes.filter_query == query
    assert [(package.name, package.version) for package in attributes.packages] == [(AGENT_PACKAGE, version)]
    assert attributes.total_hosts == len(hosts_matching(query))
    assert attributes.high_level_status in ("pending", "running")


def assert_host_shape(host: dict, target_version: str) -> None:
    assert host.get("hostname"), f"host without hostname: {host}"
    assert host.get("status") in HOST_STATUSES, f"unexpected host status: {host}"
    versions = agent_version_of(host)
    for key in ("initial_version", "current_version", "target_version"):
        assert versions.get(key), f"{key} missing on {host}"
    assert versions["target_version"] == target_version


def advance_until(url: str, api, deployment_id: str, done, step: int = 10, limit: int = 600) -> dict[str, dict]:
    """Advances the clock by `step` seconds until done(hosts) holds; fails after `limit` seconds."""
    elapsed = 0
    while elapsed < limit:
        advance_clock(url, step)
        elapsed += step
        hosts = deployment_hosts(api, deployment_id)
        if done(hosts):
            return hosts
    pytest.fail(f"condition not reached within {limit} simulated seconds: {by_status(hosts)}")


# ---------------------------------------------------------------------------------------------
# Trigger
# ---------------------------------------------------------------------------------------------


def test_trigger_prod_schedule_targets_every_prod_host_at_newest_version(server, clients):
    api = clients.with_http_info(server.url)
    versions, status, _ = api.list_fleet_agent_versions()
    assert status == 200
    newest = expected_target_version([item.attributes.version for item in versions.data], 0)

    response, status, headers = api.trigger_fleet_schedule(id=SCHEDULE_PROD)

    assert status == 201
    assert header(headers, "Content-Type").startswith("application/json")
    assert isinstance(response, FleetDeploymentResponse)
    assert_fully_parsed(response)
    assert response.data.attributes.total_hosts == 48  # the fixture README's count
    assert_deployment_targets(response, "env:prod", newest)


def test_trigger_version_to_latest_1_targets_newest_of_previous_major(api):
    target = expected_target_version(agent_versions(api), 1)
    assert target.split(".")[0] == "6"  # 7.x is the newest major in the fixtures

    response = trigger(api, SCHEDULE_STAGING)

    assert_deployment_targets(response, "env:staging", target)


def test_trigger_inactive_schedule_still_creates_deployment(api):
    schedule = api.get_fleet_schedule(id=SCHEDULE_WEB_INACTIVE)
    assert enum_value(schedule.data.attributes.status) == "inactive"

    response = trigger(api, SCHEDULE_WEB_INACTIVE)

    assert_deployment_targets(
        response, "service:web-* AND region:us-east-1", expected_target_version(agent_versions(api), 0)
    )
    assert response.data.attributes.total_hosts == 14


def test_trigger_schedule_matching_no_host_gives_empty_deployment(api):
    target = expected_target_version(agent_versions(api), 2)  # version_to_latest 2: newest 5.x

    response = trigger(api, SCHEDULE_SANDBOX)

    attributes = response.data.attributes
    assert attributes.total_hosts == 0
    assert attributes.filter_query == "env:sandbox"
    assert [(package.name, package.version) for package in attributes.packages] == [(AGENT_PACKAGE, target)]
    assert deployment_hosts(api, response.data.id) == {}


def test_trigger_twice_creates_two_deployments_and_leaves_schedule_unchanged(api):
    before = api.get_fleet_schedule(id=SCHEDULE_PROD).to_dict()

    first = trigger(api, SCHEDULE_PROD).data.id
    second = trigger(api, SCHEDULE_PROD).data.id

    assert first != second
    assert api.get_fleet_schedule(id=SCHEDULE_PROD).to_dict() == before


# ---------------------------------------------------------------------------------------------
# Get a deployment: host pagination
# ---------------------------------------------------------------------------------------------


def test_get_deployment_pages_through_hosts(api):
    created = trigger(api, SCHEDULE_PROD).data
    target = created.attributes.packages[0].version
    initial = fixture_host_versions()
    seen: list[str] = []

    for page, expected_length in enumerate([10, 10, 10, 10, 8]):
        response = api.get_fleet_deployment(deployment_id=created.id, limit=10, page=page)
        assert_fully_parsed(response)
        assert response.data.id == created.id
        hosts = response.data.attributes.hosts
        assert len(hosts) == expected_length, f"page {page}"
        meta = response.meta.hosts
        assert (meta.current_page, meta.page_size, meta.total_hosts, meta.total_pages) == (page, 10, 48, 5)
        for host in hosts:
            host = host.to_dict()
            assert_host_shape(host, target)
            assert agent_version_of(host)["initial_version"] == initial[host["hostname"]]
            seen.append(host["hostname"])

    assert len(seen) == len(set(seen)), "a host appears on two pages"
    assert set(seen) == PROD_HOSTS


def test_get_deployment_page_past_the_end_is_empty(api):
    created = trigger(api, SCHEDULE_PROD).data

    response = api.get_fleet_deployment(deployment_id=created.id, limit=10, page=5)

    assert_fully_parsed(response)
    assert (response.data.attributes.get("hosts") or []) == []
    assert response.meta.hosts.total_hosts == 48
    assert response.meta.hosts.current_page == 5


def test_get_deployment_defaults_to_pages_of_50(api):
    created = trigger(api, SCHEDULE_PROD).data

    response = api.get_fleet_deployment(deployment_id=created.id)

    assert len(response.data.attributes.hosts) == 48
    meta = response.meta.hosts
    assert (meta.current_page, meta.page_size, meta.total_hosts, meta.total_pages) == (0, 50, 48, 1)


# ---------------------------------------------------------------------------------------------
# Rollout over the manual clock
# ---------------------------------------------------------------------------------------------


def test_rollout_progresses_only_when_the_clock_advances(fresh_server, fresh_api):
    deployment = trigger(fresh_api, SCHEDULE_PROD).data
    target = deployment.attributes.packages[0].version
    initial = fixture_host_versions()
    hosts = deployment_hosts(fresh_api, deployment.id)
    # Skipped hosts (already at the target) are settled at creation; no other host finished.
    skipped = hosts_at_or_above("env:prod", target)
    assert by_status(hosts).get("skipped", set()) == skipped
    assert not (by_status(hosts).keys() & (TERMINAL_HOST_STATUSES - {"skipped"})), "hosts finished while the clock stood still"

    advance_clock(fresh_server.url, 30)
    groups = by_status(deployment_hosts(fresh_api, deployment.id))
    started = groups.get("running", set()) | groups.get("succeeded", set()) | groups.get("failed", set())
    assert started, f"nothing started 30 s after the trigger: {groups}"
    assert groups.get("pending"), f"no host left pending after 30 s: {groups}"
    assert len(groups.get("running", ())) <= 5, "more than 5 hosts in progress at once"
    assert fresh_api.get_fleet_deployment(deployment_id=deployment.id).data.attributes.high_level_status == "running"

    for _ in range(20):  # the default concurrency holds while the rollout goes on
        advance_clock(fresh_server.url, 15)
        assert len(by_status(deployment_hosts(fresh_api, deployment.id)).get("running", ())) <= 5

    advance_clock(fresh_server.url, THREE_HOURS)
    hosts = deployment_hosts(fresh_api, deployment.id)
    groups = by_status(hosts)
    assert set(groups) <= {"succeeded", "failed", "skipped"}, f"hosts not finished after 3 hours: {groups}"
    assert groups.get("failed", set()) == PROD_FAILING  # failure rate 0: only the tagged hosts fail
    assert groups["succeeded"] == PROD_HOSTS - PROD_FAILING - skipped
    for hostname, host in hosts.items():
        versions = agent_version_of(host)
        assert versions["initial_version"] == initial[hostname]
        assert versions["target_version"] == target
        if host["status"] == "succeeded":
            assert versions["current_version"] == target, host
        elif host["status"] == "skipped":
            assert versions["current_version"] == versions["initial_version"], "a skipped host changed"
        else:
            assert host.get("error"), f"failed host without an error: {host}"
    assert deployment_status(fresh_api, deployment.id) == "failed"


def test_advance_clock_rejects_bad_bodies_with_error_envelope(fresh_server):
    start = read_clock(fresh_server.url)["now_unix_ms"]
    for body in (b"{", b"[]", b"null", b'{"seconds": "ten"}', b'{"seconds": -1}', b"{}", b"\xff\xfe", b""):
        response = http(fresh_server.url, "POST", "/__fleetmock/clock/advance", body, api_key=None, app_key=None)
        response.assert_error(400)
    assert read_clock(fresh_server.url)["now_unix_ms"] == start


# ---------------------------------------------------------------------------------------------
# Cancel
# ---------------------------------------------------------------------------------------------


def test_cancel_stops_pending_hosts_and_keeps_finished_ones(fresh_server, fresh_api, clients):
    url = fresh_server.url
    deployment_id = trigger(fresh_api, SCHEDULE_PROD).data.id
    advance_clock(url, 30)
    before = advance_until(url, fresh_api, deployment_id, lambda hosts: "succeeded" in by_status(hosts))
    groups_before = by_status(before)
    assert groups_before.get("running"), f"some hosts should be in progress: {groups_before}"
    assert len(groups_before.get("pending", ())) > len(before) / 2, f"most hosts should still be pending: {groups_before}"

    data, status, _ = clients.with_http_info(url).cancel_fleet_deployment(deployment_id=deployment_id)

    assert (data, status) == (None, 204)
    after = deployment_hosts(fresh_api, deployment_id)
    assert deployment_status(fresh_api, deployment_id) == "canceled"
    assert "pending" not in by_status(after), by_status(after)
    for hostname in groups_before["pending"]:
        assert after[hostname]["status"] == "canceled", after[hostname]
    for hostname in groups_before["succeeded"] | groups_before.get("failed", set()):
        assert after[hostname] == before[hostname], "a finished host changed on cancel (nothing is rolled back)"
    for hostname in groups_before["succeeded"]:
        versions = agent_version_of(after[hostname])
        assert versions["current_version"] == versions["target_version"], after[hostname]
    for host in after.values():
        if host["status"] == "canceled":
            versions = agent_version_of(host)
            assert versions["current_version"] == versions["initial_version"], host

    advance_clock(url, THREE_HOURS)
    later = deployment_hosts(fresh_api, deployment_id)
    for hostname, host in after.items():
        if host["status"] == "canceled":
            assert later[hostname] == host, "a canceled host changed as time went on"
    assert set(by_status(later)) <= TERMINAL_HOST_STATUSES, f"hosts still in flight: {by_status(later)}"
    assert deployment_status(fresh_api, deployment_id) == "canceled"

    expect_api_error(lambda: fresh_api.cancel_fleet_deployment(deployment_id=deployment_id), 400)


def test_cancel_of_finished_deployment_is_rejected(fresh_server, fresh_api):
    deployment_id = trigger(fresh_api, SCHEDULE_WEB_INACTIVE).data.id
    advance_clock(fresh_server.url, THREE_HOURS)
    finished = deployment_hosts(fresh_api, deployment_id)
    status = deployment_status(fresh_api, deployment_id)
    assert status in ("completed", "failed")

    expect_api_error(lambda: fresh_api.cancel_fleet_deployment(deployment_id=deployment_id), 400)

    assert deployment_status(fresh_api, deployment_id) == status
    assert deployment_hosts(fresh_api, deployment_id) == finished


# ---------------------------------------------------------------------------------------------
# List deployments
# ---------------------------------------------------------------------------------------------


def test_list_deployments_shows_new_deployments_with_paging(fresh_api):
    created = {trigger(fresh_api, schedule).data.id for schedule in (SCHEDULE_PROD, SCHEDULE_STAGING, SCHEDULE_SANDBOX)}

    everything = fresh_api.list_fleet_deployments(page_size=100)
    assert_fully_parsed(everything)
    assert {item.id for item in everything.data} == created
    assert everything.meta.page.total_count == 3
    assert all(enum_value(item.type) == "deployment" for item in everything.data)

    first = fresh_api.list_fleet_deployments(page_size=2, page_offset=0)
    second = fresh_api.list_fleet_deployments(page_size=2, page_offset=2)
    beyond = fresh_api.list_fleet_deployments(page_size=2, page_offset=3)
    assert (len(first.data), len(second.data), len(beyond.data)) == (2, 1, 0)
    assert {item.id for item in first.data} | {item.id for item in second.data} == created
    assert first.meta.page.total_count == second.meta.page.total_count == 3


def test_list_deployments_rejects_page_size_out_of_range(server, api, clients):
    expect_api_error(lambda: api.list_fleet_deployments(page_size=0), 400)

    # 2.57.0 enforces the spec's maximum itself and sends nothing ...
    with pytest.raises(ApiValueError):
        api.list_fleet_deployments(page_size=101)
    # ... so the server's own check is reached with that client-side check turned off.
    unchecked = clients(server.url, disabled_client_side_validations="maximum")
    expect_api_error(lambda: unchecked.list_fleet_deployments(page_size=101), 400)


# ---------------------------------------------------------------------------------------------
# Schedules and agent versions
# ---------------------------------------------------------------------------------------------


def assert_schedule_matches_fixture(schedule) -> None:
    expected = fixture_schedule(schedule.id)
    attributes = schedule.attributes
    assert enum_value(schedule.type) == "schedule"
    assert attributes.name == expected["name"]
    assert attributes.query == expected["query"]
    assert enum_value(attributes.status) == expected["status"]
    assert attributes.version_to_latest == expected["version_to_latest"]
    rule = attributes.rule
    assert rule.days_of_week == expected["rule"]["days_of_week"]
    assert rule.start_maintenance_window == expected["rule"]["start_maintenance_window"]
    assert rule.maintenance_window_duration == expected["rule"]["maintenance_window_duration"]
    assert rule.timezone == expected["rule"]["timezone"]


def test_list_schedules_returns_the_four_fixture_schedules(api):
    response = api.list_fleet_schedules()

    assert_fully_parsed(response)
    assert sorted(item.id for item in response.data) == sorted(schedule["id"] for schedule in FLEET["schedules"])
    for schedule in response.data:
        assert_schedule_matches_fixture(schedule)


@pytest.mark.parametrize("schedule_id", [SCHEDULE_PROD, SCHEDULE_STAGING, SCHEDULE_WEB_INACTIVE, SCHEDULE_SANDBOX])
def test_get_schedule_returns_the_fixture_schedule(api, schedule_id):
    response = api.get_fleet_schedule(id=schedule_id)

    assert_fully_parsed(response)
    assert response.data.id == schedule_id
    assert_schedule_matches_fixture(response.data)


def test_list_agent_versions_serves_the_fixture_catalogue(api):
    response = api.list_fleet_agent_versions()

    assert_fully_parsed(response)
    assert response.data, "no agent version"
    assert all(enum_value(item.type) == "agent_version" for item in response.data)
    assert sorted(item.attributes.version for item in response.data) == sorted(FLEET["agent_versions"])


# ---------------------------------------------------------------------------------------------
# Errors through the client
# ---------------------------------------------------------------------------------------------

ID_OPERATIONS = {
    "trigger_fleet_schedule": lambda api, id_: api.trigger_fleet_schedule(id=id_),
    "cancel_fleet_deployment": lambda api, id_: api.cancel_fleet_deployment(deployment_id=id_),
    "get_fleet_deployment": lambda api, id_: api.get_fleet_deployment(deployment_id=id_),
    "get_fleet_schedule": lambda api, id_: api.get_fleet_schedule(id=id_),
}


@pytest.mark.parametrize("operation", sorted(ID_OPERATIONS))
def test_unknown_id_is_404(api, operation):
    expect_api_error(lambda: ID_OPERATIONS[operation](api, UNKNOWN_ID), 404)


@pytest.mark.parametrize("operation", sorted(ID_OPERATIONS))
def test_malformed_id_is_400(api, operation):
    expect_api_error(lambda: ID_OPERATIONS[operation](api, MALFORMED_ID), 400)


def test_wrong_api_key_is_401(server, clients):
    api = clients(server.url, api_key="not-a-key")

    expect_api_error(api.list_fleet_schedules, 401)
    expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_PROD), 401)


def test_unknown_application_key_is_401(server, clients):
    api = clients(server.url, app_key="not-an-app-key")

    expect_api_error(api.list_fleet_schedules, 401)


def test_missing_credentials_are_401(server):
    http(server.url, "GET", "/api/unstable/fleet/schedules", api_key=None).assert_error(401)
    http(server.url, "GET", "/api/unstable/fleet/schedules", app_key=None).assert_error(401)


def test_read_only_key_reads_but_may_not_trigger(server, clients):
    api = clients(server.url, app_key=READONLY_APP_KEY)
    assert len(api.list_fleet_schedules().data) == 4

    error = expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_PROD), 403)

    assert "agent_upgrade_write" in error_text(error)


def test_upgrade_key_may_trigger_but_not_cancel(server, clients):
    api = clients.with_http_info(server.url, app_key=UPGRADE_APP_KEY)
    response, status, _ = api.trigger_fleet_schedule(id=SCHEDULE_PROD)
    assert status == 201
    deployment_id = response.data.id

    error = expect_api_error(lambda: api.cancel_fleet_deployment(deployment_id=deployment_id), 403)

    assert "fleet_policies_write" in error_text(error)
    still, _, _ = api.get_fleet_deployment(deployment_id=deployment_id)
    assert still.data.attributes.high_level_status != "canceled"


# ---------------------------------------------------------------------------------------------
# Rate limiting
# ---------------------------------------------------------------------------------------------

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Period", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def assert_rate_limit_headers(response, name: str | None = None) -> None:
    for key in RATE_LIMIT_HEADERS:
        value = response.header(key)
        assert value is not None and value.isdigit(), f"{key} is {value!r} on HTTP {response.status}"
    assert response.header("X-RateLimit-Name"), f"X-RateLimit-Name missing on HTTP {response.status}"
    if name is not None:
        assert response.header("X-RateLimit-Name") == name


def test_fourth_call_of_an_operation_in_a_period_is_429(launch, clients):
    server = launch("--rate-limit", "3", "--rate-limit-period", "60")
    path = "/api/unstable/fleet/schedules"

    remaining = []
    for _ in range(3):
        response = http(server.url, "GET", path)
        assert response.status == 200
        assert_rate_limit_headers(response, "list_fleet_schedules")
        assert (response.header("X-RateLimit-Limit"), response.header("X-RateLimit-Period")) == ("3", "60")
        remaining.append(int(response.header("X-RateLimit-Remaining")))
    assert remaining == [2, 1, 0]

    limited = http(server.url, "GET", path)
    limited.assert_error(429)
    assert_rate_limit_headers(limited, "list_fleet_schedules")
    assert limited.header("X-RateLimit-Remaining") == "0"
    assert int(limited.header("X-RateLimit-Reset")) > 0

    # The client does not retry by default (enable_retry=False): it raises the 429.
    error = expect_api_error(clients(server.url).list_fleet_schedules, 429)
    assert header(error.headers, "X-RateLimit-Remaining") == "0"

    # Another operation has its own budget.
    other = http(server.url, "GET", "/api/unstable/fleet/agent_versions")
    assert other.status == 200
    assert_rate_limit_headers(other, "list_fleet_agent_versions")
    assert other.header("X-RateLimit-Remaining") == "2"


def test_client_with_retry_enabled_waits_for_reset_and_succeeds(launch, clients):
    # enable_retry makes 2.57.0 sleep int(X-RateLimit-Reset) seconds after a 429 and try again.
    server = launch("--rate-limit", "1", "--rate-limit-period", "3")
    api = clients(server.url, enable_retry=True, max_retries=3)
    api.list_fleet_schedules()
    http(server.url, "GET", "/api/unstable/fleet/schedules").assert_error(429)  # the window is full
    started = time.monotonic()

    assert len(api.list_fleet_schedules().data) == 4

    assert 0.5 < time.monotonic() - started < 10, "the call went through without waiting for the window"


def test_every_api_response_carries_rate_limit_headers(server):
    responses = [
        http(server.url, "GET", "/api/unstable/fleet/schedules"),
        http(server.url, "GET", f"/api/unstable/fleet/schedules/{UNKNOWN_ID}"),
        http(server.url, "GET", f"/api/unstable/fleet/deployments/{MALFORMED_ID}"),
        http(server.url, "GET", "/api/unstable/fleet/schedules", api_key="not-a-key"),
        http(server.url, "POST", f"/api/unstable/fleet/schedules/{SCHEDULE_PROD}/trigger", app_key=READONLY_APP_KEY),
        http(server.url, "GET", "/api/unstable/fleet/no-such-thing"),
    ]
    assert [response.status for response in responses] == [200, 404, 400, 401, 403, 404]
    for response in responses:
        assert_rate_limit_headers(response)


# ---------------------------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------------------------


def test_state_survives_sigterm_and_restart(launch, clients, tmp_path):
    db = tmp_path / "persist.db"
    first = launch(db=db)
    api = clients(first.url)
    deployment_id = trigger(api, SCHEDULE_PROD).data.id
    advance_clock(first.url, 90)
    hosts = deployment_hosts(api, deployment_id)
    status = deployment_status(api, deployment_id)
    assert len(by_status(hosts)) > 1, f"pick a moment with hosts in several states: {by_status(hosts)}"

    first.stop_cleanly()
    second = launch(db=db)
    api = clients(second.url)

    assert deployment_hosts(api, deployment_id) == hosts
    assert deployment_status(api, deployment_id) == status
    assert [item.id for item in api.list_fleet_deployments().data] == [deployment_id]


def test_triggered_deployment_survives_sigkill(launch, clients, tmp_path):
    db = tmp_path / "killed.db"
    first = launch(db=db)
    deployment_id = trigger(clients(first.url), SCHEDULE_PROD).data.id

    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    second = launch(db=db)
    api = clients(second.url)

    response = api.get_fleet_deployment(deployment_id=deployment_id)
    assert response.data.attributes.total_hosts == 48
    assert set(deployment_hosts(api, deployment_id)) == PROD_HOSTS


# ---------------------------------------------------------------------------------------------
# Bad input never corrupts state
# ---------------------------------------------------------------------------------------------


def fleet_snapshot(url: str, api, deployment_id: str) -> dict:
    return {
        "deployments": api.list_fleet_deployments(page_size=100).to_dict(),
        "hosts": deployment_hosts(api, deployment_id),
        "schedules": api.list_fleet_schedules().to_dict(),
        "versions": api.list_fleet_agent_versions().to_dict(),
        "clock": read_clock(url)["now_unix_ms"],
    }


def test_burst_of_bad_requests_changes_nothing(fresh_server, fresh_api):
    url = fresh_server.url
    deployment_id = trigger(fresh_api, SCHEDULE_PROD).data.id
    advance_clock(url, 45)
    before = fleet_snapshot(url, fresh_api, deployment_id)
    deployments = "/api/unstable/fleet/deployments"
    schedules = "/api/unstable/fleet/schedules"

    bad_ids = [MALFORMED_ID, "%00", "..%2F..%2Fetc", "x" * 2000, "'%20OR%201=1--", UNKNOWN_ID.upper() + "0"]
    for bad in bad_ids:
        for method, path in (
            ("POST", f"{schedules}/{bad}/trigger"),
            ("POST", f"{deployments}/{bad}/cancel"),
            ("GET", f"{deployments}/{bad}"),
            ("GET", f"{schedules}/{bad}"),
        ):
            response = http(url, method, path)
            assert 400 <= response.status < 500, f"{method} {path[:80]} answered {response.status}"
            response.assert_error(response.status)
    for query in ("limit=abc", "limit=0", "limit=101", "limit=-1", "page=-1", "page=x", "limit=1e3"):
        http(url, "GET", f"{deployments}/{deployment_id}?{query}").assert_error(400)
    for query in ("page_size=0", "page_size=101", "page_size=ten", "page_offset=-5", "page_size=99999999999999999999"):
        http(url, "GET", f"{deployments}?{query}").assert_error(400)
    for body in (b"{", b'{"seconds": "x"}', b'{"seconds": -30}', b'{"seconds": 1e400}', b"[1]", b"\x00\x01"):
        http(url, "POST", "/__fleetmock/clock/advance", body, api_key=None, app_key=None).assert_error(400)
    http(url, "POST", f"{schedules}/{SCHEDULE_PROD}/trigger", app_key=READONLY_APP_KEY).assert_error(403)
    http(url, "POST", f"{deployments}/{deployment_id}/cancel", api_key="nope").assert_error(401)

    assert fleet_snapshot(url, fresh_api, deployment_id) == before


# ---------------------------------------------------------------------------------------------
# Control surface
# ---------------------------------------------------------------------------------------------


def test_health_needs_no_credentials(server):
    response = http(server.url, "GET", "/__fleetmock/health", api_key=None, app_key=None)

    assert response.status == 200
    assert response.header("Content-Type").startswith("application/json")
    assert response.json() == {"status": "ok"}


def test_clock_advance_needs_no_credentials_and_moves_time(fresh_server):
    start = read_clock(fresh_server.url)

    moved = advance_clock(fresh_server.url, 90)

    assert moved["now_unix_ms"] - start["now_unix_ms"] == 90_000
    assert read_clock(fresh_server.url)["now_unix_ms"] == moved["now_unix_ms"]


def test_concurrent_clients_leave_exactly_what_they_were_told(launch, tmp_path):
    """8 threads triggering and canceling at once, their writes group-committed pass by pass, leave
    exactly the deployments they were told about, each canceled once, and the state survives a
    restart."""
    UNSTABLE = "/api/unstable/fleet"
    db = tmp_path / "concurrent.db"
    server = launch(db=db)
    created: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(rounds: int) -> None:
        for _ in range(rounds):
            response = http(server.url, "POST", f"{UNSTABLE}/schedules/{SCHEDULE_PROD}/trigger")
            if response.status != 201:
                failures.append(f"trigger: {response.status}")
                continue
            deployment = response.json()["data"]["id"]
            with lock:
                created.append(deployment)
            if response.json()["data"]["attributes"]["high_level_status"] == "completed":
                continue  # every host was busy with another thread's deployment: skipped, nothing to cancel
            cancel = http(server.url, "POST", f"{UNSTABLE}/deployments/{deployment}/cancel")
            if cancel.status != 204:
                failures.append(f"cancel: {cancel.status} {cancel.body[:200]!r}")

    threads = [threading.Thread(target=client, args=(15,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[:5]
    assert len(created) == 120 and len(set(created)) == 120

    def listed(url: str) -> dict[str, str]:
        body = http(url, "GET", f"{UNSTABLE}/deployments?page_size=100&page_offset=0").json()
        statuses = {item["id"]: item["attributes"]["high_level_status"] for item in body["data"]}
        second = http(url, "GET", f"{UNSTABLE}/deployments?page_size=100&page_offset=100").json()
        statuses.update({item["id"]: item["attributes"]["high_level_status"] for item in second["data"]})
        return statuses

    before = listed(server.url)
    assert set(before) == set(created)
    assert set(before.values()) <= {"canceled", "completed"} and "canceled" in before.values()
    server.stop_cleanly()
    restarted = launch(db=db)
    assert listed(restarted.url) == before
