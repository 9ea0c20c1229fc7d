"""The /api/v2/fleet surface, and the unstable operations 2.62.0 still has, through
datadog-api-client 2.62.0 (run.sh runs test_v2_*.py with it).

V1-V10: ListFleetAgentVersionsV2, ListFleetAgentsV2, GetFleetAgentDetailV2, ListFleetDeploymentsV2,
CreateFleetDeploymentConfigureV2 (dry run included), CreateFleetDeploymentUpgradeV2 (409 included),
GetFleetDeploymentV2, CancelFleetDeploymentV2, ListFleetSchedulesV2, GetFleetScheduleV2. Unstable in
2.62.0: CreateFleetSchedule, UpdateFleetSchedule, DeleteFleetSchedule, TriggerFleetSchedule,
ListFleetTracers, ListFleetAgentTracers. Both surfaces share one state: the cross-surface tests
reach the unstable deployment routes 2.62.0 no longer has with raw HTTP (support.http).

Every successful response is walked in full (support.assert_deep_parsed). Tests that move the
clock, count deployments or need hosts free of other upgrades (the 409 rule) use a server of their
own; the others share the module's server and only add to it.
"""

from __future__ import annotations

import re

import pytest
from datadog_api_client.exceptions import ApiValueError
from datadog_api_client.v2.model.fleet_deployment_configure_v2_create_request import (
    FleetDeploymentConfigureV2CreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_configure_v2_dry_run_response import (
    FleetDeploymentConfigureV2DryRunResponse,
)
from datadog_api_client.v2.model.fleet_deployment_package_upgrade_v2_create_request import (
    FleetDeploymentPackageUpgradeV2CreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_response import FleetDeploymentResponse
from datadog_api_client.v2.model.fleet_deployment_v2_cancel_response import FleetDeploymentV2CancelResponse
from datadog_api_client.v2.model.fleet_deployment_v2_create_response import FleetDeploymentV2CreateResponse
from datadog_api_client.v2.model.fleet_deployment_v2_detail_response import FleetDeploymentV2DetailResponse
from datadog_api_client.v2.model.fleet_schedule_create_request import FleetScheduleCreateRequest
from datadog_api_client.v2.model.fleet_schedule_patch_request import FleetSchedulePatchRequest
from datadog_api_client.v2.model.fleet_schedule_response import FleetScheduleResponse

from support import (
    AGENT_PACKAGE,
    ClientFactory,
    DEMO_OWNER,
    FLEET,
    FleetMock,
    HOSTS_BY_NAME,
    READONLY_APP_KEY,
    SCHEDULE_PROD,
    SCHEDULE_SANDBOX,
    SCHEDULE_STAGING,
    THREE_HOURS,
    UNKNOWN_AGENT_KEY_V2,
    UNKNOWN_ID,
    UPGRADE_APP_KEY,
    advance_clock,
    assert_deep_parsed,
    enum_value,
    error_text,
    expect_api_error,
    expected_target_version,
    fixture_schedule,
    fixture_tracers,
    hostnames_matching,
    http,
    is_uuid,
    read_clock,
    request_model,
    rfc3339,
    tag_pairs,
    tag_values,
    version_key,
)

ALL_HOSTNAMES = sorted(HOSTS_BY_NAME)
SEARCH_QA = "env:qa AND service:search"  # 2 hosts, none failing
KAFKA_DEV = "service:kafka AND env:dev"  # 3 hosts, each with /conf.d/kafka.d/conf.yaml
CHECKOUT_PROD = "env:prod AND service:checkout"  # 7 hosts, checkout-prod-01 fails every operation
NO_HOST = "env:prod AND service:nothing-runs-this"
MALFORMED_IDS = ("not-a-valid-deployment-id", "REPLACE.ME", "abc-def-ghi")
WELL_FORMED_UNKNOWN_IDS = ("000-000-000", UNKNOWN_ID)
UNCHECKED = "minimum,maximum"
LOG_LEVEL_DEBUG = {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "debug"}}
UNSTABLE_DEPLOYMENTS = "/api/unstable/fleet/deployments"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def configure_body(query: str, *operations: dict, dry_run: bool | None = None) -> dict:
    attributes: dict = {"filter_query": query, "config_operations": list(operations or (LOG_LEVEL_DEBUG,))}
    if dry_run is not None:
        attributes["dry_run"] = dry_run
    return {"data": {"type": "deployment", "attributes": attributes}}


def upgrade_body(query: str, version: str = "7.52.1") -> dict:
    return {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": query, "target_packages": [{"name": AGENT_PACKAGE, "version": version}]},
        }
    }


def schedule_body(**attributes) -> dict:
    base = {
        "name": "Nightly search upgrades",
        "query": SEARCH_QA,
        "status": "active",
        "version_to_latest": 0,
        "rule": {
            "days_of_week": ["Tue", "Thu"],
            "start_maintenance_window": "03:30",
            "maintenance_window_duration": 90,
            "timezone": "Europe/Paris",
        },
    }
    base.update(attributes)
    return {"data": {"type": "schedule", "attributes": base}}


def configure_v2(api, body: dict):
    response = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, body)
    )
    assert_deep_parsed(response)
    return response


def upgrade_v2(api, body: dict):
    response = api.create_fleet_deployment_upgrade_v2(
        body=request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, body)
    )
    assert_deep_parsed(response)
    return response


def detail(api, deployment_id: str):
    response = api.get_fleet_deployment_v2(deployment_id=deployment_id)
    assert isinstance(response, FleetDeploymentV2DetailResponse)
    assert_deep_parsed(response)
    return response.data.attributes


def deployments_v2(api, **query):
    response = api.list_fleet_deployments_v2(**query)
    assert_deep_parsed(response)
    return response


def all_agents_v2(api, **query) -> list:
    agents: list = []
    page = 0
    while True:
        response = api.list_fleet_agents_v2(page_number=page, page_size=100, **query)
        assert_deep_parsed(response)
        agents.extend(response.data)
        if len(agents) >= response.meta.page.total_filtered_count or not response.data:
            return agents
        page += 1
        assert page < 100, "agent paging does not end"


def hosts_by_name(attributes) -> dict:
    return {host.hostname: host for host in attributes.hosts}


def now_seconds(url: str) -> int:
    return read_clock(url)["now_unix_ms"] // 1000


def assert_non_decreasing(values: list, what: str) -> None:
    for index in range(1, len(values)):
        assert values[index - 1] <= values[index], (
            f"{what} out of order at {index}: {values[index - 1]!r} > {values[index]!r}"
        )


# ---------------------------------------------------------------------------------------------
# V1 ListFleetAgentVersionsV2
# ---------------------------------------------------------------------------------------------


def test_list_agent_versions_v2_is_the_catalogue_newest_first(server, clients):
    response, status, _ = clients.with_http_info(server.url).list_fleet_agent_versions_v2()

    assert status == 200
    assert_deep_parsed(response)
    assert [item.id for item in response.data] == FLEET["agent_versions"]
    assert [item.attributes.version for item in response.data] == FLEET["agent_versions"]
    assert FLEET["agent_versions"] == sorted(FLEET["agent_versions"], key=version_key, reverse=True)
    assert all(enum_value(item.type) == "agent_version" for item in response.data)
    assert response.meta.page.total_count == len(FLEET["agent_versions"]) == 14


# ---------------------------------------------------------------------------------------------
# V2 ListFleetAgentsV2
# ---------------------------------------------------------------------------------------------


def test_list_agents_v2_default_page(server, clients):
    response, status, _ = clients.with_http_info(server.url).list_fleet_agents_v2()

    assert status == 200
    assert_deep_parsed(response)
    assert [agent.attributes.hostname for agent in response.data] == ALL_HOSTNAMES[:10]
    assert (response.meta.page.total_count, response.meta.page.total_filtered_count) == (120, 120)


def test_list_agents_v2_attributes_come_from_the_fixtures(api):
    agents = all_agents_v2(api)

    assert sorted(agent.attributes.hostname for agent in agents) == ALL_HOSTNAMES
    for agent in agents:
        host = HOSTS_BY_NAME[agent.attributes.hostname]
        attributes = agent.attributes
        assert agent.id == host["agent_key"]
        assert enum_value(agent.type) == "agent"
        assert attributes.agent_version == host["packages"][AGENT_PACKAGE]
        assert attributes.env == tag_values(host, "env")
        assert attributes.services == tag_values(host, "service")
        assert attributes.team == tag_values(host, "team")[0]
        assert [(tag.key, tag.value) for tag in attributes.tags] == tag_pairs(host)
        assert (attributes.first_seen_at, attributes.last_restart_at) == (
            host["attributes"]["first_seen_at"],
            host["attributes"]["last_restart_at"],
        )
        assert "datadog_agent_key" not in attributes and "envs" not in attributes, "v2 renamed these"


def test_list_agents_v2_tags_choose_tag_keys_without_filtering(api):
    agents = all_agents_v2(api, tags="env,team")

    assert len(agents) == 120, "v2 tags select tag keys; every agent is still listed"
    for agent in agents:
        host = HOSTS_BY_NAME[agent.attributes.hostname]
        expected = [(key, value) for key, value in tag_pairs(host) if key in ("env", "team")]
        assert [(tag.key, tag.value) for tag in agent.attributes.tags] == expected
    response = api.list_fleet_agents_v2(tags="env,team", page_size=1)
    assert (response.meta.page.total_count, response.meta.page.total_filtered_count) == (120, 120)


def test_list_agents_v2_tags_with_an_unknown_key_give_empty_tag_lists(api):
    response = api.list_fleet_agents_v2(tags="no-such-key", page_size=100)

    assert_deep_parsed(response)
    assert len(response.data) == 100
    for agent in response.data:
        assert agent.attributes.tags == [], "tags is an empty array, not absent"


@pytest.mark.parametrize(
    "query",
    [CHECKOUT_PROD, "hostname:kafka-dev-01", "hostname:my-hostname OR env:dev", "service:web-* AND region:us-east-1"],
)
def test_list_agents_v2_filter(api, query):
    expected = sorted(hostnames_matching(query))

    agents = all_agents_v2(api, filter=query)

    assert [agent.attributes.hostname for agent in agents] == expected
    response = api.list_fleet_agents_v2(filter=query, page_size=1)
    assert (response.meta.page.total_count, response.meta.page.total_filtered_count) == (120, len(expected))


@pytest.mark.parametrize("attribute", ["hostname", "agent_version", "team", "first_seen_at"])
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_list_agents_v2_sort(api, attribute, descending):
    agents = all_agents_v2(api, sort_attribute=attribute, sort_descending=descending)

    keys = [
        version_key(agent.attributes.agent_version) if attribute == "agent_version" else agent.attributes[attribute]
        for agent in agents
    ]
    assert len(keys) == 120
    assert_non_decreasing(list(reversed(keys)) if descending else keys, attribute)


def test_list_agents_v2_rejects_bad_parameters(server, api, clients):
    error = expect_api_error(lambda: api.list_fleet_agents_v2(sort_attribute="datadog_agent_key"), 400)
    assert "hostname" in error_text(error)
    expect_api_error(lambda: api.list_fleet_agents_v2(filter="env:prod AND ("), 400)
    with pytest.raises(ApiValueError):
        api.list_fleet_agents_v2(page_size=101)
    unchecked = clients(server.url, disabled_client_side_validations=UNCHECKED)
    for kwargs in ({"page_size": 0}, {"page_size": 101}, {"page_number": -1}):
        expect_api_error(lambda: unchecked.list_fleet_agents_v2(**kwargs), 400)
    http(server.url, "GET", "/api/v2/fleet/agents?sort_descending=1").assert_error(400)


# ---------------------------------------------------------------------------------------------
# V3 GetFleetAgentDetailV2
# ---------------------------------------------------------------------------------------------

KAFKA_HOST = HOSTS_BY_NAME["kafka-dev-01"]


def test_get_agent_detail_v2_without_include_has_agent_infos_only(server, clients):
    response, status, _ = clients.with_http_info(server.url).get_fleet_agent_detail_v2(
        agent_key=KAFKA_HOST["agent_key"]
    )

    assert status == 200
    assert_deep_parsed(response)
    assert response.data.id == KAFKA_HOST["agent_key"]
    assert enum_value(response.data.type) == "agent"
    attributes = response.data.attributes
    assert "configuration_files" not in attributes and "integrations" not in attributes
    infos = attributes.agent_infos
    assert infos.hostname == "kafka-dev-01"
    assert infos.agent_version == KAFKA_HOST["packages"][AGENT_PACKAGE]
    assert infos.tags == KAFKA_HOST["tags"]
    assert infos.env == ["dev"] and infos.services == ["kafka"]
    for name in ("os", "os_version", "python_version", "ip_addresses", "enabled_products", "first_seen_at"):
        assert infos[name] == KAFKA_HOST["attributes"][name], name


def test_get_agent_detail_v2_include_integrations(api):
    response = api.get_fleet_agent_detail_v2(agent_key=KAFKA_HOST["agent_key"], include="integrations")

    assert_deep_parsed(response)
    attributes = response.data.attributes
    assert "configuration_files" not in attributes
    integrations = attributes.integrations
    assert [item.name for item in integrations.working_integrations] == KAFKA_HOST["attributes"]["integrations"][
        "working"
    ]
    files = {item.file_path: item for item in integrations.configuration_files}
    assert set(files) == {"/conf.d/kafka.d/conf.yaml"}
    assert "port: 9999" in files["/conf.d/kafka.d/conf.yaml"].file_content


def test_get_agent_detail_v2_include_configuration_files(api):
    response = api.get_fleet_agent_detail_v2(agent_key=KAFKA_HOST["agent_key"], include="configuration_files")

    assert_deep_parsed(response)
    attributes = response.data.attributes
    assert "integrations" not in attributes
    layer = attributes.configuration_files.agent_configuration
    assert "log_level: info" in layer.file_configuration
    assert layer.runtime_configuration == layer.compiled_configuration == layer.file_configuration


@pytest.mark.parametrize("include", ["integrations,configuration_files", "configuration_files,integrations,bogus"])
def test_get_agent_detail_v2_include_both(api, include):
    response = api.get_fleet_agent_detail_v2(agent_key=KAFKA_HOST["agent_key"], include=include)

    assert_deep_parsed(response)
    assert "integrations" in response.data.attributes and "configuration_files" in response.data.attributes


def test_get_agent_detail_v2_ignores_unknown_include_values(api):
    response = api.get_fleet_agent_detail_v2(agent_key=KAFKA_HOST["agent_key"], include="bogus,detected_integrations")

    assert_deep_parsed(response)
    assert "integrations" not in response.data.attributes and "configuration_files" not in response.data.attributes
    assert response.data.attributes.agent_infos.hostname == "kafka-dev-01"


@pytest.mark.parametrize(
    "key",
    [
        "not-a-valid-agent-key",
        KAFKA_HOST["agent_key"].upper(),  # hex, but not lower case
        KAFKA_HOST["agent_key"][:31],
        KAFKA_HOST["agent_key"] + "0",
        UNKNOWN_ID,  # a well-formed unstable id, but not 32 hex digits
    ],
    ids=["words", "upper case", "31 digits", "33 digits", "uuid"],
)
def test_get_agent_detail_v2_malformed_key_is_400(api, key):
    expect_api_error(lambda: api.get_fleet_agent_detail_v2(agent_key=key), 400)


def test_get_agent_detail_v2_unknown_key_is_404(api):
    expect_api_error(lambda: api.get_fleet_agent_detail_v2(agent_key=UNKNOWN_AGENT_KEY_V2), 404)


# ---------------------------------------------------------------------------------------------
# V4 ListFleetDeploymentsV2
# ---------------------------------------------------------------------------------------------


def create_three_deployments(url: str, api) -> dict[str, str]:
    """Oldest first: a trigger of the prod schedule (upgrade, 48 hosts), a v2 configure of
    SEARCH_QA (2 hosts), a v2 upgrade of KAFKA_DEV (3 hosts); a second apart, so created_at
    orders them."""
    triggered = api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id
    advance_clock(url, 1)
    configured = configure_v2(api, configure_body(SEARCH_QA)).data.id
    advance_clock(url, 1)
    upgraded = upgrade_v2(api, upgrade_body(KAFKA_DEV)).data.id
    return {"trigger": triggered, "configure": configured, "upgrade": upgraded}


@pytest.fixture(scope="module")
def listing_server(fleetmock_bin, tmp_path_factory):
    """A server of its own holding create_three_deployments' deployments and nothing else, for the
    list tests, which only read it."""
    instance = FleetMock(fleetmock_bin, tmp_path_factory.mktemp("fleetmock-listing") / "state.db").start()
    factory = ClientFactory()
    ids = create_three_deployments(instance.url, factory(instance.url))
    yield instance, factory(instance.url), ids
    factory.close()
    instance.stop_cleanly()


@pytest.fixture
def three_deployments(listing_server):
    return listing_server[2]


@pytest.fixture
def listing_api(listing_server):
    return listing_server[1]


def ids_of(response) -> list[str]:
    return [item.id for item in response.data]


def test_list_deployments_v2_newest_first_with_paging(listing_api, three_deployments):
    newest_first = [three_deployments[name] for name in ("upgrade", "configure", "trigger")]

    everything = deployments_v2(listing_api)
    assert ids_of(everything) == newest_first
    assert (everything.meta.page.total_count, everything.meta.page.total_filtered_count) == (3, 3)

    pages = [deployments_v2(listing_api, page_size=2, page_number=page) for page in range(3)]
    assert [ids_of(page) for page in pages] == [newest_first[:2], newest_first[2:], []]
    assert all(page.meta.page.total_count == 3 for page in pages)
    ignored = deployments_v2(listing_api, ascending=True)
    assert ids_of(ignored) == newest_first, "ascending has no effect without sort"


def test_list_deployments_v2_items_describe_each_deployment(listing_api, three_deployments):
    items = {item.id: item.attributes for item in deployments_v2(listing_api).data}

    triggered = items[three_deployments["trigger"]]
    assert triggered.query == "env:prod" and triggered.total_hosts == 48
    assert triggered.update_type == "update_package"
    assert triggered.target_versions == [expected_target_version(FLEET["agent_versions"], 0)]
    assert (triggered.schedule_id, triggered.is_scheduled) == (SCHEDULE_PROD, True)
    assert "config_operations" not in triggered, "package deployments carry no config_operations"
    configured = items[three_deployments["configure"]]
    assert (configured.query, configured.total_hosts, configured.update_type) == (
        SEARCH_QA,
        2,
        "update_config_operations",
    )
    assert [op.file_path for op in configured.config_operations] == ["/datadog.yaml"]
    assert (configured.schedule_id, configured.is_scheduled) == ("", False)
    upgraded = items[three_deployments["upgrade"]]
    assert (upgraded.query, upgraded.total_hosts, upgraded.target_versions) == (KAFKA_DEV, 3, ["7.52.1"])
    for attributes in items.values():
        assert attributes.author == DEMO_OWNER
        assert attributes.status in ("pending", "running")
        assert attributes.finished_at == attributes.duration_seconds == 0
        if attributes.status == "pending":
            assert attributes.started_at == 0
        assert isinstance(attributes.estimated_finished_at, int)


@pytest.mark.parametrize(
    "sort,ascending,expected",
    [
        ("created_at", True, ["trigger", "configure", "upgrade"]),
        ("created_at", False, ["upgrade", "configure", "trigger"]),
        ("total_hosts", True, ["configure", "upgrade", "trigger"]),
        ("total_hosts", False, ["trigger", "upgrade", "configure"]),
    ],
)
def test_list_deployments_v2_sort(listing_api, three_deployments, sort, ascending, expected):
    response = deployments_v2(listing_api, sort=sort, ascending=ascending)

    assert ids_of(response) == [three_deployments[name] for name in expected]


def test_list_deployments_v2_sort_by_start_date_and_status(fresh_server, fresh_api):
    created = create_three_deployments(fresh_server.url, fresh_api)
    advance_clock(fresh_server.url, 60)
    for sort in ("start_date", "status"):
        for ascending in (True, False):
            response = deployments_v2(fresh_api, sort=sort, ascending=ascending)
            assert sorted(ids_of(response)) == sorted(created.values())
    statuses = [item.attributes.status for item in deployments_v2(fresh_api, sort="status", ascending=True).data]
    assert statuses == sorted(statuses)
    started = [item.attributes.started_at for item in deployments_v2(fresh_api, sort="start_date", ascending=True).data]
    assert [value for value in started if value] == sorted(value for value in started if value)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("update_type:update_package", ["upgrade", "trigger"]),
        ("update_type:update_config_operations", ["configure"]),
        (f"schedule_id:{SCHEDULE_PROD}", ["trigger"]),
        ("status:failed OR status:completed OR status:canceled", []),
        ("status:pending OR status:running", ["upgrade", "configure", "trigger"]),
        ("(status:pending OR status:running) AND update_type:update_config_operations", ["configure"]),
        ('author:"demo@fleetmock.example"', ["upgrade", "configure", "trigger"]),
        ("author:nobody@fleetmock.example", []),
    ],
)
def test_list_deployments_v2_filter(listing_api, three_deployments, query, expected):
    response = deployments_v2(listing_api, filter=query)

    assert ids_of(response) == [three_deployments[name] for name in expected]
    assert (response.meta.page.total_count, response.meta.page.total_filtered_count) == (3, len(expected))


def test_list_deployments_v2_filter_by_each_status_partitions_the_list(fresh_server, fresh_api):
    created = create_three_deployments(fresh_server.url, fresh_api)
    fresh_api.cancel_fleet_deployment_v2(deployment_id=created["configure"])
    in_order = ids_of(deployments_v2(fresh_api))
    status_of = {item.id: item.attributes.status for item in deployments_v2(fresh_api).data}
    assert len(set(status_of.values())) > 1, f"the deployments should be in different states: {status_of}"

    for status in ("pending", "running", "completed", "failed", "canceled"):
        response = deployments_v2(fresh_api, filter=f"status:{status}")
        assert ids_of(response) == [id_ for id_ in in_order if status_of[id_] == status], status


def test_list_deployments_v2_rejects_bad_parameters(server, api, clients):
    expect_api_error(lambda: api.list_fleet_deployments_v2(sort="name"), 400)
    for query in ("env:prod", "hostname:kafka-dev-01", "status:pending AND query:env", "status:(pending"):
        expect_api_error(lambda: api.list_fleet_deployments_v2(filter=query), 400)
    expect_api_error(lambda: api.list_fleet_deployments_v2(page_size=0), 400)  # the client has no minimum
    with pytest.raises(ApiValueError):
        api.list_fleet_deployments_v2(page_size=101)
    with pytest.raises(ApiValueError):
        api.list_fleet_deployments_v2(page_number=-1)
    unchecked = clients(server.url, disabled_client_side_validations=UNCHECKED)
    for kwargs in ({"page_size": 101}, {"page_number": -1}):
        expect_api_error(lambda: unchecked.list_fleet_deployments_v2(**kwargs), 400)
    http(server.url, "GET", "/api/v2/fleet/deployments?sort=created_at&ascending=yes").assert_error(400)


# ---------------------------------------------------------------------------------------------
# V5 CreateFleetDeploymentConfigureV2
# ---------------------------------------------------------------------------------------------


def test_configure_v2_answers_201_and_creates_the_deployment(fresh_server, clients):
    api = clients.with_http_info(fresh_server.url)

    response, status, _ = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, configure_body(CHECKOUT_PROD))
    )

    assert status == 201
    # The client parses 200 and 201 as the dry-run model; a real creation keeps its extra attributes.
    assert isinstance(response, FleetDeploymentConfigureV2DryRunResponse)
    assert_deep_parsed(response)
    data = response.data
    assert is_uuid(data.id) and enum_value(data.type) == "deployment"
    assert data.attributes.query == CHECKOUT_PROD
    assert data.attributes.total_hosts == 7
    assert data.attributes["update_type"] == "update_config_operations"
    assert data.attributes["status"] in ("pending", "running")
    assert data.attributes["author"] == DEMO_OWNER
    assert "dry_run" not in data.attributes

    listed, _, _ = api.list_fleet_deployments_v2()
    assert ids_of(listed) == [data.id]
    created, _, _ = api.get_fleet_deployment_v2(deployment_id=data.id)
    assert_deep_parsed(created)
    assert set(hosts_by_name(created.data.attributes)) == hostnames_matching(CHECKOUT_PROD)


def test_configure_v2_dry_run_answers_200_and_creates_nothing(fresh_server, clients):
    api = clients.with_http_info(fresh_server.url)

    response, status, _ = api.create_fleet_deployment_configure_v2(
        body=request_model(api, FleetDeploymentConfigureV2CreateRequest, configure_body(SEARCH_QA, dry_run=True))
    )

    assert status == 200
    assert_deep_parsed(response)
    data = response.data
    assert (data.id, enum_value(data.type)) == ("dry-run", "deployment")
    assert (data.attributes.query, data.attributes.total_hosts) == (SEARCH_QA, 2)
    assert data.attributes.dry_run.config_validated is True
    assert data.attributes.dry_run.non_upgradable_hosts == 0
    assert "non_upgradable_by_reason" not in data.attributes.dry_run, "absent when every host is eligible"
    listed, _, _ = api.list_fleet_deployments_v2()
    assert listed.data == [] and listed.meta.page.total_count == 0


def test_configure_v2_dry_run_false_creates(fresh_api):
    response = configure_v2(fresh_api, configure_body(SEARCH_QA, dry_run=False))

    assert is_uuid(response.data.id)
    assert deployments_v2(fresh_api).meta.page.total_count == 1


def test_configure_v2_rollout_changes_the_agent_configuration(fresh_server, fresh_api):
    patch = {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "warn", "apm_config": None}}
    deployment_id = configure_v2(fresh_api, configure_body(SEARCH_QA, patch)).data.id

    advance_clock(fresh_server.url, THREE_HOURS)

    assert detail(fresh_api, deployment_id).high_level_status == "completed"
    for hostname in hostnames_matching(SEARCH_QA):
        response = fresh_api.get_fleet_agent_detail_v2(
            agent_key=HOSTS_BY_NAME[hostname]["agent_key"], include="configuration_files"
        )
        assert_deep_parsed(response)
        text = response.data.attributes.configuration_files.agent_configuration.file_configuration
        assert "log_level: warn" in text and "apm_config" not in text, f"{hostname}:\n{text}"


CONFIGURE_V2_BAD_BODIES = {
    # The client's model requires filter_query and config_operations: only raw HTTP can leave them out.
    "no filter_query": {"data": {"type": "deployment", "attributes": {"config_operations": [LOG_LEVEL_DEBUG]}}},
    "no config_operations": {"data": {"type": "deployment", "attributes": {"filter_query": SEARCH_QA}}},
    "filter matching no host": configure_body(NO_HOST),
    "dry run matching no host": configure_body(NO_HOST, dry_run=True),
    "dry run with a relative file_path": configure_body(
        SEARCH_QA, {"file_op": "merge-patch", "file_path": "datadog.yaml", "patch": {}}, dry_run=True
    ),
    "unknown file_op": configure_body(SEARCH_QA, {"file_op": "replace", "file_path": "/datadog.yaml", "patch": {}}),
    "dry_run not a boolean": configure_body(SEARCH_QA, dry_run="yes"),  # type: ignore[arg-type]
    "unparsable filter_query": configure_body("env:qa AND ("),
    "not JSON": b"{",
}


@pytest.mark.parametrize("body", list(CONFIGURE_V2_BAD_BODIES.values()), ids=list(CONFIGURE_V2_BAD_BODIES))
def test_configure_v2_rejects_a_bad_body_and_creates_nothing(server, api, body):
    before = deployments_v2(api, page_size=1).meta.page.total_count

    response = http(server.url, "POST", "/api/v2/fleet/deployments/configure", body)

    response.assert_error(400)
    assert deployments_v2(api, page_size=1).meta.page.total_count == before


def test_configure_v2_filter_matching_no_host_says_so(api):
    error = expect_api_error(lambda: configure_v2(api, configure_body(NO_HOST)), 400)

    assert "matches no host" in error_text(error)


# ---------------------------------------------------------------------------------------------
# V6 CreateFleetDeploymentUpgradeV2
# ---------------------------------------------------------------------------------------------


def test_upgrade_v2_answers_201_with_the_new_deployment(fresh_server, clients):
    api = clients.with_http_info(fresh_server.url)

    response, status, _ = api.create_fleet_deployment_upgrade_v2(
        body=request_model(api, FleetDeploymentPackageUpgradeV2CreateRequest, upgrade_body(CHECKOUT_PROD, "7.52.0"))
    )

    assert status == 201
    assert isinstance(response, FleetDeploymentV2CreateResponse)
    assert_deep_parsed(response)
    data = response.data
    assert is_uuid(data.id) and enum_value(data.type) == "deployment"
    attributes = data.attributes
    assert (attributes.query, attributes.total_hosts, attributes.update_type) == (CHECKOUT_PROD, 7, "update_package")
    assert attributes.target_versions == ["7.52.0"]
    assert attributes.status in ("pending", "running")
    assert (attributes.author, attributes.schedule_id, attributes.is_scheduled) == (DEMO_OWNER, "", False)
    assert "config_operations" not in attributes and "error_summary" not in attributes


def test_second_upgrade_of_the_same_hosts_is_409(fresh_server, fresh_api):
    upgrade_v2(fresh_api, upgrade_body(SEARCH_QA))

    expect_api_error(lambda: upgrade_v2(fresh_api, upgrade_body(SEARCH_QA, "7.53.0")), 409)
    # Any overlap conflicts, and so does a running upgrade.
    advance_clock(fresh_server.url, 20)
    expect_api_error(lambda: upgrade_v2(fresh_api, upgrade_body("hostname:search-qa-02 OR hostname:kafka-dev-01")), 409)
    assert deployments_v2(fresh_api).meta.page.total_count == 1
    # A configuration deployment on the same hosts is no conflict.
    assert is_uuid(configure_v2(fresh_api, configure_body(SEARCH_QA)).data.id)
    # Disjoint hosts are free.
    assert is_uuid(upgrade_v2(fresh_api, upgrade_body(KAFKA_DEV)).data.id)


def test_upgrade_conflicts_only_over_hosts_still_pending_or_running(fresh_server, fresh_api):
    deployment_id = upgrade_v2(fresh_api, upgrade_body(CHECKOUT_PROD)).data.id
    for _ in range(60):  # until one host is done while others still wait
        advance_clock(fresh_server.url, 10)
        hosts = hosts_by_name(detail(fresh_api, deployment_id))
        done = sorted(name for name, host in hosts.items() if host.status == "succeeded")
        waiting = sorted(name for name, host in hosts.items() if host.status in ("pending", "running"))
        if done and waiting:
            break
    else:
        pytest.fail(f"no moment with a finished host and a waiting one: {hosts}")
    assert detail(fresh_api, deployment_id).high_level_status == "running"

    expect_api_error(lambda: upgrade_v2(fresh_api, upgrade_body(f"hostname:{waiting[0]}")), 409)
    again = upgrade_v2(fresh_api, upgrade_body(f"hostname:{done[0]}", "7.53.0")).data
    assert again.attributes.total_hosts == 1


def test_upgrade_conflicts_with_a_triggered_schedule_deployment(fresh_api):
    fresh_api.trigger_fleet_schedule(id=SCHEDULE_PROD)

    expect_api_error(lambda: upgrade_v2(fresh_api, upgrade_body(CHECKOUT_PROD)), 409)


def test_upgrade_is_possible_again_once_the_first_is_canceled_or_finished(fresh_server, fresh_api):
    first = upgrade_v2(fresh_api, upgrade_body(SEARCH_QA)).data.id
    fresh_api.cancel_fleet_deployment_v2(deployment_id=first)

    second = upgrade_v2(fresh_api, upgrade_body(SEARCH_QA)).data.id
    advance_clock(fresh_server.url, THREE_HOURS)
    assert detail(fresh_api, second).high_level_status == "completed"

    third = upgrade_v2(fresh_api, upgrade_body(SEARCH_QA, "7.53.0")).data
    assert third.attributes.target_versions == ["7.53.0"]


UPGRADE_V2_BAD_BODIES = {
    "no filter_query": {
        "data": {
            "type": "deployment",
            "attributes": {"target_packages": [{"name": AGENT_PACKAGE, "version": "7.52.1"}]},
        }
    },
    "no target_packages": {"data": {"type": "deployment", "attributes": {"filter_query": SEARCH_QA}}},
    "package without version": {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": SEARCH_QA, "target_packages": [{"name": AGENT_PACKAGE}]},
        }
    },
    "unknown Agent version": upgrade_body(SEARCH_QA, "7.99.0"),
    "filter matching no host": upgrade_body(NO_HOST),
    "unparsable filter_query": upgrade_body("(env:qa"),
    "not JSON": b"",
}


@pytest.mark.parametrize("body", list(UPGRADE_V2_BAD_BODIES.values()), ids=list(UPGRADE_V2_BAD_BODIES))
def test_upgrade_v2_rejects_a_bad_body_and_creates_nothing(server, api, body):
    before = deployments_v2(api, page_size=1).meta.page.total_count

    http(server.url, "POST", "/api/v2/fleet/deployments/upgrade", body).assert_error(400)

    assert deployments_v2(api, page_size=1).meta.page.total_count == before


# ---------------------------------------------------------------------------------------------
# V7 GetFleetDeploymentV2
# ---------------------------------------------------------------------------------------------

COUNT_FIELDS = ("succeeded_hosts", "failed_hosts", "running_hosts", "canceled_hosts", "skipped_hosts")
STATUS_OF_COUNT = {
    "succeeded_hosts": "succeeded",
    "failed_hosts": "failed",
    "running_hosts": "running",
    "canceled_hosts": "canceled",
    "skipped_hosts": "skipped",
}


def assert_counts_add_up(attributes) -> None:
    hosts = attributes.hosts
    assert len(hosts) == attributes.total_hosts
    statuses = [host.status for host in hosts]
    for field, status in STATUS_OF_COUNT.items():
        assert attributes[field] == statuses.count(status), field
    pending = statuses.count("pending")
    assert sum(attributes[field] for field in COUNT_FIELDS) + pending == attributes.total_hosts


def test_get_deployment_v2_counts_add_up_as_the_rollout_goes_on(fresh_server, clients):
    url = fresh_server.url
    api = clients.with_http_info(url)
    deployment_id = upgrade_v2(clients(url), upgrade_body(CHECKOUT_PROD, "7.52.0")).data.id

    response, status, _ = api.get_fleet_deployment_v2(deployment_id=deployment_id)
    assert status == 200
    assert_deep_parsed(response)
    assert response.data.id == deployment_id and enum_value(response.data.type) == "deployment"
    attributes = response.data.attributes
    assert attributes.high_level_status == "pending"
    assert set(hosts_by_name(attributes)) == hostnames_matching(CHECKOUT_PROD)
    # checkout-prod-07 already runs 7.52.0: skipped at once, with the reason; the others pending.
    skipped = {"checkout-prod-07"}
    for host in attributes.hosts:
        assert host.status == ("skipped" if host.hostname in skipped else "pending") and host.running_step == ""
        assert ("already at the target version" in host.status_details) == (host.hostname in skipped), host
    assert all(attributes[field] == (len(skipped) if field == "skipped_hosts" else 0) for field in COUNT_FIELDS)
    assert (attributes.query, attributes.update_type, attributes.target_versions) == (
        CHECKOUT_PROD,
        "update_package",
        ["7.52.0"],
    )
    assert attributes.duration_seconds == 0

    advance_clock(url, 30)
    attributes = detail(clients(url), deployment_id)
    assert_counts_add_up(attributes)
    assert attributes.high_level_status == "running"
    running = [host for host in attributes.hosts if host.status == "running"]
    assert running, "some host runs 30 s in"
    for host in attributes.hosts:
        assert host.running_step == ("installing datadog-agent 7.52.0" if host.status == "running" else ""), host
        assert (host.status_details == "") == (host.hostname not in skipped)

    advance_clock(url, THREE_HOURS)
    attributes = detail(clients(url), deployment_id)
    assert_counts_add_up(attributes)
    assert (attributes.succeeded_hosts, attributes.failed_hosts, attributes.running_hosts) == (5, 1, 0)
    assert attributes.skipped_hosts == 1
    assert attributes.high_level_status == "failed"
    failed = hosts_by_name(attributes)["checkout-prod-01"]
    assert failed.status == "failed" and failed.error
    assert attributes.error_summary == f"1 of 7 hosts failed: {failed.error}"
    for host in attributes.hosts:
        version = next(item for item in host.versions if item.package_name == AGENT_PACKAGE)
        assert version.initial_version == HOSTS_BY_NAME[host.hostname]["packages"][AGENT_PACKAGE]
        assert version.target_version == "7.52.0"
        if host.status in ("succeeded", "skipped"):
            assert version.current_version == "7.52.0"
    item = next(item for item in deployments_v2(clients(url)).data if item.id == deployment_id).attributes
    assert item.status == "failed"
    assert item.started_at > 0 and item.finished_at >= item.started_at
    assert attributes.duration_seconds == item.duration_seconds == item.finished_at - item.started_at > 0
    assert item.finished_at <= now_seconds(url)


def test_get_deployment_v2_of_a_configuration_rollout(fresh_server, fresh_api):
    deployment_id = configure_v2(fresh_api, configure_body(KAFKA_DEV)).data.id

    advance_clock(fresh_server.url, 30)
    attributes = detail(fresh_api, deployment_id)

    assert attributes.update_type == "update_config_operations"
    assert [(enum_value(op.file_op), op.file_path, op.patch) for op in attributes.config_operations] == [
        ("merge-patch", "/datadog.yaml", {"log_level": "debug"})
    ]
    assert_counts_add_up(attributes)
    for host in attributes.hosts:
        assert host.running_step == ("applying configuration" if host.status == "running" else "")
    advance_clock(fresh_server.url, THREE_HOURS)
    attributes = detail(fresh_api, deployment_id)
    assert (attributes.high_level_status, attributes.succeeded_hosts) == ("completed", 3)
    assert "error_summary" not in attributes


@pytest.mark.parametrize("deployment_id", WELL_FORMED_UNKNOWN_IDS)
def test_get_deployment_v2_unknown_is_404(api, deployment_id):
    expect_api_error(lambda: api.get_fleet_deployment_v2(deployment_id=deployment_id), 404)


@pytest.mark.parametrize("deployment_id", MALFORMED_IDS)
def test_get_deployment_v2_malformed_is_400(api, deployment_id):
    expect_api_error(lambda: api.get_fleet_deployment_v2(deployment_id=deployment_id), 400)


# ---------------------------------------------------------------------------------------------
# V8 CancelFleetDeploymentV2
# ---------------------------------------------------------------------------------------------


def test_cancel_v2_answers_200_with_a_body(fresh_server, clients):
    url = fresh_server.url
    api = clients.with_http_info(url)
    deployment_id = upgrade_v2(clients(url), upgrade_body(CHECKOUT_PROD)).data.id
    advance_clock(url, 30)
    before = detail(clients(url), deployment_id)
    pending_before = [host.status for host in before.hosts].count("pending")
    assert pending_before > 0

    response, status, _ = api.cancel_fleet_deployment_v2(deployment_id=deployment_id)

    assert status == 200
    assert isinstance(response, FleetDeploymentV2CancelResponse)
    assert_deep_parsed(response)
    assert response.data.id == deployment_id and enum_value(response.data.type) == "deployment"
    assert response.data.attributes.status == "canceled"
    assert isinstance(response.data.attributes.message, str) and response.data.attributes.message
    after = detail(clients(url), deployment_id)
    assert after.high_level_status == "canceled"
    assert after.canceled_hosts >= pending_before
    assert "pending" not in [host.status for host in after.hosts]
    expect_api_error(lambda: api.cancel_fleet_deployment_v2(deployment_id=deployment_id), 400)


def test_cancel_v2_of_a_finished_deployment_is_400(fresh_server, fresh_api):
    deployment_id = upgrade_v2(fresh_api, upgrade_body(SEARCH_QA)).data.id
    advance_clock(fresh_server.url, THREE_HOURS)

    expect_api_error(lambda: fresh_api.cancel_fleet_deployment_v2(deployment_id=deployment_id), 400)

    assert detail(fresh_api, deployment_id).high_level_status == "completed"


@pytest.mark.parametrize("deployment_id", WELL_FORMED_UNKNOWN_IDS)
def test_cancel_v2_unknown_is_404(api, deployment_id):
    expect_api_error(lambda: api.cancel_fleet_deployment_v2(deployment_id=deployment_id), 404)


@pytest.mark.parametrize("deployment_id", MALFORMED_IDS)
def test_cancel_v2_malformed_is_400(api, deployment_id):
    expect_api_error(lambda: api.cancel_fleet_deployment_v2(deployment_id=deployment_id), 400)


# ---------------------------------------------------------------------------------------------
# V9 ListFleetSchedulesV2 and V10 GetFleetScheduleV2
# ---------------------------------------------------------------------------------------------

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def assert_schedule_v2_matches(schedule, expected: dict) -> None:
    """A v2 schedule against an unstable-shaped one (the fixtures, or a create response)."""
    attributes = schedule.attributes
    assert enum_value(schedule.type) == "schedule"
    assert (attributes.name, attributes.query, enum_value(attributes.status), attributes.version_to_latest) == (
        expected["name"],
        expected["query"],
        expected["status"],
        expected["version_to_latest"],
    )
    assert RFC3339_UTC.match(attributes.created_at) and RFC3339_UTC.match(attributes.updated_at)
    assert attributes.created_at == rfc3339(expected["created_at_unix"])
    assert attributes.updated_at == rfc3339(expected["updated_at_unix"])
    assert (attributes.created_by, attributes.updated_by) == (expected["created_by"], expected["updated_by"])
    assert attributes.is_default is False
    assert "next_run" not in attributes
    rule = attributes.rule.to_dict()
    assert rule.pop("interval") == 1
    assert rule == expected["rule"]


def test_list_schedules_v2_are_the_fixture_schedules(server, clients):
    response, status, _ = clients.with_http_info(server.url).list_fleet_schedules_v2()

    assert status == 200
    assert_deep_parsed(response)
    by_id = {schedule.id: schedule for schedule in response.data}
    fixture_ids = {schedule["id"] for schedule in FLEET["schedules"]}
    assert fixture_ids <= set(by_id)
    assert response.meta.page.total_count == len(response.data)
    for schedule_id in fixture_ids:
        assert_schedule_v2_matches(by_id[schedule_id], fixture_schedule(schedule_id))


def test_list_schedules_v2_counts_exactly_four_on_a_new_server(fresh_api):
    response = fresh_api.list_fleet_schedules_v2()

    assert_deep_parsed(response)
    assert len(response.data) == response.meta.page.total_count == 4


@pytest.mark.parametrize("schedule_id", [schedule["id"] for schedule in FLEET["schedules"]])
def test_get_schedule_v2(server, clients, schedule_id):
    response, status, _ = clients.with_http_info(server.url).get_fleet_schedule_v2(id=schedule_id)

    assert status == 200
    assert_deep_parsed(response)
    assert response.data.id == schedule_id
    assert_schedule_v2_matches(response.data, fixture_schedule(schedule_id))


def test_get_schedule_v2_errors(api):
    expect_api_error(lambda: api.get_fleet_schedule_v2(id="000-000-000"), 404)
    expect_api_error(lambda: api.get_fleet_schedule_v2(id=UNKNOWN_ID), 404)
    for bad in ("not-a-valid-schedule-id", "REPLACE.ME"):
        expect_api_error(lambda: api.get_fleet_schedule_v2(id=bad), 400)


# ---------------------------------------------------------------------------------------------
# The unstable operations 2.62.0 still has
# ---------------------------------------------------------------------------------------------


def test_schedule_lifecycle_through_2_62_shows_on_the_v2_surface(fresh_server, clients):
    url = fresh_server.url
    api = clients.with_http_info(url)
    advance_clock(url, 3600)

    created, status, _ = api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, schedule_body()))
    assert status == 201
    assert isinstance(created, FleetScheduleResponse)  # the unstable shape, still, in 2.62.0
    assert_deep_parsed(created)
    schedule_id = created.data.id
    assert created.data.attributes.created_at_unix == now_seconds(url)
    as_unstable = {**created.data.attributes.to_dict(), "status": enum_value(created.data.attributes.status)}
    fetched, _, _ = api.get_fleet_schedule_v2(id=schedule_id)
    assert_deep_parsed(fetched)
    assert_schedule_v2_matches(fetched.data, as_unstable)

    advance_clock(url, 90)
    patch = {"data": {"type": "schedule", "attributes": {"name": "Renamed in 2.62", "status": "inactive"}}}
    updated, status, _ = api.update_fleet_schedule(
        id=schedule_id, body=request_model(api, FleetSchedulePatchRequest, patch)
    )
    assert status == 200
    assert_deep_parsed(updated)
    assert updated.data.attributes.updated_at_unix == now_seconds(url)
    fetched, _, _ = api.get_fleet_schedule_v2(id=schedule_id)
    assert (fetched.data.attributes.name, enum_value(fetched.data.attributes.status)) == ("Renamed in 2.62", "inactive")
    assert fetched.data.attributes.updated_at == rfc3339(now_seconds(url))
    listed, _, _ = api.list_fleet_schedules_v2()
    assert listed.meta.page.total_count == 5

    data, status, _ = api.delete_fleet_schedule(id=schedule_id)
    assert (data, status) == (None, 204)
    expect_api_error(lambda: api.get_fleet_schedule_v2(id=schedule_id), 404)
    expect_api_error(lambda: api.delete_fleet_schedule(id=schedule_id), 404)


def test_unstable_schedule_errors_through_2_62(api, server):
    bad = schedule_body(status="paused")
    expect_api_error(lambda: api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, bad)), 400)
    patch = request_model(api, FleetSchedulePatchRequest, {"data": {"type": "schedule", "attributes": {"name": "x"}}})
    expect_api_error(lambda: api.update_fleet_schedule(id=UNKNOWN_ID, body=patch), 404)
    expect_api_error(lambda: api.update_fleet_schedule(id="REPLACE.ME", body=patch), 400)
    expect_api_error(lambda: api.delete_fleet_schedule(id="REPLACE.ME"), 400)
    expect_api_error(lambda: api.delete_fleet_schedule(id=UNKNOWN_ID), 404)
    expect_api_error(lambda: api.trigger_fleet_schedule(id="REPLACE.ME"), 400)
    expect_api_error(lambda: api.trigger_fleet_schedule(id=UNKNOWN_ID), 404)


def test_trigger_through_2_62_gives_the_unstable_shape_and_a_v2_scheduled_deployment(fresh_server, clients):
    api = clients.with_http_info(fresh_server.url)
    target = expected_target_version(FLEET["agent_versions"], 1)

    response, status, _ = api.trigger_fleet_schedule(id=SCHEDULE_STAGING)

    assert status == 201
    assert isinstance(response, FleetDeploymentResponse)
    assert_deep_parsed(response)
    attributes = response.data.attributes
    assert attributes.filter_query == "env:staging" and attributes.total_hosts == 30
    assert [(package.name, package.version) for package in attributes.packages] == [(AGENT_PACKAGE, target)]
    v2 = detail(clients(fresh_server.url), response.data.id)
    assert (v2.schedule_id, v2.is_scheduled, v2.author) == (SCHEDULE_STAGING, True, DEMO_OWNER)
    assert (v2.update_type, v2.target_versions, v2.query, v2.total_hosts) == (
        "update_package",
        [target],
        "env:staging",
        30,
    )


def test_trigger_of_a_schedule_matching_no_host_through_2_62(fresh_api):
    response = fresh_api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX)

    assert_deep_parsed(response)
    assert response.data.attributes.total_hosts == 0


def test_tracers_through_2_62(server, clients):
    api = clients.with_http_info(server.url)

    listed, status, _ = api.list_fleet_tracers(
        page_size=100, filter="language:go", sort_attribute="hostname", sort_descending=False
    )
    assert status == 200
    assert_deep_parsed(listed)
    expected = sorted(tracer["hostname"] for tracer in fixture_tracers() if tracer["language"] == "go")
    assert [tracer.hostname for tracer in listed.data.attributes.tracers] == expected
    assert listed.meta.total_filtered_count == len(expected)

    host = HOSTS_BY_NAME[expected[0]]
    own, status, _ = api.list_fleet_agent_tracers(agent_key=host["agent_key"])
    assert status == 200
    assert_deep_parsed(own)
    assert [tracer.service for tracer in own.data.attributes.tracers] == [
        t["service"] for t in host["attributes"]["tracers"]
    ]
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=UNKNOWN_ID), 404)
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key="REPLACE.ME"), 400)
    expect_api_error(lambda: api.list_fleet_tracers(sort_attribute="nope"), 400)


# ---------------------------------------------------------------------------------------------
# One state behind both surfaces
# ---------------------------------------------------------------------------------------------


def test_v2_deployment_is_visible_and_cancelable_on_the_unstable_surface(fresh_server, fresh_api):
    url = fresh_server.url
    deployment_id = configure_v2(fresh_api, configure_body(CHECKOUT_PROD)).data.id

    unstable = http(url, "GET", f"{UNSTABLE_DEPLOYMENTS}/{deployment_id}")
    assert unstable.status == 200
    attributes = unstable.json()["data"]["attributes"]
    assert attributes["filter_query"] == CHECKOUT_PROD and attributes["total_hosts"] == 7
    assert attributes["config_operations"][0]["patch"] == {"log_level": "debug"}
    listed = http(url, "GET", f"{UNSTABLE_DEPLOYMENTS}?page_size=100").json()
    assert deployment_id in {item["id"] for item in listed["data"]}

    assert attributes["estimated_end_time_unix"] == detail(fresh_api, deployment_id).estimated_finished_at
    canceled = http(url, "POST", f"{UNSTABLE_DEPLOYMENTS}/{deployment_id}/cancel")
    assert canceled.status == 204, canceled.body

    assert detail(fresh_api, deployment_id).high_level_status == "canceled"
    expect_api_error(lambda: fresh_api.cancel_fleet_deployment_v2(deployment_id=deployment_id), 400)


def test_unstable_deployment_is_visible_and_cancelable_on_the_v2_surface(fresh_server, fresh_api):
    url = fresh_server.url
    body = {
        "data": {
            "type": "deployment",
            "attributes": {
                "filter_query": KAFKA_DEV,
                "target_packages": [{"name": AGENT_PACKAGE, "version": "7.51.1"}],
            },
        }
    }
    created = http(url, "POST", f"{UNSTABLE_DEPLOYMENTS}/upgrade", body)
    assert created.status == 201, created.body
    deployment_id = created.json()["data"]["id"]

    attributes = detail(fresh_api, deployment_id)
    assert (attributes.query, attributes.update_type, attributes.target_versions) == (
        KAFKA_DEV,
        "update_package",
        ["7.51.1"],
    )
    assert attributes.author == DEMO_OWNER
    assert ids_of(deployments_v2(fresh_api)) == [deployment_id]

    response = fresh_api.cancel_fleet_deployment_v2(deployment_id=deployment_id)
    assert_deep_parsed(response)

    unstable = http(url, "GET", f"{UNSTABLE_DEPLOYMENTS}/{deployment_id}").json()
    assert unstable["data"]["attributes"]["high_level_status"] == "canceled"
    http(url, "POST", f"{UNSTABLE_DEPLOYMENTS}/{deployment_id}/cancel").assert_error(400)


def test_unstable_upgrade_counts_for_the_v2_conflict_rule(fresh_server, fresh_api):
    created = http(fresh_server.url, "POST", f"{UNSTABLE_DEPLOYMENTS}/upgrade", upgrade_body(SEARCH_QA))
    assert created.status == 201, created.body

    expect_api_error(lambda: upgrade_v2(fresh_api, upgrade_body(SEARCH_QA)), 409)


# ---------------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------------


def v2_writes(api, deployment_id: str) -> dict:
    return {
        "configure": lambda: configure_v2(api, configure_body(SEARCH_QA)),
        "configure dry run": lambda: configure_v2(api, configure_body(SEARCH_QA, dry_run=True)),
        "upgrade": lambda: upgrade_v2(api, upgrade_body(KAFKA_DEV)),
        "cancel": lambda: api.cancel_fleet_deployment_v2(deployment_id=deployment_id),
    }


def test_read_only_key_reads_v2_and_may_not_write(fresh_server, clients):
    url = fresh_server.url
    deployment_id = upgrade_v2(clients(url), upgrade_body(SEARCH_QA)).data.id
    api = clients(url, app_key=READONLY_APP_KEY)
    for response in (
        api.list_fleet_agent_versions_v2(),
        api.list_fleet_agents_v2(),
        api.get_fleet_agent_detail_v2(agent_key=KAFKA_HOST["agent_key"], include="integrations,configuration_files"),
        api.list_fleet_deployments_v2(),
        api.get_fleet_deployment_v2(deployment_id=deployment_id),
        api.list_fleet_schedules_v2(),
        api.get_fleet_schedule_v2(id=SCHEDULE_PROD),
    ):
        assert_deep_parsed(response)

    for name, call in v2_writes(api, deployment_id).items():
        error = expect_api_error(call, 403)
        assert "agent_upgrade_write" in error_text(error), name

    assert ids_of(deployments_v2(api)) == [deployment_id]
    assert detail(api, deployment_id).high_level_status == "pending"


def test_upgrade_key_may_not_configure_upgrade_or_cancel_on_v2(fresh_server, clients):
    url = fresh_server.url
    deployment_id = upgrade_v2(clients(url), upgrade_body(SEARCH_QA)).data.id
    api = clients(url, app_key=UPGRADE_APP_KEY)

    for name, call in v2_writes(api, deployment_id).items():
        error = expect_api_error(call, 403)
        assert "fleet_policies_write" in error_text(error), name

    assert ids_of(deployments_v2(api)) == [deployment_id]
    # Trigger needs agent_upgrade_write only.
    assert_deep_parsed(api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX))


def test_v2_operations_need_valid_credentials(server, clients):
    expect_api_error(clients(server.url, api_key="not-a-key").list_fleet_agents_v2, 401)
    expect_api_error(clients(server.url, app_key="not-an-app-key").list_fleet_schedules_v2, 401)
    http(server.url, "GET", "/api/v2/fleet/agent_versions", app_key=None).assert_error(401)


# ---------------------------------------------------------------------------------------------
# Control surface: the route table
# ---------------------------------------------------------------------------------------------

HOSTS_READ = ["hosts_read"]
UPGRADE_WRITE = ["agent_upgrade_write"]
BOTH_WRITES = ["agent_upgrade_write", "fleet_policies_write"]
EXPECTED_ROUTES = {
    ("ListFleetAgentVersions", "GET", "/api/unstable/fleet/agent_versions", "unstable"): HOSTS_READ,
    ("ListFleetAgents", "GET", "/api/unstable/fleet/agents", "unstable"): HOSTS_READ,
    ("GetFleetAgentInfo", "GET", "/api/unstable/fleet/agents/{agent_key}", "unstable"): HOSTS_READ,
    ("ListFleetAgentTracers", "GET", "/api/unstable/fleet/agents/{agent_key}/tracers", "unstable"): HOSTS_READ,
    ("ListFleetDeployments", "GET", "/api/unstable/fleet/deployments", "unstable"): HOSTS_READ,
    ("CreateFleetDeploymentConfigure", "POST", "/api/unstable/fleet/deployments/configure", "unstable"): BOTH_WRITES,
    ("CreateFleetDeploymentUpgrade", "POST", "/api/unstable/fleet/deployments/upgrade", "unstable"): BOTH_WRITES,
    ("GetFleetDeployment", "GET", "/api/unstable/fleet/deployments/{deployment_id}", "unstable"): HOSTS_READ,
    (
        "CancelFleetDeployment",
        "POST",
        "/api/unstable/fleet/deployments/{deployment_id}/cancel",
        "unstable",
    ): BOTH_WRITES,
    ("ListFleetSchedules", "GET", "/api/unstable/fleet/schedules", "unstable"): HOSTS_READ,
    ("CreateFleetSchedule", "POST", "/api/unstable/fleet/schedules", "unstable"): UPGRADE_WRITE,
    ("GetFleetSchedule", "GET", "/api/unstable/fleet/schedules/{id}", "unstable"): HOSTS_READ,
    ("UpdateFleetSchedule", "PATCH", "/api/unstable/fleet/schedules/{id}", "unstable"): UPGRADE_WRITE,
    ("DeleteFleetSchedule", "DELETE", "/api/unstable/fleet/schedules/{id}", "unstable"): UPGRADE_WRITE,
    ("TriggerFleetSchedule", "POST", "/api/unstable/fleet/schedules/{id}/trigger", "unstable"): UPGRADE_WRITE,
    ("ListFleetTracers", "GET", "/api/unstable/fleet/tracers", "unstable"): HOSTS_READ,
    ("ListFleetAgentVersionsV2", "GET", "/api/v2/fleet/agent_versions", "v2"): HOSTS_READ,
    ("ListFleetAgentsV2", "GET", "/api/v2/fleet/agents", "v2"): HOSTS_READ,
    ("GetFleetAgentDetailV2", "GET", "/api/v2/fleet/agents/{agent_key}", "v2"): HOSTS_READ,
    ("ListFleetDeploymentsV2", "GET", "/api/v2/fleet/deployments", "v2"): HOSTS_READ,
    ("CreateFleetDeploymentConfigureV2", "POST", "/api/v2/fleet/deployments/configure", "v2"): BOTH_WRITES,
    ("CreateFleetDeploymentUpgradeV2", "POST", "/api/v2/fleet/deployments/upgrade", "v2"): BOTH_WRITES,
    ("GetFleetDeploymentV2", "GET", "/api/v2/fleet/deployments/{deployment_id}", "v2"): HOSTS_READ,
    ("CancelFleetDeploymentV2", "POST", "/api/v2/fleet/deployments/{deployment_id}/cancel", "v2"): BOTH_WRITES,
    ("ListFleetSchedulesV2", "GET", "/api/v2/fleet/schedules", "v2"): HOSTS_READ,
    ("GetFleetScheduleV2", "GET", "/api/v2/fleet/schedules/{id}", "v2"): HOSTS_READ,
}


def test_routes_lists_every_operation_with_its_permissions(server):
    response = http(server.url, "GET", "/__fleetmock/routes", api_key=None, app_key=None)

    assert response.status == 200
    routes = response.json()["routes"]
    served = {
        (route["operation"], route["method"], route["path"], route["surface"]): sorted(route["permissions"])
        for route in routes
    }
    assert len(served) == len(routes), "a route is listed twice"
    fleet = {key: permissions for key, permissions in served.items() if key[3] != "control"}
    assert fleet == {key: sorted(permissions) for key, permissions in EXPECTED_ROUTES.items()}
    control = {(key[1], key[2]): permissions for key, permissions in served.items() if key[3] == "control"}
    for method, path in (
        ("GET", "/__fleetmock/health"),
        ("GET", "/__fleetmock/routes"),
        ("GET", "/__fleetmock/clock"),
        ("POST", "/__fleetmock/clock/advance"),
    ):
        assert control.get((method, path)) == [], f"{method} {path} needs no permission"
