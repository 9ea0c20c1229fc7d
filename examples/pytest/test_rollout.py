"""What an integration test of code that drives Datadog Fleet Automation looks like, with FleetMock.

Each test gets a fresh org (`fleetmock_org`): its own hosts, deployments, clock and rate limits,
so the tests run in any order and in parallel (`pytest -n 2`). The bundled fleet has 48 hosts
tagged env:prod; two of them (checkout-prod-01, web-frontend-prod-01) fail every operation, and two
already run the target 7.53.0, so an upgrade skips them (it never moves a host down or to the
version it has).
"""

from collections import Counter

import pytest
from datadog_api_client.exceptions import ApiException

PROD_SCHEDULE = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"  # "Weekly production Agent upgrades": env:prod
PROD_HOSTS = 48
FAILING_PROD_HOSTS = {"checkout-prod-01", "web-frontend-prod-01"}
ALREADY_AT_TARGET = 2  # prod hosts on 7.53.0: skipped by the upgrade
FINISHED = {"succeeded", "failed", "canceled"}


def statuses(deployment) -> Counter:
    """How many hosts of a deployment are in each status."""
    return Counter(host.status for host in deployment.hosts)


def wait_until_finished(fleet, fleetmock_org, deployment_id: str, step: float = 60, limit: int = 60):
    """Polls the deployment, advancing simulated time between polls, until it has finished."""
    for _ in range(limit):
        deployment = fleet.get_fleet_deployment_v2(deployment_id=deployment_id).data.attributes
        if deployment.high_level_status in FINISHED:
            return deployment
        fleetmock_org.advance(step)
    pytest.fail(f"deployment {deployment_id} still {deployment.high_level_status}")


def test_trigger_creates_a_pending_deployment(fleet, fleetmock_org):
    created = fleet.trigger_fleet_schedule(id=PROD_SCHEDULE).data

    assert created.attributes.high_level_status == "pending"
    assert created.attributes.filter_query == "env:prod"
    assert len(created.attributes.hosts) == PROD_HOSTS
    detail = fleet.get_fleet_deployment_v2(deployment_id=created.id).data.attributes
    assert detail.total_hosts == PROD_HOSTS
    assert detail.target_versions == ["7.53.0"]
    # The clock has not moved yet: every host to upgrade waits; those already on 7.53.0 are skipped.
    assert statuses(detail) == {"pending": PROD_HOSTS - ALREADY_AT_TARGET, "skipped": ALREADY_AT_TARGET}
    assert detail.skipped_hosts == ALREADY_AT_TARGET


def test_advancing_time_runs_the_rollout_to_its_end(fleet, fleetmock_org):
    deployment_id = fleet.trigger_fleet_schedule(id=PROD_SCHEDULE).data.id

    fleetmock_org.advance(30)
    early = fleet.get_fleet_deployment_v2(deployment_id=deployment_id).data.attributes
    assert early.high_level_status == "running"
    assert early.running_hosts > 0

    done = wait_until_finished(fleet, fleetmock_org, deployment_id)
    assert done.high_level_status == "failed"  # any failed host fails the deployment
    failed = {host.hostname for host in done.hosts if host.status == "failed"}
    assert failed == FAILING_PROD_HOSTS
    assert done.succeeded_hosts == PROD_HOSTS - len(FAILING_PROD_HOSTS) - ALREADY_AT_TARGET
    for host in done.hosts:
        expected = "7.53.0" if host.status == "succeeded" else host.versions[0].initial_version
        assert host.versions[0].current_version == expected


def test_cancel_halfway_stops_the_hosts_not_yet_upgraded(fleet, fleetmock_org):
    deployment_id = fleet.trigger_fleet_schedule(id=PROD_SCHEDULE).data.id
    fleetmock_org.advance(120)
    before = statuses(fleet.get_fleet_deployment_v2(deployment_id=deployment_id).data.attributes)
    assert before["succeeded"] > 0 and before["pending"] > 0  # halfway

    reply = fleet.cancel_fleet_deployment_v2(deployment_id=deployment_id).data.attributes
    assert reply.status == "canceled"

    right_after = fleet.get_fleet_deployment_v2(deployment_id=deployment_id).data.attributes
    assert right_after.high_level_status == "canceled"
    assert statuses(right_after)["pending"] == 0  # hosts in flight ("running") still finish

    fleetmock_org.advance(600)
    after = fleet.get_fleet_deployment_v2(deployment_id=deployment_id).data.attributes
    counts = statuses(after)
    assert counts["pending"] == counts["running"] == 0
    assert counts["canceled"] == after.canceled_hosts > 0
    assert counts["succeeded"] >= before["succeeded"]
    for host in after.hosts:
        if host.status == "canceled":  # nothing applied is rolled back, nothing new is applied
            assert host.versions[0].current_version == host.versions[0].initial_version

    with pytest.raises(ApiException) as error:  # a finished deployment cannot be canceled again
        fleet.cancel_fleet_deployment_v2(deployment_id=deployment_id)
    assert error.value.status == 400


def test_the_journal_shows_what_the_client_sent(fleet, fleetmock_org):
    deployment_id = fleet.trigger_fleet_schedule(id=PROD_SCHEDULE).data.id
    fleet.cancel_fleet_deployment_v2(deployment_id=deployment_id)

    triggers = fleetmock_org.requests("TriggerFleetSchedule")
    assert len(triggers) == 1
    assert triggers[0]["method"] == "POST"
    assert triggers[0]["path"] == f"/api/unstable/fleet/schedules/{PROD_SCHEDULE}/trigger"
    assert triggers[0]["status"] == 201
    assert [entry["operation"] for entry in fleetmock_org.requests()] == [
        "TriggerFleetSchedule", "CancelFleetDeploymentV2"]


def test_each_test_starts_from_a_fresh_org(fleet, fleetmock_org):
    # Other tests triggered deployments on the same server; none of them is visible here.
    assert fleet.list_fleet_deployments_v2().data == []
    assert fleetmock_org.requests() == [e for e in fleetmock_org.requests() if e["org"] == fleetmock_org.id]
    assert len(fleetmock_org.requests()) == 1  # the list call above


def test_immediate_progress_finishes_within_the_trigger(fleet, fleetmock_org):
    fleetmock_org.progress("immediate")  # every host operation completes at once

    created = fleet.trigger_fleet_schedule(id=PROD_SCHEDULE).data.attributes
    assert created.high_level_status == "failed"
    assert statuses(created) == {
        "succeeded": PROD_HOSTS - len(FAILING_PROD_HOSTS) - ALREADY_AT_TARGET,
        "failed": len(FAILING_PROD_HOSTS),
        "skipped": ALREADY_AT_TARGET,
    }
