"""The 43 scenarios of fleet_automation.v2.feature (the client's BDD suite at HEAD, the v2 surface
plus the unstable operations that stayed), one test each, named after the scenario, through
datadog-api-client 2.62.0 (run.sh runs test_v2_*.py with it).

Each test sends the scenario's request and expects its status. Gaps the upstream scenarios leave
to a live Datadog account are filled from FleetMock's fixtures, as in test_features.py:
- `env:prod AND service:{{ unique_lower }}` (given steps and the v2 bodies) matches no host, and a
  v2 configure or upgrade matching no host is a 400; `{{ unique_lower }}` becomes a fixture
  service, so those queries target the 7 checkout prod hosts.
- `REPLACE.ME` path parameters stay where a 400 is expected, become a well-formed unknown id
  where a 404 is expected, and a real id where a success is expected.
- "Bad Request" scenarios that upstream send the success scenario's request send a variant that is
  actually bad, each saying how it differs; the two v2 "Bad Request" bodies that leave out a
  required attribute go over raw HTTP, as the client refuses to build them.
- Statuses FleetMock cannot give for the scenario's request: the test sends it, checks what
  FleetMock answers, and skips with the reason.

Created deployments and schedules are undone after each scenario as the HEAD undo.json says
(CancelFleetDeploymentV2, DeleteFleetSchedule; a trigger by the unstable CancelFleetDeployment,
which 2.62.0 has no method for, so over raw HTTP).
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from datadog_api_client.v2.model.fleet_deployment_configure_v2_create_request import (
    FleetDeploymentConfigureV2CreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_package_upgrade_v2_create_request import (
    FleetDeploymentPackageUpgradeV2CreateRequest,
)
from datadog_api_client.v2.model.fleet_schedule_create_request import FleetScheduleCreateRequest
from datadog_api_client.v2.model.fleet_schedule_patch_request import FleetSchedulePatchRequest

from support import (
    FLEET,
    HOSTS_BY_NAME,
    SCHEDULE_PROD,
    UNKNOWN_ID,
    assert_deep_parsed,
    enum_value,
    expect_api_error,
    http,
    is_uuid,
    request_model,
)

REPLACE_ME = "REPLACE.ME"
UNIQUE_LOWER = "checkout"  # stands for `{{ unique_lower }}`: `env:prod AND service:checkout` has 7 hosts
AGENT_WITH_TRACER = HOSTS_BY_NAME["checkout-dev-01"]["agent_key"]

# Bodies as the feature file writes them.
B_SCH = {
    "data": {
        "attributes": {
            "name": "Weekly Production Agent Updates",
            "query": "env:prod AND service:web",
            "rule": {
                "days_of_week": ["Mon", "Wed", "Fri"],
                "maintenance_window_duration": 1200,
                "start_maintenance_window": "02:00",
                "timezone": "America/New_York",
            },
            "status": "active",
            "version_to_latest": 0,
        },
        "type": "schedule",
    }
}
B2_CFG_BAD = {"data": {"attributes": {"filter_query": "env:prod AND service:{{ unique_lower }}"}, "type": "deployment"}}
B2_CFG = {
    "data": {
        "attributes": {
            "config_operations": [
                {
                    "file_op": "merge-patch",
                    "file_path": "/datadog.yaml",
                    "patch": {"apm_config": {"enabled": True}, "log_level": "info", "logs_enabled": True},
                }
            ],
            "filter_query": "env:prod AND service:{{ unique_lower }}",
        },
        "type": "deployment",
    }
}
B2_DRY = {
    "data": {
        "attributes": {
            "config_operations": [
                {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "info"}}
            ],
            "dry_run": True,
            "filter_query": "env:prod AND service:{{ unique_lower }}",
        },
        "type": "deployment",
    }
}
B2_UPG_BAD = {"data": {"attributes": {"filter_query": "env:prod AND service:{{ unique_lower }}"}, "type": "deployment"}}
B2_UPG = {
    "data": {
        "attributes": {
            "filter_query": "env:prod AND service:{{ unique_lower }}",
            "target_packages": [{"name": "datadog-agent", "version": "7.52.0"}],
        },
        "type": "deployment",
    }
}
# HEAD given.json bodies.
GIVEN_DEPLOYMENT = {
    "data": {
        "type": "deployment",
        "attributes": {
            "filter_query": "env:prod AND service:{{ unique_lower }}",
            "config_operations": [
                {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "info"}}
            ],
        },
    }
}
GIVEN_PACKAGE_DEPLOYMENT = {
    "data": {
        "type": "deployment",
        "attributes": {
            "filter_query": "env:prod AND service:{{ unique_lower }}",
            "target_packages": [{"name": "datadog-agent", "version": "7.52.0"}],
        },
    }
}
GIVEN_SCHEDULE = {
    "data": {
        "type": "schedule",
        "attributes": {
            "name": "Weekly {{ unique }} Updates",
            "query": "env:prod AND service:{{ unique_lower }}",
            "status": "active",
            "version_to_latest": 0,
            "rule": {
                "days_of_week": ["Mon"],
                "start_maintenance_window": "02:00",
                "maintenance_window_duration": 120,
                "timezone": "America/New_York",
            },
        },
    }
}


def filled(body: dict) -> dict:
    """A body with its placeholders filled: `{{ unique }}` a fresh name, `{{ unique_lower }}` a
    fixture service."""
    unique = f"Fleetmock_{uuid.uuid4().hex[:12]}"
    text = json.dumps(body).replace("{{ unique_lower }}", UNIQUE_LOWER).replace("{{ unique }}", unique)
    return json.loads(text)


def unreachable(status: int, why: str) -> None:
    pytest.skip(f"upstream expects HTTP {status}; FleetMock cannot give it for this request: {why}")


@pytest.fixture
def api(server, clients):
    """The module server's client; calls return (data, status, headers)."""
    return clients.with_http_info(server.url)


def succeeds(result, status: int):
    """A (data, status, headers) result: the scenario's status, and a fully parsed body."""
    data, actual, _ = result
    assert actual == status, f"expected HTTP {status}, got {actual}"
    if data is not None:
        assert_deep_parsed(data)
    return data


# Given steps (HEAD given.json), with their undo.


def there_is_a_valid_deployment(api, undo):
    result = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, filled(GIVEN_DEPLOYMENT))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment_v2(deployment_id=data.id))
    return data


def there_is_a_valid_package_deployment(api, undo):
    result = api.create_fleet_deployment_upgrade_v2(
        body=request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, filled(GIVEN_PACKAGE_DEPLOYMENT))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment_v2(deployment_id=data.id))
    return data


def there_is_a_valid_fleet_schedule(api, undo):
    result = api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, filled(GIVEN_SCHEDULE)))
    data = succeeds(result, 201).data
    undo(lambda: api.delete_fleet_schedule(id=data.id))
    return data


# ---------------------------------------------------------------------------------------------
# CancelFleetDeploymentV2
# ---------------------------------------------------------------------------------------------


def test_cancel_a_deployment_returns_bad_request_response(api):
    """Cancel a deployment returns "Bad Request" response"""
    expect_api_error(lambda: api.cancel_fleet_deployment_v2(deployment_id="not-a-valid-deployment-id"), 400)


def test_cancel_a_deployment_returns_not_found_response(api):
    """Cancel a deployment returns "Not Found" response"""
    expect_api_error(lambda: api.cancel_fleet_deployment_v2(deployment_id="000-000-000"), 404)


def test_cancel_a_deployment_returns_ok_response(api, undo):
    """Cancel a deployment returns "OK" response"""
    deployment = there_is_a_valid_deployment(api, undo)

    data = succeeds(api.cancel_fleet_deployment_v2(deployment_id=deployment.id), 200)

    assert data.data.id == deployment.id and data.data.attributes.status == "canceled"


# ---------------------------------------------------------------------------------------------
# CreateFleetDeploymentConfigureV2
# ---------------------------------------------------------------------------------------------


def test_create_a_configuration_deployment_returns_bad_request_response(server, api):
    """Create a configuration deployment returns "Bad Request" response"""
    body = filled(B2_CFG_BAD)
    # config_operations is required by the client's model: 2.62.0 cannot build this body ...
    with pytest.raises(TypeError):
        request_model(api, FleetDeploymentConfigureV2CreateRequest, body)
    # ... so it goes over raw HTTP, as another client could send it.
    http(server.url, "POST", "/api/v2/fleet/deployments/configure", body).assert_error(400)


def test_create_a_configuration_deployment_returns_created_response(api, undo):
    """Create a configuration deployment returns "CREATED" response"""
    result = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, filled(B2_CFG))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment_v2(deployment_id=data.id))
    assert is_uuid(data.id) and data.attributes.total_hosts == 7


def test_create_a_configuration_deployment_returns_ok_response(api):
    """Create a configuration deployment returns "OK" response"""
    result = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, filled(B2_DRY))
    )
    data = succeeds(result, 200).data

    assert data.id == "dry-run" and data.attributes.dry_run.config_validated is True


# ---------------------------------------------------------------------------------------------
# CreateFleetSchedule (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_create_a_schedule_returns_bad_request_response(api):
    """Create a schedule returns "Bad Request" response"""
    # Upstream sends B-sch, the CREATED scenario's body. Variant: "Fry" is not a day name.
    body = copy.deepcopy(B_SCH)
    body["data"]["attributes"]["rule"]["days_of_week"] = ["Mon", "Wed", "Fry"]
    expect_api_error(lambda: api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, body)), 400)


def test_create_a_schedule_returns_created_response(api, undo):
    """Create a schedule returns "CREATED" response"""
    data = succeeds(api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, B_SCH)), 201).data
    undo(lambda: api.delete_fleet_schedule(id=data.id))
    assert data.attributes.name == "Weekly Production Agent Updates"


# ---------------------------------------------------------------------------------------------
# DeleteFleetSchedule (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_delete_a_schedule_returns_bad_request_response(api):
    """Delete a schedule returns "Bad Request" response"""
    expect_api_error(lambda: api.delete_fleet_schedule(id=REPLACE_ME), 400)


def test_delete_a_schedule_returns_not_found_response(api):
    """Delete a schedule returns "Not Found" response"""
    expect_api_error(lambda: api.delete_fleet_schedule(id=UNKNOWN_ID), 404)


def test_delete_a_schedule_returns_schedule_successfully_deleted_response(api, undo):
    """Delete a schedule returns "Schedule successfully deleted." response"""
    schedule = there_is_a_valid_fleet_schedule(api, undo)  # REPLACE.ME upstream: a schedule of this scenario

    assert succeeds(api.delete_fleet_schedule(id=schedule.id), 204) is None


# ---------------------------------------------------------------------------------------------
# GetFleetDeploymentV2
# ---------------------------------------------------------------------------------------------


def test_get_a_deployment_by_id_returns_bad_request_response(api):
    """Get a deployment by ID returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_deployment_v2(deployment_id="not-a-valid-deployment-id"), 400)


def test_get_a_deployment_by_id_returns_not_found_response(api):
    """Get a deployment by ID returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_deployment_v2(deployment_id="000-000-000"), 404)


def test_get_a_deployment_by_id_returns_ok_response(api, undo):
    """Get a deployment by ID returns "OK" response"""
    deployment = there_is_a_valid_deployment(api, undo)

    data = succeeds(api.get_fleet_deployment_v2(deployment_id=deployment.id), 200)

    assert data.data.id == deployment.id and len(data.data.attributes.hosts) == 7


# ---------------------------------------------------------------------------------------------
# GetFleetScheduleV2
# ---------------------------------------------------------------------------------------------


def test_get_a_schedule_by_id_returns_bad_request_response(api):
    """Get a schedule by ID returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_schedule_v2(id="not-a-valid-schedule-id"), 400)


def test_get_a_schedule_by_id_returns_not_found_response(api):
    """Get a schedule by ID returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_schedule_v2(id="000-000-000"), 404)


def test_get_a_schedule_by_id_returns_ok_response(api, undo):
    """Get a schedule by ID returns "OK" response"""
    schedule = there_is_a_valid_fleet_schedule(api, undo)

    data = succeeds(api.get_fleet_schedule_v2(id=schedule.id), 200)

    assert data.data.attributes.name == schedule.attributes.name


# ---------------------------------------------------------------------------------------------
# GetFleetAgentDetailV2
# ---------------------------------------------------------------------------------------------


def test_get_detailed_information_about_an_agent_returns_bad_request_response(api):
    """Get detailed information about an agent returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_agent_detail_v2(agent_key="not-a-valid-agent-key"), 400)


def test_get_detailed_information_about_an_agent_returns_not_found_response(api):
    """Get detailed information about an agent returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_agent_detail_v2(agent_key="00000000000000000000000000000000"), 404)


def test_get_detailed_information_about_an_agent_returns_ok_response(api):
    """Get detailed information about an agent returns "OK" response"""
    # @integration-only upstream, with agent_key a1b2c3d4e5f67890a1b2c3d4e5f67890 from the
    # recording account; a fixture agent's key (md5 of its hostname, same format) here.
    data = succeeds(api.get_fleet_agent_detail_v2(agent_key=AGENT_WITH_TRACER), 200)

    assert data.data.id == AGENT_WITH_TRACER and enum_value(data.data.type) == "agent"


# ---------------------------------------------------------------------------------------------
# ListFleetAgentsV2
# ---------------------------------------------------------------------------------------------


def test_list_all_datadog_agents_returns_bad_request_response(api):
    """List all Datadog Agents returns "Bad Request" response"""
    # Upstream sends no parameter, as in the OK scenario. Variant: a sort_attribute v2 does not
    # support ("unsupported values return a 400 error").
    expect_api_error(lambda: api.list_fleet_agents_v2(sort_attribute="not_an_attribute"), 400)


def test_list_all_datadog_agents_returns_ok_response(api):
    """List all Datadog Agents returns "OK" response"""
    data = succeeds(api.list_fleet_agents_v2(), 200)

    assert data.meta.page.total_count == len(FLEET["hosts"])


# ---------------------------------------------------------------------------------------------
# ListFleetDeploymentsV2
# ---------------------------------------------------------------------------------------------


def test_list_all_deployments_returns_bad_request_response(api):
    """List all deployments returns "Bad Request" response"""
    # Upstream sends no parameter, as in the OK scenario. Variant: a sort field v2 does not support.
    expect_api_error(lambda: api.list_fleet_deployments_v2(sort="not_a_field"), 400)


def test_list_all_deployments_returns_ok_response(api):
    """List all deployments returns "OK" response"""
    succeeds(api.list_fleet_deployments_v2(), 200)


# ---------------------------------------------------------------------------------------------
# ListFleetTracers (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_list_all_fleet_tracers_returns_bad_request_response(api):
    """List all fleet tracers returns "Bad Request" response"""
    # Upstream sends no parameter, as in the OK scenario. Variant: an unsupported sort_attribute.
    expect_api_error(lambda: api.list_fleet_tracers(sort_attribute="not_an_attribute"), 400)


def test_list_all_fleet_tracers_returns_not_found_response(api):
    """List all fleet tracers returns "Not Found" response"""
    succeeds(api.list_fleet_tracers(), 200)
    unreachable(404, "ListFleetTracers has no path id, and the fleet always exists")


def test_list_all_fleet_tracers_returns_ok_response(api):
    """List all fleet tracers returns "OK" response"""
    data = succeeds(api.list_fleet_tracers(), 200)

    assert data.meta.total_filtered_count == 73


# ---------------------------------------------------------------------------------------------
# ListFleetSchedulesV2
# ---------------------------------------------------------------------------------------------


def test_list_all_schedules_returns_bad_request_response(api):
    """List all schedules returns "Bad Request" response"""
    succeeds(api.list_fleet_schedules_v2(), 200)
    unreachable(400, "ListFleetSchedulesV2 takes no parameter, so no request to it is malformed")


def test_list_all_schedules_returns_ok_response(api):
    """List all schedules returns "OK" response"""
    data = succeeds(api.list_fleet_schedules_v2(), 200)

    assert SCHEDULE_PROD in {item.id for item in data.data}


# ---------------------------------------------------------------------------------------------
# ListFleetAgentVersionsV2
# ---------------------------------------------------------------------------------------------


def test_list_available_datadog_agent_versions_returns_not_found_response(api):
    """List available Datadog Agent versions returns "Not Found" response"""
    succeeds(api.list_fleet_agent_versions_v2(), 200)
    unreachable(404, "the catalogue always holds the Agent package (Fixtures/fleet.json agent_versions)")


def test_list_available_datadog_agent_versions_returns_ok_response(api):
    """List available Datadog Agent versions returns "OK" response"""
    data = succeeds(api.list_fleet_agent_versions_v2(), 200)

    assert data.meta.page.total_count == len(FLEET["agent_versions"])


# ---------------------------------------------------------------------------------------------
# ListFleetAgentTracers (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_list_tracers_for_a_specific_agent_returns_bad_request_response(api):
    """List tracers for a specific agent returns "Bad Request" response"""
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=REPLACE_ME), 400)


def test_list_tracers_for_a_specific_agent_returns_not_found_response(api):
    """List tracers for a specific agent returns "Not Found" response"""
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=UNKNOWN_ID), 404)


def test_list_tracers_for_a_specific_agent_returns_ok_response(api):
    """List tracers for a specific agent returns "OK" response"""
    data = succeeds(api.list_fleet_agent_tracers(agent_key=AGENT_WITH_TRACER), 200)

    assert [tracer.hostname for tracer in data.data.attributes.tracers] == ["checkout-dev-01"]


# ---------------------------------------------------------------------------------------------
# TriggerFleetSchedule (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_trigger_a_schedule_deployment_returns_bad_request_response(api):
    """Trigger a schedule deployment returns "Bad Request" response"""
    expect_api_error(lambda: api.trigger_fleet_schedule(id=REPLACE_ME), 400)


def test_trigger_a_schedule_deployment_returns_created_deployment_successfully_created_and_started_response(
    server, api, undo
):
    """Trigger a schedule deployment returns "CREATED - Deployment successfully created and started." response"""
    data = succeeds(api.trigger_fleet_schedule(id=SCHEDULE_PROD), 201).data
    # HEAD undo.json: CancelFleetDeployment, the unstable cancel 2.62.0 has no method for.
    undo(lambda: http(server.url, "POST", f"/api/unstable/fleet/deployments/{data.id}/cancel"))

    assert enum_value(data.type) == "deployment" and data.attributes.total_hosts == 48


def test_trigger_a_schedule_deployment_returns_not_found_response(api):
    """Trigger a schedule deployment returns "Not Found" response"""
    expect_api_error(lambda: api.trigger_fleet_schedule(id=UNKNOWN_ID), 404)


# ---------------------------------------------------------------------------------------------
# UpdateFleetSchedule (unstable in 2.62.0)
# ---------------------------------------------------------------------------------------------


def test_update_a_schedule_returns_bad_request_response(api):
    """Update a schedule returns "Bad Request" response"""
    body = request_model(api, FleetSchedulePatchRequest, B_SCH)
    expect_api_error(lambda: api.update_fleet_schedule(id=REPLACE_ME, body=body), 400)


def test_update_a_schedule_returns_not_found_response(api):
    """Update a schedule returns "Not Found" response"""
    body = request_model(api, FleetSchedulePatchRequest, B_SCH)
    expect_api_error(lambda: api.update_fleet_schedule(id=UNKNOWN_ID, body=body), 404)


def test_update_a_schedule_returns_ok_response(api, undo):
    """Update a schedule returns "OK" response"""
    schedule = there_is_a_valid_fleet_schedule(api, undo)  # REPLACE.ME upstream: a schedule of this scenario

    data = succeeds(
        api.update_fleet_schedule(id=schedule.id, body=request_model(api, FleetSchedulePatchRequest, B_SCH)), 200
    )

    assert data.data.attributes.name == "Weekly Production Agent Updates"


# ---------------------------------------------------------------------------------------------
# CreateFleetDeploymentUpgradeV2
# ---------------------------------------------------------------------------------------------


def test_upgrade_hosts_returns_bad_request_response(server, api):
    """Upgrade hosts returns "Bad Request" response"""
    body = filled(B2_UPG_BAD)
    # target_packages is required by the client's model: 2.62.0 cannot build this body ...
    with pytest.raises(TypeError):
        request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, body)
    # ... so it goes over raw HTTP, as another client could send it.
    http(server.url, "POST", "/api/v2/fleet/deployments/upgrade", body).assert_error(400)


def test_upgrade_hosts_returns_created_response(api, undo):
    """Upgrade hosts returns "CREATED" response"""
    result = api.create_fleet_deployment_upgrade_v2(
        body=request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, filled(B2_UPG))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment_v2(deployment_id=data.id))
    assert data.attributes.target_versions == ["7.52.0"] and data.attributes.total_hosts == 7


def test_upgrade_hosts_returns_conflict_response(api, undo):
    """Upgrade hosts returns "Conflict" response"""
    there_is_a_valid_package_deployment(api, undo)

    expect_api_error(
        lambda: api.create_fleet_deployment_upgrade_v2(
            body=request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, filled(B2_UPG))
        ),
        409,
    )
