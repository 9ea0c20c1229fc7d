"""FleetMock's control surface (/__fleetmock/) seen from the official client, datadog-api-client 2.57.0.

Faults, orgs, reset, the request journal, snapshots, the clock and progress policies are driven
over raw HTTP (support.http, no credentials), and their effect on the Datadog operations is
observed through the unmodified client: which exception it raises, whether its retry path runs,
what it reads back. Every test that changes state, faults or the journal has a server of its own;
fault rules and the journal are server-wide, so nothing here shares the module server with them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.client import HTTPException
from pathlib import Path
from typing import Any, Optional

import pytest
import urllib3
from datadog_api_client.exceptions import ApiException, ServiceException, UnauthorizedException

from support import (
    hosts_at_or_above,
    FAIL_TAG,
    FLEET,
    PROD_FAILING,
    PROD_HEALTHY,
    PROD_HOSTS,
    SCHEDULE_PROD,
    SCHEDULE_SANDBOX,
    SCHEDULE_STAGING,
    TERMINAL_HOST_STATUSES,
    THREE_HOURS,
    UNKNOWN_ID,
    advance_clock,
    assert_error_envelope,
    by_status,
    deployment_hosts,
    deployment_status,
    error_text,
    expect_api_error,
    header,
    hosts_matching,
    http,
    read_clock,
)

STAGING_HOSTS = {host["hostname"] for host in hosts_matching("env:staging")}
SCHEDULES_PATH = "/api/unstable/fleet/schedules"
FIXTURE_START_MS = 1767225600000  # 2026-01-01T00:00:00Z, the fixtures' clock


# ---------------------------------------------------------------------------------------------
# Helpers: the control surface over raw HTTP
# ---------------------------------------------------------------------------------------------


def control(url: str, method: str, path: str, body: Any = None, expect: Optional[int] = None):
    """A /__fleetmock/ call, without credentials. With `expect`, the status must be that one."""
    response = http(url, method, "/__fleetmock/" + path, body, api_key=None, app_key=None)
    if expect is not None:
        assert response.status == expect, f"{method} /__fleetmock/{path} answered {response.status}: {response.body!r}"
    return response


def control_json(url: str, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    return control(url, method, path, body, expect).json()


def add_fault(url: str, **rule: Any) -> dict:
    """POST /__fleetmock/faults; must answer 201 with the rule and its id."""
    created = control_json(url, "POST", "faults", rule, expect=201)
    assert created.get("id"), f"fault without an id: {created}"
    return created


def faults(url: str) -> dict:
    return control_json(url, "GET", "faults")


def journal(url: str, **query: Any) -> list[dict]:
    """GET /__fleetmock/requests with these query parameters, oldest first."""
    text = "&".join(f"{key}={value}" for key, value in query.items())
    return control_json(url, "GET", "requests" + (f"?{text}" if text else ""))["requests"]


def create_org(url: str, body: Any = None) -> dict:
    org = control_json(url, "POST", "orgs", body, expect=201)
    for key in ("org", "api_key", "app_key", "app_keys", "hosts", "schedules", "deployments"):
        assert key in org, f"{key} missing from the new org: {org}"
    return org


def deployment_ids(api) -> set[str]:
    """Every deployment id ListFleetDeployments shows this caller, across pages of 100."""
    ids: set[str] = set()
    offset = 0
    while True:
        response = api.list_fleet_deployments(page_size=100, page_offset=offset)
        ids |= {item.id for item in response.data}
        offset += len(response.data)
        if not response.data or offset >= response.meta.page.total_count:
            return ids


def deployment_count(api) -> int:
    return api.list_fleet_deployments(page_size=1).meta.page.total_count


def statuses(entries: list[dict]) -> list[int]:
    return [entry["status"] for entry in entries]


# ---------------------------------------------------------------------------------------------
# Health, readiness, routes
# ---------------------------------------------------------------------------------------------


def test_health_ready_and_routes_need_no_credentials(server):
    assert control_json(server.url, "GET", "health") == {"status": "ok"}

    ready = control_json(server.url, "GET", "ready")
    assert ready["status"] == "ready"
    assert ready["hosts"] == len(FLEET["hosts"])
    assert ready["schedules"] == len(FLEET["schedules"])

    routes = control_json(server.url, "GET", "routes")["routes"]
    by_operation = {route["operation"]: route for route in routes}
    assert by_operation["ListFleetSchedules"]["method"] == "GET"
    assert by_operation["ListFleetSchedules"]["path"] == SCHEDULES_PATH
    assert by_operation["ListFleetSchedules"]["permissions"] == ["hosts_read"]
    assert by_operation["TriggerFleetSchedule"]["method"] == "POST"
    assert "agent_upgrade_write" in by_operation["TriggerFleetSchedule"]["permissions"]


# ---------------------------------------------------------------------------------------------
# Faults, as the official client sees them
# ---------------------------------------------------------------------------------------------


def test_forced_503_raises_service_exception_exactly_times_then_succeeds(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)  # enable_retry is off by default: the client raises at once
    rule = add_fault(url, operation="ListFleetSchedules", status=503, times=2)
    assert (rule["status"], rule["times"], rule["hits"]) == (503, 2, 0)

    for attempt in range(2):
        with pytest.raises(ServiceException) as caught:
            api.list_fleet_schedules()
        assert caught.value.status == 503, f"attempt {attempt}"
        assert_error_envelope(caught.value.body, header(caught.value.headers, "Content-Type"))
        if attempt == 0:
            listed = faults(url)["faults"]
            assert [(item["id"], item["times"], item["hits"]) for item in listed] == [(rule["id"], 1, 1)]

    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])
    assert faults(url) == {"faults": [], "host_faults": []}, "a used-up rule must be gone"
    entries = journal(url, operation="ListFleetSchedules")
    assert statuses(entries) == [503, 503, 200]
    assert [entry.get("fault") for entry in entries] == [rule["id"], rule["id"], None]
    # Other operations were never shaped.
    assert len(api.list_fleet_agent_versions().data) == len(FLEET["agent_versions"])


def test_forced_429_without_retry_raises_with_reset_headers(fresh_server, clients):
    url = fresh_server.url
    add_fault(url, operation="ListFleetSchedules", status=429, times=1)

    error = expect_api_error(clients(url).list_fleet_schedules, 429)

    assert header(error.headers, "X-RateLimit-Remaining") == "0"
    assert header(error.headers, "X-RateLimit-Reset") == "1"


def test_forced_429_with_retry_enabled_waits_for_reset_and_succeeds(fresh_server, clients):
    url = fresh_server.url
    api = clients(url, enable_retry=True, max_retries=2)
    add_fault(url, operation="ListFleetSchedules", status=429, times=1)
    started = time.monotonic()

    response = api.list_fleet_schedules()

    elapsed = time.monotonic() - started
    assert len(response.data) == len(FLEET["schedules"])
    assert elapsed >= 0.9, f"the client retried after {elapsed:.2f} s, not after X-RateLimit-Reset (1 s)"
    assert elapsed < 5
    entries = journal(url, operation="ListFleetSchedules")
    assert statuses(entries) == [429, 200]
    assert entries[0].get("fault") and "fault" not in entries[1]
    assert entries[1]["sequence"] > entries[0]["sequence"]


def test_latency_delays_the_matching_call_and_not_a_concurrent_one(fresh_server, clients):
    url = fresh_server.url
    slow_api, fast_api = clients(url), clients(url)
    rule = add_fault(url, operation="ListFleetSchedules", latency_ms=1500, times=1)
    slow: dict[str, Any] = {}

    def call_slowly() -> None:
        started = time.monotonic()
        try:
            slow["count"] = len(slow_api.list_fleet_schedules().data)
        except Exception as error:  # noqa: BLE001 - reported below
            slow["error"] = error
        slow["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=call_slowly)
    thread.start()
    try:
        # The journal records the request when it is handled, before the delayed reply.
        deadline = time.monotonic() + 1.0
        while not journal(url, operation="ListFleetSchedules"):
            assert time.monotonic() < deadline, "the delayed request never reached the server"
            time.sleep(0.01)

        started = time.monotonic()
        versions = fast_api.list_fleet_agent_versions()
        schedules = fast_api.list_fleet_schedules()  # same operation: the rule is used up
        fast_elapsed = time.monotonic() - started
        still_waiting = thread.is_alive()
    finally:
        thread.join(timeout=10)

    assert "error" not in slow, slow.get("error")
    assert slow["count"] == len(FLEET["schedules"])
    assert slow["elapsed"] >= 1.4, f"the delayed call took only {slow['elapsed']:.2f} s"
    assert still_waiting, "the delayed call ended before the concurrent ones"
    assert fast_elapsed < 0.5, f"calls beside the delayed one took {fast_elapsed:.2f} s"
    assert len(versions.data) == len(FLEET["agent_versions"]) and len(schedules.data) == len(FLEET["schedules"])
    assert [entry.get("fault") for entry in journal(url, operation="ListFleetSchedules")] == [rule["id"], None]


def test_drop_makes_the_client_raise_a_connection_error_then_the_next_call_works(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    rule = add_fault(url, operation="TriggerFleetSchedule", drop=True, times=1)

    # POST is not idempotent: urllib3's default Retry does not resend it, and the client does not
    # wrap transport errors, so urllib3's ProtocolError (not an ApiException) reaches the caller.
    with pytest.raises(urllib3.exceptions.ProtocolError) as caught:
        api.trigger_fleet_schedule(id=SCHEDULE_STAGING)
    assert not isinstance(caught.value, ApiException)

    created = api.trigger_fleet_schedule(id=SCHEDULE_STAGING)
    assert created.data.attributes.total_hosts == len(STAGING_HOSTS)
    # A drop alone loses the reply, not the request (FleetApplication.faultedResponse runs it as
    # usual): the trigger the client saw fail did create a deployment.
    assert deployment_count(api) == 2
    entries = journal(url, operation="TriggerFleetSchedule")
    assert [(entry["status"], entry.get("fault")) for entry in entries] == [(0, rule["id"]), (201, None)]


def test_dropped_get_is_resent_by_urllib3_until_its_retries_run_out(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)

    # A GET may be resent: urllib3's default Retry(3) hides one dropped connection ...
    add_fault(url, operation="ListFleetSchedules", drop=True, times=1)
    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])
    assert statuses(journal(url, operation="ListFleetSchedules")) == [0, 200]

    # ... but not four: the 1 + 3 attempts all fail and MaxRetryError surfaces.
    control(url, "DELETE", "requests", expect=204)
    add_fault(url, operation="ListFleetSchedules", drop=True, times=4)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.list_fleet_schedules()
    assert statuses(journal(url, operation="ListFleetSchedules")) == [0, 0, 0, 0]
    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])


def test_body_rule_answers_exactly_the_given_body(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)

    add_fault(url, operation="ListFleetSchedules", body={"data": []}, times=1)  # status defaults to 200
    assert api.list_fleet_schedules().data == []
    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])

    teapot = {"errors": ["teapot"], "extra": {"nested": [1, 2, 3]}}
    add_fault(url, operation="GetFleetSchedule", status=418, body=teapot, times=1)
    with pytest.raises(ApiException) as caught:
        api.get_fleet_schedule(id=SCHEDULE_PROD)
    assert caught.value.status == 418
    assert caught.value.body == teapot

    add_fault(url, method="GET", path="/api/unstable/fleet/schedules/*", body={"raw": True}, status=202, times=1)
    raw = http(url, "GET", f"{SCHEDULES_PATH}/{SCHEDULE_PROD}")
    assert raw.status == 202
    assert raw.json() == {"raw": True}


def test_method_and_path_glob_rules_match_only_their_requests(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    within_segment = add_fault(url, method="POST", path="/api/unstable/fleet/schedules/*/trigger", status=503)

    expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_PROD), 503)
    expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX), 503)  # lasts until removed
    assert api.get_fleet_schedule(id=SCHEDULE_PROD).data.id == SCHEDULE_PROD  # GET of a sibling path
    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])

    control(url, "DELETE", f"faults/{within_segment['id']}", expect=204)
    assert api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX).data.attributes.total_hosts == 0

    add_fault(url, path="/api/**/deployments/**", status=502, times=2)
    expect_api_error(api.list_fleet_deployments, 502)  # `**` also matches nothing
    expect_api_error(lambda: api.get_fleet_deployment(deployment_id=UNKNOWN_ID), 502)
    expect_api_error(lambda: api.get_fleet_deployment(deployment_id=UNKNOWN_ID), 404)


def test_api_key_scoped_rule_affects_only_that_key(fresh_server, clients):
    url = fresh_server.url
    org = create_org(url)
    scoped_api = clients(url, api_key=org["api_key"], app_key=org["app_key"])
    default_api = clients(url)
    rule = add_fault(url, operation="ListFleetSchedules", status=503, api_key=org["api_key"])
    assert rule["api_key"] == org["api_key"]

    for _ in range(3):
        assert len(default_api.list_fleet_schedules().data) == len(FLEET["schedules"])
        expect_api_error(scoped_api.list_fleet_schedules, 503)

    control(url, "DELETE", "faults", expect=204)
    assert faults(url) == {"faults": [], "host_faults": []}
    assert len(scoped_api.list_fleet_schedules().data) == len(FLEET["schedules"])
    shaped = journal(url, operation="ListFleetSchedules", status=503)
    assert len(shaped) == 3 and all(entry["org"] == org["org"] for entry in shaped)


def test_prefer_header_shapes_one_request(fresh_server):
    url = fresh_server.url

    forced = http(url, "GET", SCHEDULES_PATH, headers={"Prefer": "code=503"})
    forced.assert_error(503)
    assert http(url, "GET", SCHEDULES_PATH).status == 200

    limited = http(url, "GET", SCHEDULES_PATH, headers={"Prefer": "code=429"})
    limited.assert_error(429)
    assert (limited.header("X-RateLimit-Remaining"), limited.header("X-RateLimit-Reset")) == ("0", "1")

    started = time.monotonic()
    delayed = http(url, "GET", SCHEDULES_PATH, headers={"Prefer": "latency=300"})
    assert delayed.status == 200 and len(delayed.json()["data"]) == len(FLEET["schedules"])
    assert time.monotonic() - started >= 0.28

    with pytest.raises((OSError, HTTPException)):  # RemoteDisconnected / URLError
        http(url, "GET", SCHEDULES_PATH, headers={"Prefer": "drop"})
    assert http(url, "GET", SCHEDULES_PATH).status == 200

    entries = journal(url, operation="ListFleetSchedules")
    assert [(entry["status"], entry.get("fault")) for entry in entries] == [
        (503, "prefer"), (200, None), (429, "prefer"), (200, None), (0, "prefer"), (200, None),
    ]  # fmt: skip
    # The control surface ignores Prefer.
    assert http(url, "GET", "/__fleetmock/health", headers={"Prefer": "code=500"}).status == 200


def test_host_fault_fails_that_hosts_next_operations_with_the_error_text(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    by_name, by_key = PROD_HEALTHY[0], PROD_HEALTHY[1]
    key = next(host["agent_key"] for host in FLEET["hosts"] if host["hostname"] == by_key)
    first = control_json(url, "POST", "faults", {"host": by_name, "error": "disk full", "times": 1}, expect=201)
    second = control_json(url, "POST", "faults", {"host": key, "times": 2}, expect=201)
    assert (first["host"], first["error"], first["times"]) == (by_name, "disk full", 1)
    assert (second["host"], second["agent_key"], second["times"]) == (by_key, key, 2)
    assert {fault["host"] for fault in faults(url)["host_faults"]} == {by_name, by_key}

    one = api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    assert [(fault["host"], fault["times"]) for fault in faults(url)["host_faults"]] == [(by_key, 1)]
    advance_clock(url, THREE_HOURS)
    hosts = deployment_hosts(api, one)
    assert (hosts[by_name]["status"], hosts[by_name]["error"]) == ("failed", "disk full")
    assert hosts[by_key]["status"] == "failed" and hosts[by_key]["error"], hosts[by_key]
    assert by_status(hosts)["failed"] == PROD_FAILING | {by_name, by_key}
    assert hosts[by_name]["versions"][0]["current_version"] == hosts[by_name]["versions"][0]["initial_version"]

    two = api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    assert faults(url)["host_faults"] == []
    advance_clock(url, THREE_HOURS)
    hosts = deployment_hosts(api, two)
    assert hosts[by_name]["status"] == "succeeded", "a times=1 host fault struck twice"
    assert hosts[by_key]["status"] == "failed", "a times=2 host fault did not strike twice"
    assert by_status(hosts)["failed"] == PROD_FAILING | {by_key}

    three = api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    advance_clock(url, THREE_HOURS)
    assert by_status(deployment_hosts(api, three))["failed"] == PROD_FAILING


def test_host_fault_added_for_one_org_stays_in_that_org(fresh_server, clients):
    """POST /__fleetmock/faults?org=ID with `host` looks the host up in that org; the fault must
    not strike the same-named host of another org (orgs seeded from the same fixtures share
    hostnames and agent keys)."""
    url = fresh_server.url
    org = create_org(url)
    org_api = clients(url, api_key=org["api_key"], app_key=org["app_key"])
    default_api = clients(url)
    host = PROD_HEALTHY[0]
    control(url, "POST", f"faults?org={org['org']}", {"host": host, "error": "org-only failure", "times": 1}, 201)

    in_default = default_api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    in_org = org_api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    advance_clock(url, THREE_HOURS)
    control(url, "POST", f"clock/advance?org={org['org']}", {"seconds": THREE_HOURS}, 200)

    default_host = deployment_hosts(default_api, in_default)[host]
    org_host = deployment_hosts(org_api, in_org)[host]
    assert default_host["status"] == "succeeded", f"the other org's host fault struck the default org: {default_host}"
    assert (org_host["status"], org_host.get("error")) == ("failed", "org-only failure")


def test_fault_rules_reject_bad_bodies(fresh_server):
    url = fresh_server.url
    for body in (
        {"operation": "ListFleetSchedules"},  # does nothing
        {"operation": "NoSuchOperation", "status": 503},
        {"operation": "ListFleetSchedules", "status": 700},
        {"path": "api/no-slash", "status": 503},
        {"status": 503},  # matches nothing said
        {"operation": "ListFleetSchedules", "latency_ms": 600_000},
        {"operation": "ListFleetSchedules", "status": 503, "times": 0},
        {"host": "no-such-host", "error": "x"},
    ):
        control(url, "POST", "faults", body).assert_error(400)
    assert faults(url) == {"faults": [], "host_faults": []}
    assert control(url, "DELETE", "faults/fault-999").status in (400, 404)


# ---------------------------------------------------------------------------------------------
# Orgs
# ---------------------------------------------------------------------------------------------


def test_two_orgs_used_concurrently_never_see_each_other(fresh_server, clients):
    url = fresh_server.url
    orgs = [create_org(url, {"name": name}) for name in ("alpha", "beta")]
    assert orgs[0]["org"] != orgs[1]["org"] and orgs[0]["api_key"] != orgs[1]["api_key"]
    assert all((org["hosts"], org["schedules"], org["deployments"]) == (120, 4, 0) for org in orgs)
    apis = [clients(url, api_key=org["api_key"], app_key=org["app_key"]) for org in orgs]
    default_api = clients(url)
    created: list[list[str]] = [[], []]
    problems: list[str] = []
    rounds = 12
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        api = apis[index]
        try:
            barrier.wait(timeout=5)
            for round_ in range(rounds):
                schedule = (SCHEDULE_PROD, SCHEDULE_STAGING, SCHEDULE_SANDBOX)[round_ % 3]
                created[index].append(api.trigger_fleet_schedule(id=schedule).data.id)
                seen = deployment_ids(api)
                if seen != set(created[index]):
                    problems.append(f"org {index} round {round_}: sees {sorted(seen)}, created {created[index]}")
                got = api.get_fleet_deployment(deployment_id=created[index][-1], limit=1)
                if got.data.id != created[index][-1]:
                    problems.append(f"org {index} round {round_}: get answered {got.data.id}")
        except Exception as error:  # noqa: BLE001 - reported below
            problems.append(f"org {index}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker did not finish"
    assert problems == []

    assert [len(ids) for ids in created] == [rounds, rounds]
    assert not set(created[0]) & set(created[1]), "two orgs drew the same deployment id"
    for index in range(2):
        assert deployment_ids(apis[index]) == set(created[index])
        other = created[1 - index][0]
        expect_api_error(lambda: apis[index].get_fleet_deployment(deployment_id=other), 404)
        expect_api_error(lambda: apis[index].cancel_fleet_deployment(deployment_id=other), 404)
    assert deployment_count(default_api) == 0
    listed = {org["org"]: org for org in control_json(url, "GET", "orgs")["orgs"]}
    assert listed["default"]["deployments"] == 0
    assert [listed[org["org"]]["deployments"] for org in orgs] == [rounds, rounds]
    triggers = journal(url, operation="TriggerFleetSchedule", limit=1000)
    assert sorted(entry["org"] for entry in triggers) == sorted([orgs[0]["org"]] * rounds + [orgs[1]["org"]] * rounds)

    # Each org's clock is its own.
    control(url, "POST", f"clock/advance?org={orgs[0]['org']}", {"seconds": 600}, 200)
    assert read_clock(url)["now_unix_ms"] == FIXTURE_START_MS
    assert control_json(url, "GET", f"clock?org={orgs[1]['org']}")["now_unix_ms"] == FIXTURE_START_MS
    assert control_json(url, "GET", f"clock?org={orgs[0]['org']}")["now_unix_ms"] == FIXTURE_START_MS + 600_000


def test_org_key_with_narrower_permissions_gets_403(fresh_server, clients):
    url = fresh_server.url
    org = create_org(url, {"app_keys": [{"name": "reader", "permissions": ["hosts_read"]}]})
    reader = next(key for key in org["app_keys"] if key["name"] == "reader")
    assert reader["permissions"] == ["hosts_read"] and reader["key"] != org["app_key"]
    api = clients(url, api_key=org["api_key"], app_key=reader["key"])

    assert len(api.list_fleet_schedules().data) == len(FLEET["schedules"])
    error = expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_PROD), 403)
    assert "agent_upgrade_write" in error_text(error)
    # Keys do not cross orgs: the org's API key with the default org's application key is refused.
    expect_api_error(clients(url, api_key=org["api_key"]).list_fleet_schedules, 401)
    expect_api_error(clients(url, app_key=org["app_key"]).list_fleet_schedules, 401)

    control(url, "POST", "orgs", {"app_keys": [{"name": "root", "permissions": ["root"]}]}).assert_error(400)


def test_deleted_orgs_keys_get_401(fresh_server, clients):
    url = fresh_server.url
    org = create_org(url)
    api = clients(url, api_key=org["api_key"], app_key=org["app_key"])
    api.trigger_fleet_schedule(id=SCHEDULE_STAGING)

    control(url, "DELETE", f"orgs/{org['org']}", expect=204)

    with pytest.raises(UnauthorizedException) as caught:
        api.list_fleet_schedules()
    assert caught.value.status == 401
    expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_STAGING), 401)
    assert [item["org"] for item in control_json(url, "GET", "orgs")["orgs"]] == ["default"]
    control(url, "DELETE", f"orgs/{org['org']}").assert_error(404)
    control(url, "GET", f"clock?org={org['org']}").assert_error(404)
    control(url, "DELETE", "orgs/default").assert_error(400)
    assert len(clients(url).list_fleet_schedules().data) == len(FLEET["schedules"])


def test_org_from_a_custom_fixture_document(fresh_server, clients):
    url = fresh_server.url
    schedule_id = "11111111-2222-4333-8444-555555555555"
    fixture = {
        "agent_versions": ["7.53.0", "7.52.0", "6.53.1"],
        "hosts": [
            {"agent_key": "0" * 31 + "1", "hostname": "only-prod", "tags": ["env:prod", "service:api"],
             "packages": {"datadog-agent": "7.50.0"}},
            {"agent_key": "0" * 31 + "2", "hostname": "only-dev", "tags": ["env:dev"],
             "packages": {"datadog-agent": "7.52.0"}},
        ],
        "schedules": [
            {"id": schedule_id, "name": "Custom prod", "query": "env:prod", "status": "active", "version_to_latest": 0,
             "rule": {"days_of_week": ["Mon"], "start_maintenance_window": "01:00",
                      "maintenance_window_duration": 60, "timezone": "UTC"},
             "created_at_unix": 1764547200, "created_by": "custom@fleetmock.example",
             "updated_at_unix": 1764547200, "updated_by": "custom@fleetmock.example"},
        ],
    }  # fmt: skip
    org = create_org(url, {"name": "custom", "fixture": fixture, "progress": "immediate"})
    assert (org["hosts"], org["schedules"], org["deployments"]) == (2, 1, 0)
    api = clients(url, api_key=org["api_key"], app_key=org["app_key"])

    assert [item.id for item in api.list_fleet_schedules().data] == [schedule_id]
    assert sorted(item.attributes.version for item in api.list_fleet_agent_versions().data) == sorted(
        fixture["agent_versions"]
    )
    expect_api_error(lambda: api.get_fleet_schedule(id=SCHEDULE_PROD), 404)
    assert control_json(url, "GET", f"progress?org={org['org']}") == {"policy": "immediate"}
    created = api.trigger_fleet_schedule(id=schedule_id).data
    assert created.attributes.total_hosts == 1
    hosts = deployment_hosts(api, created.id)
    assert list(hosts) == ["only-prod"] and hosts["only-prod"]["status"] == "succeeded"
    assert hosts["only-prod"]["versions"][0]["current_version"] == "7.53.0"

    # The default org keeps the server's fixtures and its own policy.
    default_api = clients(url)
    assert len(default_api.list_fleet_schedules().data) == len(FLEET["schedules"])
    assert control_json(url, "GET", "progress") == {"policy": "stepped"}

    # A document that does not read is a 400 and creates no org.
    before = len(control_json(url, "GET", "orgs")["orgs"])
    control(url, "POST", "orgs", {"fixture": {"hosts": []}}).assert_error(400)
    assert len(control_json(url, "GET", "orgs")["orgs"]) == before


# ---------------------------------------------------------------------------------------------
# Reset
# ---------------------------------------------------------------------------------------------


def test_reset_under_load_never_fails_a_request_and_ends_at_the_fixtures(fresh_server, clients):
    url = fresh_server.url
    initial = control_json(url, "GET", "snapshot")
    api = clients.with_http_info(url)
    stop = threading.Event()
    outcomes: list[tuple[str, int]] = []
    unexpected: list[str] = []

    def hammer() -> None:
        last: Optional[str] = None
        while not stop.is_set():
            for name, call in (
                ("trigger", lambda: api.trigger_fleet_schedule(id=SCHEDULE_STAGING)),
                ("list", lambda: api.list_fleet_deployments(page_size=100)),
                ("get", lambda: api.get_fleet_deployment(deployment_id=last or UNKNOWN_ID, limit=5)),
            ):
                try:
                    data, status, _ = call()
                    if name == "trigger":
                        last = data.data.id
                except ApiException as error:
                    status = error.status
                except Exception as error:  # noqa: BLE001 - reported below
                    unexpected.append(f"{name}: {type(error).__name__}: {error}")
                    return
                outcomes.append((name, status))

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        for _ in range(6):
            time.sleep(0.12)
            body = control_json(url, "POST", "reset")
            assert body["status"] == "reset"
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()

    assert unexpected == []
    assert len(outcomes) > 30, f"the load was too light to mean anything: {len(outcomes)} calls"
    allowed = {"trigger": {201}, "list": {200}, "get": {200, 404}}  # a reset may remove the deployment
    wrong = [(name, status) for name, status in outcomes if status not in allowed[name]]
    assert wrong == [], f"unexpected answers during resets: {wrong[:10]}"

    control_json(url, "POST", "reset")
    assert deployment_count(clients(url)) == 0
    ready = control_json(url, "GET", "ready")
    assert (ready["deployments"], ready["hosts"], ready["schedules"]) == (0, 120, 4)
    assert control_json(url, "GET", "snapshot") == initial, "the state after a reset is not the fixtures'"


def test_reset_clears_faults_journal_and_rate_limits_and_one_org_reset_is_scoped(launch, clients):
    server = launch("--rate-limit", "2", "--rate-limit-period", "60")
    url = server.url
    api = clients(url)
    org = create_org(url)
    org_api = clients(url, api_key=org["api_key"], app_key=org["app_key"])
    api.trigger_fleet_schedule(id=SCHEDULE_STAGING)
    org_api.trigger_fleet_schedule(id=SCHEDULE_STAGING)
    org_api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX)
    expect_api_error(lambda: org_api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX), 429)  # third call of the period
    add_fault(url, operation="GetFleetSchedule", status=500)

    # One org: only its state.
    body = control_json(url, "POST", f"reset?org={org['org']}")
    assert (body["status"], body["orgs"], body["deployments"]) == ("reset", 1, 0)
    assert deployment_count(org_api) == 0
    assert deployment_count(api) == 1
    org_api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX)  # its rate-limit counters were cleared too

    # Every org: state, rate limits, fault rules and the journal.
    body = control_json(url, "POST", "reset")
    assert (body["status"], body["orgs"]) == ("reset", 2)
    assert faults(url) == {"faults": [], "host_faults": []}
    assert journal(url) == []
    assert deployment_count(api) == 0 and deployment_count(org_api) == 0
    assert api.get_fleet_schedule(id=SCHEDULE_PROD).data.id == SCHEDULE_PROD
    api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX)
    api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX)
    control(url, "POST", "reset?org=org-nope").assert_error(404)


# ---------------------------------------------------------------------------------------------
# Journal
# ---------------------------------------------------------------------------------------------


def test_journal_records_and_filters_api_requests(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    started_ms = int(time.time() * 1000) - 1000
    assert journal(url) == []

    api.list_fleet_schedules()
    first = api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX).data.id  # no host: a short reply
    second = api.trigger_fleet_schedule(id=SCHEDULE_STAGING).data.id  # a reply longer than 4 KB
    expect_api_error(lambda: api.get_fleet_schedule(id=UNKNOWN_ID), 404)
    typo = http(url, "GET", "/api/unstable/fleet/schedule")
    typo.assert_error(404)
    control_json(url, "GET", "health")  # the control surface is never journaled

    everything = journal(url)
    assert [entry["operation"] for entry in everything] == [
        "ListFleetSchedules", "TriggerFleetSchedule", "TriggerFleetSchedule", "GetFleetSchedule", None,
    ]  # fmt: skip
    sequences = [entry["sequence"] for entry in everything]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    for entry in everything:
        assert entry["org"] == "default"
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
        assert entry["time"].endswith("Z")

    triggers = journal(url, operation="TriggerFleetSchedule", status=201)
    assert [entry["path"] for entry in triggers] == [
        f"{SCHEDULES_PATH}/{SCHEDULE_SANDBOX}/trigger", f"{SCHEDULES_PATH}/{SCHEDULE_STAGING}/trigger",
    ]  # fmt: skip
    assert json.loads(triggers[0]["response_body"])["data"]["id"] == first
    # Bodies are cut at 4 KB, and say how much was left out.
    cut = triggers[1]["response_body"]
    assert cut.startswith('{"data":') and re.search(r"…\[\d+ more bytes\]$", cut), cut[-80:]
    assert len(cut[: cut.rindex("…[")].encode("utf-8")) == 4096
    assert second != first
    assert all(entry["method"] == "POST" and entry["request_body"] == "" for entry in triggers)
    assert [entry["operation"] for entry in journal(url, method="GET")] == [
        "ListFleetSchedules", "GetFleetSchedule", None,
    ]  # fmt: skip
    assert [entry["path"] for entry in journal(url, operation="TriggerFleetSchedule", limit=1)] == [triggers[1]["path"]]
    assert journal(url, since="2099-01-01T00:00:00Z") == []
    assert len(journal(url, since=started_ms)) == len(everything)

    not_found = journal(url, status=404)
    assert [entry["operation"] for entry in not_found] == ["GetFleetSchedule", None]
    assert "near_match" not in not_found[0]
    assert not_found[1]["near_match"] == f"GET {SCHEDULES_PATH}"
    assert json.loads(not_found[1]["response_body"]) == typo.json()

    for query in ("status=abc", "since=yesterday", "limit=-1"):
        control(url, "GET", f"requests?{query}").assert_error(400)
    control(url, "DELETE", "requests", expect=204)
    assert journal(url) == []


# ---------------------------------------------------------------------------------------------
# Snapshot and restore
# ---------------------------------------------------------------------------------------------


def client_view(url: str, api) -> dict:
    deployments = api.list_fleet_deployments(page_size=100)
    return {
        "deployments": deployments.to_dict(),
        "hosts": {item.id: deployment_hosts(api, item.id) for item in deployments.data},
        "schedules": api.list_fleet_schedules().to_dict(),
        "clock": read_clock(url)["now_unix_ms"],
    }


def test_snapshot_then_changes_then_restore_brings_the_state_back(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    staging = api.trigger_fleet_schedule(id=SCHEDULE_STAGING).data.id
    advance_clock(url, 60)
    document = control_json(url, "GET", "snapshot")
    assert control_json(url, "POST", "snapshot") == document
    before = client_view(url, api)
    assert len(by_status(before["hosts"][staging])) > 1, "pick a moment with hosts in several states"

    prod = api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    api.cancel_fleet_deployment(deployment_id=staging)
    api.delete_fleet_schedule(id=SCHEDULE_SANDBOX)
    advance_clock(url, THREE_HOURS)
    assert client_view(url, api) != before

    restored = control_json(url, "POST", "restore", document)
    assert (restored["status"], restored["deployments"], restored["schedules"]) == ("restored", 1, 4)

    assert client_view(url, api) == before
    expect_api_error(lambda: api.get_fleet_deployment(deployment_id=prod), 404)
    assert control_json(url, "GET", "snapshot") == document
    # The restored scene carries on: the rollout resumes from where it was captured.
    advance_clock(url, THREE_HOURS)
    assert set(by_status(deployment_hosts(api, staging))) <= TERMINAL_HOST_STATUSES
    assert deployment_status(api, staging) in ("completed", "failed")

    # A document that does not read is a 400 and changes nothing.
    now = client_view(url, api)
    for bad in ({"format": "bogus"}, {"hosts": "nope"}, [1, 2]):
        control(url, "POST", "restore", bad).assert_error(400)
    assert client_view(url, api) == now


# ---------------------------------------------------------------------------------------------
# Clock
# ---------------------------------------------------------------------------------------------


def test_clock_set_freeze_and_resume(fresh_server, clients):
    url = fresh_server.url
    api = clients(url)
    clock = read_clock(url)
    assert (clock["frozen"], clock["mode"], clock["now_unix_ms"]) == (True, "manual", FIXTURE_START_MS)
    assert set(clock) == {"frozen", "mode", "now", "now_unix", "now_unix_ms", "offset_ms", "speed"}

    deployment = api.trigger_fleet_schedule(id=SCHEDULE_STAGING).data.id
    moved = control_json(url, "POST", "clock/set", {"now": "2026-01-01T02:00:00Z"})
    assert moved["now_unix_ms"] == FIXTURE_START_MS + 2 * 3600 * 1000 and moved["now"].startswith("2026-01-01T02:00:00")
    assert moved["now_unix"] == moved["now_unix_ms"] // 1000
    # Setting the clock runs every rollout event due by then, as advancing does.
    assert set(by_status(deployment_hosts(api, deployment))) <= TERMINAL_HOST_STATUSES

    control(url, "POST", "clock/set", {"now": "2025-12-31T23:00:00Z"}).assert_error(400)
    control(url, "POST", "clock/set", {"now_unix_ms": moved["now_unix_ms"] - 1}).assert_error(400)
    control(url, "POST", "clock/set", {"now": "tomorrow"}).assert_error(400)
    control(url, "POST", "clock/set", {}).assert_error(400)
    assert read_clock(url)["now_unix_ms"] == moved["now_unix_ms"]
    later = control_json(url, "POST", "clock/set", {"now_unix_ms": moved["now_unix_ms"] + 5000})
    assert later["now_unix_ms"] == moved["now_unix_ms"] + 5000

    running = control_json(url, "POST", "clock/resume", {"speed": 50})
    assert (running["frozen"], running["mode"], running["speed"]) == (False, "wall", 50)
    time.sleep(0.3)
    elapsed = read_clock(url)["now_unix_ms"] - running["now_unix_ms"]
    assert 10_000 <= elapsed <= 60_000, f"at speed 50, 0.3 s of wall time moved the clock {elapsed} ms"

    frozen = control_json(url, "POST", "clock/freeze")
    assert (frozen["frozen"], frozen["mode"]) == (True, "manual")
    time.sleep(0.2)
    assert read_clock(url)["now_unix_ms"] == frozen["now_unix_ms"]

    resumed = control_json(url, "POST", "clock/resume")  # no body: the speed stays
    assert (resumed["frozen"], resumed["speed"]) == (False, 50)
    control(url, "POST", "clock/resume", {"speed": 0}).assert_error(400)
    control_json(url, "POST", "clock/freeze")


# ---------------------------------------------------------------------------------------------
# Progress policies and CI flags
# ---------------------------------------------------------------------------------------------


def test_progress_immediate_trigger_reply_already_shows_the_outcome(fresh_server, clients):
    url = fresh_server.url
    assert control_json(url, "GET", "progress") == {"policy": "stepped"}
    assert control_json(url, "POST", "progress", {"policy": "immediate"}) == {"policy": "immediate"}
    assert control_json(url, "GET", "progress") == {"policy": "immediate"}
    control(url, "POST", "progress", {"policy": "fast"}).assert_error(400)
    control(url, "POST", "progress", {}).assert_error(400)

    response, status, _ = clients.with_http_info(url).trigger_fleet_schedule(id=SCHEDULE_PROD)

    assert status == 201
    hosts = {host.hostname: host for host in response.data.attributes.hosts}
    assert set(hosts) == PROD_HOSTS
    assert {host.status for host in hosts.values()} <= {"succeeded", "failed", "skipped"}, "a host is not finished"
    assert {name for name, host in hosts.items() if host.status == "failed"} == PROD_FAILING
    assert response.data.attributes.high_level_status == "failed"
    # Hosts already at the target are left alone (skipped), the others done.
    skipped = hosts_at_or_above("env:prod", response.data.attributes.packages[0].version)
    assert skipped, "the fixture has prod hosts at the newest version"
    # What the reply showed is what a later read shows, without the clock moving.
    assert by_status(deployment_hosts(clients(url), response.data.id)) == {
        "succeeded": PROD_HOSTS - PROD_FAILING - skipped, "failed": PROD_FAILING, "skipped": skipped,
    }  # fmt: skip
    assert read_clock(url)["now_unix_ms"] == FIXTURE_START_MS


def test_ci_flags_progress_immediate_memory_db_ready_file_and_json_logs(launch, clients, tmp_path):
    ready_file = tmp_path / "fleetmock.url"
    server = launch(
        "--progress", "immediate", "--ready-file", str(ready_file), "--log-format", "json", db=Path(":memory:")
    )  # fmt: skip

    assert ready_file.read_text() == server.url + "\n"
    assert control_json(server.url, "GET", "progress") == {"policy": "immediate"}
    response = clients(server.url).trigger_fleet_schedule(id=SCHEDULE_STAGING)
    assert {host.status for host in response.data.attributes.hosts} <= {"succeeded", "failed", "skipped"}
    assert response.data.attributes.high_level_status in ("completed", "failed")

    server.stop_cleanly()
    lines = [line for line in server.stderr_text().splitlines() if line.strip()]
    assert lines, "no log line on stderr"
    for line in lines:
        assert isinstance(json.loads(line), dict), f"not a JSON object: {line!r}"
    assert any("TriggerFleetSchedule" in line or "/trigger" in line for line in lines), "the trigger was not logged"
