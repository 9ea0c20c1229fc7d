"""The 45 scenarios of fleet_automation.unstable.feature (datadog-api-client 2.57.0's BDD suite for
Fleet Automation), one test each, named after the scenario, through datadog-api-client 2.57.0.

Each test sends the scenario's request and expects its status. What the upstream scenarios leave
to the live Datadog account is filled in from FleetMock's fixtures:
- `REPLACE.ME` path parameters stay as they are where a 400 is expected (not hex digits and
  dashes, so malformed), become a well-formed unknown id where a 404 is expected, and a real id
  (fixture schedule or agent, or one a given step created) where a success is expected.
- Given steps use the 2.57.0 given.json bodies with `service:{{ unique_lower }}` replaced by a
  fixture service: a query matching no host cannot make a deployment.
- B-cfg and B-upg target `env:prod AND service:web`; the fixture has web-frontend and web-api but
  no `web` service, so the CREATED scenarios use `service:web-*`.
- Several "Bad Request" scenarios send the very body or request of their success scenario
  upstream (generated from the spec's examples). Those send a variant that is actually bad, each
  saying how it differs.
- A few statuses cannot come from FleetMock for the scenario's request (a 404 from a list without
  path ids, a 400 from an operation without parameters). Those tests send the request, check the
  answer FleetMock does give, and skip with the reason.

Created deployments and schedules are undone after each scenario, as the client's BDD runner does
(undo.json), so scenarios share the module's server.
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from datadog_api_client.v2.model.fleet_deployment_configure_create_request import (
    FleetDeploymentConfigureCreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_package_upgrade_create_request import (
    FleetDeploymentPackageUpgradeCreateRequest,
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
    is_uuid,
    request_model,
)

REPLACE_ME = "REPLACE.ME"
UNIQUE_LOWER = "checkout"  # stands for `{{ unique_lower }}`: `env:prod AND service:checkout` has 7 hosts
AGENT_WITH_TRACER = HOSTS_BY_NAME["checkout-dev-01"]["agent_key"]

# Bodies as the feature file writes them.
B_CFG = {
    "data": {
        "attributes": {
            "config_operations": [
                {
                    "file_op": "merge-patch",
                    "file_path": "/datadog.yaml",
                    "patch": {"apm_config": {"enabled": True}, "log_level": "debug", "logs_enabled": True},
                }
            ],
            "filter_query": "env:prod AND service:web",
        },
        "type": "deployment",
    }
}
B_UPG = {
    "data": {
        "attributes": {
            "filter_query": "env:prod AND service:web",
            "target_packages": [{"name": "datadog-agent", "version": "7.52.0"}],
        },
        "type": "deployment",
    }
}
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
# 2.57.0 given.json bodies.
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


def web_services(body: dict) -> dict:
    """B-cfg / B-upg aimed at hosts that exist: `service:web` becomes `service:web-*`."""
    body = copy.deepcopy(body)
    attributes = body["data"]["attributes"]
    attributes["filter_query"] = attributes["filter_query"].replace("service:web", "service:web-*")
    return body


def given_body(body: dict) -> dict:
    """A given step's body with its placeholders filled: `{{ unique }}` a fresh name,
    `{{ unique_lower }}` a fixture service."""
    unique = f"Fleetmock_{uuid.uuid4().hex[:12]}"
    text = json.dumps(body).replace("{{ unique_lower }}", UNIQUE_LOWER).replace("{{ unique }}", unique)
    return json.loads(text)


def unreachable(status: int, why: str) -> None:
    pytest.skip(f"upstream expects HTTP {status}; FleetMock cannot give it for this request: {why}")


# Given steps (called with the module's with_http_info client), with their undo.


def there_is_a_valid_deployment(api, undo):
    result = api.create_fleet_deployment_configure(
        body=request_model(api, FleetDeploymentConfigureCreateRequest, given_body(GIVEN_DEPLOYMENT))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment(deployment_id=data.id))
    return data


def there_is_a_valid_fleet_schedule(api, undo):
    result = api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, given_body(GIVEN_SCHEDULE)))
    data = succeeds(result, 201).data
    undo(lambda: api.delete_fleet_schedule(id=data.id))
    return data


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


# ---------------------------------------------------------------------------------------------
# CancelFleetDeployment
# ---------------------------------------------------------------------------------------------


def test_cancel_a_deployment_returns_bad_request_response(api):
    """Cancel a deployment returns "Bad Request" response"""
    expect_api_error(lambda: api.cancel_fleet_deployment(deployment_id=REPLACE_ME), 400)


def test_cancel_a_deployment_returns_deployment_successfully_canceled_response(api, undo):
    """Cancel a deployment returns "Deployment successfully canceled." response"""
    deployment = there_is_a_valid_deployment(api, undo)

    assert succeeds(api.cancel_fleet_deployment(deployment_id=deployment.id), 204) is None


def test_cancel_a_deployment_returns_not_found_response(api):
    """Cancel a deployment returns "Not Found" response"""
    expect_api_error(lambda: api.cancel_fleet_deployment(deployment_id=UNKNOWN_ID), 404)


# ---------------------------------------------------------------------------------------------
# CreateFleetDeploymentConfigure
# ---------------------------------------------------------------------------------------------


def test_create_a_configuration_deployment_returns_bad_request_response(api):
    """Create a configuration deployment returns "Bad Request" response"""
    # Upstream sends B-cfg, the CREATED scenario's body. Variant: file_op "replace", which is
    # not merge-patch or delete (2.57.0 sends an unknown enum value unchecked).
    body = web_services(B_CFG)
    body["data"]["attributes"]["config_operations"][0]["file_op"] = "replace"
    expect_api_error(
        lambda: api.create_fleet_deployment_configure(
            body=request_model(api, FleetDeploymentConfigureCreateRequest, body)
        ),
        400,
    )


def test_create_a_configuration_deployment_returns_created_response(api, undo):
    """Create a configuration deployment returns "CREATED" response"""
    result = api.create_fleet_deployment_configure(
        body=request_model(api, FleetDeploymentConfigureCreateRequest, web_services(B_CFG))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment(deployment_id=data.id))
    assert is_uuid(data.id) and data.attributes.total_hosts == 14


# ---------------------------------------------------------------------------------------------
# CreateFleetSchedule
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
# DeleteFleetSchedule
# ---------------------------------------------------------------------------------------------


def test_delete_a_schedule_returns_bad_request_response(api):
    """Delete a schedule returns "Bad Request" response"""
    expect_api_error(lambda: api.delete_fleet_schedule(id=REPLACE_ME), 400)


def test_delete_a_schedule_returns_not_found_response(api):
    """Delete a schedule returns "Not Found" response"""
    expect_api_error(lambda: api.delete_fleet_schedule(id=UNKNOWN_ID), 404)


def test_delete_a_schedule_returns_schedule_successfully_deleted_response(api, undo):
    """Delete a schedule returns "Schedule successfully deleted." response"""
    schedule = there_is_a_valid_fleet_schedule(api, undo)

    assert succeeds(api.delete_fleet_schedule(id=schedule.id), 204) is None


# ---------------------------------------------------------------------------------------------
# GetFleetDeployment
# ---------------------------------------------------------------------------------------------


def test_get_a_configuration_deployment_by_id_returns_bad_request_response(api):
    """Get a configuration deployment by ID returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_deployment(deployment_id=REPLACE_ME), 400)


def test_get_a_configuration_deployment_by_id_returns_not_found_response(api):
    """Get a configuration deployment by ID returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_deployment(deployment_id=UNKNOWN_ID), 404)


def test_get_a_configuration_deployment_by_id_returns_ok_response(api, undo):
    """Get a configuration deployment by ID returns "OK" response"""
    deployment = there_is_a_valid_deployment(api, undo)  # REPLACE.ME upstream: a configuration deployment here

    data = succeeds(api.get_fleet_deployment(deployment_id=deployment.id), 200)

    assert data.data.id == deployment.id and data.data.attributes.config_operations


def test_get_a_deployment_by_id_returns_ok_response(api, undo):
    """Get a deployment by ID returns "OK" response"""
    deployment = there_is_a_valid_deployment(api, undo)

    data = succeeds(api.get_fleet_deployment(deployment_id=deployment.id), 200)

    assert data.data.attributes.filter_query == f"env:prod AND service:{UNIQUE_LOWER}"


# ---------------------------------------------------------------------------------------------
# GetFleetSchedule
# ---------------------------------------------------------------------------------------------


def test_get_a_schedule_by_id_returns_bad_request_response(api):
    """Get a schedule by ID returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_schedule(id=REPLACE_ME), 400)


def test_get_a_schedule_by_id_returns_not_found_response(api):
    """Get a schedule by ID returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_schedule(id=UNKNOWN_ID), 404)


def test_get_a_schedule_by_id_returns_ok_response(api, undo):
    """Get a schedule by ID returns "OK" response"""
    schedule = there_is_a_valid_fleet_schedule(api, undo)

    # Upstream passes REPLACE.ME although the given step created a schedule (a bug in the
    # feature file): the created schedule's id is what the scenario means.
    data = succeeds(api.get_fleet_schedule(id=schedule.id), 200)

    assert data.data.id == schedule.id


# ---------------------------------------------------------------------------------------------
# GetFleetAgentInfo
# ---------------------------------------------------------------------------------------------


def test_get_detailed_information_about_an_agent_returns_bad_request_response(api):
    """Get detailed information about an agent returns "Bad Request" response"""
    expect_api_error(lambda: api.get_fleet_agent_info(agent_key=REPLACE_ME), 400)


def test_get_detailed_information_about_an_agent_returns_not_found_response(api):
    """Get detailed information about an agent returns "Not Found" response"""
    expect_api_error(lambda: api.get_fleet_agent_info(agent_key=UNKNOWN_ID), 404)


def test_get_detailed_information_about_an_agent_returns_ok_response(api):
    """Get detailed information about an agent returns "OK" response"""
    data = succeeds(api.get_fleet_agent_info(agent_key=AGENT_WITH_TRACER), 200)

    assert data.data.attributes.agent_infos.hostname == "checkout-dev-01"


# ---------------------------------------------------------------------------------------------
# ListFleetAgents
# ---------------------------------------------------------------------------------------------


def test_list_all_datadog_agents_returns_bad_request_response(api):
    """List all Datadog Agents returns "Bad Request" response"""
    # Upstream sends no parameter at all, as in the OK scenario. Variant: an unsupported sort_attribute.
    expect_api_error(lambda: api.list_fleet_agents(sort_attribute="not_an_attribute"), 400)


def test_list_all_datadog_agents_returns_not_found_response(api):
    """List all Datadog Agents returns "Not Found" response"""
    succeeds(api.list_fleet_agents(), 200)
    unreachable(404, "ListFleetAgents has no path id, and the fleet always exists")


def test_list_all_datadog_agents_returns_ok_response(api):
    """List all Datadog Agents returns "OK" response"""
    data = succeeds(api.list_fleet_agents(), 200)

    assert data.meta.total_filtered_count == len(FLEET["hosts"])


# ---------------------------------------------------------------------------------------------
# ListFleetAgentVersions
# ---------------------------------------------------------------------------------------------


def test_list_all_available_agent_versions_returns_bad_request_response(api):
    """List all available Agent versions returns "Bad Request" response"""
    succeeds(api.list_fleet_agent_versions(), 200)
    unreachable(400, "ListFleetAgentVersions takes no parameter, so no request to it is malformed")


def test_list_all_available_agent_versions_returns_not_found_response(api):
    """List all available Agent versions returns "Not Found" response"""
    succeeds(api.list_fleet_agent_versions(), 200)
    unreachable(404, "the catalogue always holds the Agent package (Fixtures/fleet.json agent_versions)")


def test_list_all_available_agent_versions_returns_ok_response(api):
    """List all available Agent versions returns "OK" response"""
    data = succeeds(api.list_fleet_agent_versions(), 200)

    assert [item.id for item in data.data] == FLEET["agent_versions"]


# ---------------------------------------------------------------------------------------------
# ListFleetDeployments
# ---------------------------------------------------------------------------------------------


def test_list_all_deployments_returns_bad_request_response(api):
    """List all deployments returns "Bad Request" response"""
    # Upstream sends no parameter, as in the OK scenario. Variant: page_size=0 (the client
    # enforces only the maximum, FleetMock wants 1..100).
    expect_api_error(lambda: api.list_fleet_deployments(page_size=0), 400)


def test_list_all_deployments_returns_ok_response(api):
    """List all deployments returns "OK" response"""
    succeeds(api.list_fleet_deployments(), 200)


# ---------------------------------------------------------------------------------------------
# ListFleetTracers
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
# ListFleetSchedules
# ---------------------------------------------------------------------------------------------


def test_list_all_schedules_returns_bad_request_response(api):
    """List all schedules returns "Bad Request" response"""
    succeeds(api.list_fleet_schedules(), 200)
    unreachable(400, "ListFleetSchedules takes no parameter, so no request to it is malformed")


def test_list_all_schedules_returns_ok_response(api):
    """List all schedules returns "OK" response"""
    data = succeeds(api.list_fleet_schedules(), 200)

    assert SCHEDULE_PROD in {item.id for item in data.data}


# ---------------------------------------------------------------------------------------------
# ListFleetAgentTracers
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
# TriggerFleetSchedule
# ---------------------------------------------------------------------------------------------


def test_trigger_a_schedule_deployment_returns_bad_request_response(api):
    """Trigger a schedule deployment returns "Bad Request" response"""
    expect_api_error(lambda: api.trigger_fleet_schedule(id=REPLACE_ME), 400)


def test_trigger_a_schedule_deployment_returns_created_deployment_successfully_created_and_started_response(api, undo):
    """Trigger a schedule deployment returns "CREATED - Deployment successfully created and started." response"""
    data = succeeds(api.trigger_fleet_schedule(id=SCHEDULE_PROD), 201).data
    undo(lambda: api.cancel_fleet_deployment(deployment_id=data.id))

    assert enum_value(data.type) == "deployment" and data.attributes.total_hosts == 48


def test_trigger_a_schedule_deployment_returns_not_found_response(api):
    """Trigger a schedule deployment returns "Not Found" response"""
    expect_api_error(lambda: api.trigger_fleet_schedule(id=UNKNOWN_ID), 404)


# ---------------------------------------------------------------------------------------------
# UpdateFleetSchedule
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
# CreateFleetDeploymentUpgrade
# ---------------------------------------------------------------------------------------------


def test_upgrade_hosts_returns_bad_request_response(api):
    """Upgrade hosts returns "Bad Request" response"""
    # Upstream sends B-upg, the CREATED scenario's body. Variant: 7.99.0 is not in the catalogue.
    body = web_services(B_UPG)
    body["data"]["attributes"]["target_packages"][0]["version"] = "7.99.0"
    expect_api_error(
        lambda: api.create_fleet_deployment_upgrade(
            body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, body)
        ),
        400,
    )


def test_upgrade_hosts_returns_created_response(api, undo):
    """Upgrade hosts returns "CREATED" response"""
    result = api.create_fleet_deployment_upgrade(
        body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, web_services(B_UPG))
    )
    data = succeeds(result, 201).data
    undo(lambda: api.cancel_fleet_deployment(deployment_id=data.id))
    assert [(package.name, package.version) for package in data.attributes.packages] == [("datadog-agent", "7.52.0")]


def test_upgrade_hosts_returns_not_found_response(api):
    """Upgrade hosts returns "Not Found" response"""
    unreachable(404, "CreateFleetDeploymentUpgrade has no path id; a body naming unknown things is a 400")
