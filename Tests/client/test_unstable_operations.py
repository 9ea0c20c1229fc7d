"""The unstable Fleet operations test_core.py leaves out, through datadog-api-client 2.57.0.

ListFleetAgents, GetFleetAgentInfo, CreateFleetDeploymentConfigure, CreateFleetDeploymentUpgrade,
CreateFleetSchedule, UpdateFleetSchedule, DeleteFleetSchedule, ListFleetTracers and
ListFleetAgentTracers: success and error paths, permissions, and what a finished rollout does to
the agents. Every successful response is walked in full (support.assert_deep_parsed): the client
silently keeps what it cannot parse, so a shallow `_unparsed` check would miss a bad list item.

Expectations come from Fixtures/fleet.json and FleetMock's documented choices (sorting, filters,
paging bounds, id formats). Tests that move the clock, or count schedules and deployments, use a
server of their own; the others share the module's server and only add to it.
"""

from __future__ import annotations

import pytest
from datadog_api_client.exceptions import ApiValueError
from datadog_api_client.v2.model.fleet_deployment_configure_create_request import (
    FleetDeploymentConfigureCreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_package_upgrade_create_request import (
    FleetDeploymentPackageUpgradeCreateRequest,
)
from datadog_api_client.v2.model.fleet_deployment_response import FleetDeploymentResponse
from datadog_api_client.v2.model.fleet_schedule_create_request import FleetScheduleCreateRequest
from datadog_api_client.v2.model.fleet_schedule_patch_request import FleetSchedulePatchRequest

from support import (
    AGENT_PACKAGE,
    DEMO_OWNER,
    FAILING_HOSTS,
    FLEET,
    HOSTS_BY_KEY,
    HOSTS_BY_NAME,
    MALFORMED_ID,
    READONLY_APP_KEY,
    SCHEDULE_PROD,
    SCHEDULE_SANDBOX,
    THREE_HOURS,
    UNKNOWN_ID,
    UPGRADE_APP_KEY,
    advance_clock,
    assert_deep_parsed,
    deployment_hosts,
    enum_value,
    error_text,
    expect_api_error,
    expected_target_version,
    fixture_tracers,
    hostnames_matching,
    http,
    is_uuid,
    read_clock,
    request_model,
    tag_pairs,
    tag_values,
    version_key,
)

ALL_HOSTNAMES = sorted(HOSTS_BY_NAME)
REPLACE_ME = "REPLACE.ME"  # the feature files' placeholder: not hex digits and dashes, so a 400
AGENT_SORT_ATTRIBUTES = (
    "hostname",
    "agent_version",
    "os",
    "cloud_provider",
    "team",
    "first_seen_at",
    "last_restart_at",
    "remote_config_status",
)
TRACER_SORT_ATTRIBUTES = ("service", "hostname", "language", "env", "tracer_version")
UPGRADER_OWNER = "upgrader@fleetmock.example"  # owner of fleetmock-upgrade-app-key
UNCHECKED = "minimum,maximum"  # disabled_client_side_validations: let the server see out-of-range values

SEARCH_QA = "env:qa AND service:search"  # search-qa-01 (7.50.0), search-qa-02 (7.51.0); neither fails
KAFKA_DEV = "service:kafka AND env:dev"  # three hosts, each with /conf.d/kafka.d/conf.yaml
CHECKOUT_PROD = "env:prod AND service:checkout"  # seven hosts, checkout-prod-01 fails every operation


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def all_agents(api, **query) -> list:
    """Every agent of ListFleetAgents for `query`, pages of 100."""
    agents: list = []
    page = 0
    while True:
        response = api.list_fleet_agents(page_number=page, page_size=100, **query)
        assert_deep_parsed(response)
        batch = response.data.attributes.agents
        agents.extend(batch)
        if len(agents) >= response.meta.total_filtered_count or not batch:
            return agents
        page += 1
        assert page < 100, "agent paging does not end"


def all_tracers(api, **query) -> list:
    tracers: list = []
    page = 0
    while True:
        response = api.list_fleet_tracers(page_number=page, page_size=100, **query)
        assert_deep_parsed(response)
        batch = response.data.attributes.tracers
        tracers.extend(batch)
        if len(tracers) >= response.meta.total_filtered_count or not batch:
            return tracers
        page += 1
        assert page < 100, "tracer paging does not end"


def agent_of(api, hostname: str):
    response = api.get_fleet_agent_info(agent_key=HOSTS_BY_NAME[hostname]["agent_key"])
    assert_deep_parsed(response)
    return response.data.attributes


def configure_body(query: str, *operations: dict) -> dict:
    return {
        "data": {"type": "deployment", "attributes": {"filter_query": query, "config_operations": list(operations)}}
    }


def upgrade_body(query: str, version: str, package: str = AGENT_PACKAGE) -> dict:
    return {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": query, "target_packages": [{"name": package, "version": version}]},
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


def create_configure(api, body: dict) -> FleetDeploymentResponse:
    response = api.create_fleet_deployment_configure(
        body=request_model(api, FleetDeploymentConfigureCreateRequest, body)
    )
    assert_deep_parsed(response)
    return response


def create_upgrade(api, body: dict) -> FleetDeploymentResponse:
    response = api.create_fleet_deployment_upgrade(
        body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, body)
    )
    assert_deep_parsed(response)
    return response


def create_schedule(api, body: dict):
    response = api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, body))
    assert_deep_parsed(response)
    return response


def update_schedule(api, schedule_id: str, body: dict):
    response = api.update_fleet_schedule(id=schedule_id, body=request_model(api, FleetSchedulePatchRequest, body))
    assert_deep_parsed(response)
    return response


def deployment_count(api) -> int:
    response = api.list_fleet_deployments(page_size=1)
    assert_deep_parsed(response)
    return response.meta.page.total_count


def schedule_ids(api) -> list[str]:
    response = api.list_fleet_schedules()
    assert_deep_parsed(response)
    return sorted(item.id for item in response.data)


def now_seconds(url: str) -> int:
    return read_clock(url)["now_unix_ms"] // 1000


def assert_non_decreasing(values: list, what: str) -> None:
    for index in range(1, len(values)):
        assert values[index - 1] <= values[index], (
            f"{what} out of order at {index}: {values[index - 1]!r} > {values[index]!r}"
        )


# ---------------------------------------------------------------------------------------------
# ListFleetAgents
# ---------------------------------------------------------------------------------------------


def test_list_agents_default_page_is_the_first_ten_hostnames(server, clients):
    response, status, _ = clients.with_http_info(server.url).list_fleet_agents()

    assert status == 200
    assert_deep_parsed(response)
    assert (response.data.id, response.data.type) == ("done", "status")
    assert [agent.hostname for agent in response.data.attributes.agents] == ALL_HOSTNAMES[:10]
    assert response.meta.total_filtered_count == len(FLEET["hosts"]) == 120


def test_list_agents_attributes_come_from_the_fixtures(api):
    agents = all_agents(api)

    assert sorted(agent.hostname for agent in agents) == ALL_HOSTNAMES
    for agent in agents:
        host = HOSTS_BY_NAME[agent.hostname]
        facts = host["attributes"]
        assert agent.datadog_agent_key == host["agent_key"]
        assert agent.agent_version == host["packages"][AGENT_PACKAGE]
        assert agent.envs == tag_values(host, "env")
        assert agent.services == tag_values(host, "service")
        assert agent.team == tag_values(host, "team")[0]
        assert [(tag.key, tag.value) for tag in agent.tags] == tag_pairs(host)
        for name in ("os", "cloud_provider", "ip_addresses", "enabled_products", "remote_config_status"):
            assert agent[name] == facts[name], f"{agent.hostname}: {name}"
        # Unix milliseconds, as the fixtures store them (FleetMock's documented unit).
        assert (agent.first_seen_at, agent.last_restart_at) == (facts["first_seen_at"], facts["last_restart_at"])


def test_list_agents_pages_cover_the_fleet_once_in_hostname_order(api):
    seen: list[str] = []
    for page in range(5):
        response = api.list_fleet_agents(page_number=page, page_size=25)
        assert_deep_parsed(response)
        assert response.meta.total_filtered_count == 120
        seen += [agent.hostname for agent in response.data.attributes.agents]

    assert seen == ALL_HOSTNAMES
    beyond = api.list_fleet_agents(page_number=5, page_size=25)
    assert_deep_parsed(beyond)
    assert beyond.data.attributes.agents == []
    assert beyond.meta.total_filtered_count == 120


def agent_sort_key(attribute: str, agent) -> object:
    value = agent[attribute]
    return version_key(value) if attribute == "agent_version" else value


@pytest.mark.parametrize("attribute", AGENT_SORT_ATTRIBUTES)
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_list_agents_sorts_by_each_supported_attribute(api, attribute, descending):
    agents = all_agents(api, sort_attribute=attribute, sort_descending=descending)

    assert sorted(agent.hostname for agent in agents) == ALL_HOSTNAMES
    keys = [agent_sort_key(attribute, agent) for agent in agents]
    assert_non_decreasing(list(reversed(keys)) if descending else keys, f"{attribute} (descending={descending})")


def test_list_agents_sort_descending_alone_reverses_hostname_order(api):
    response = api.list_fleet_agents(sort_descending=True)

    assert_deep_parsed(response)
    assert [agent.hostname for agent in response.data.attributes.agents] == ALL_HOSTNAMES[::-1][:10]


def test_list_agents_rejects_an_unsupported_sort_attribute(api):
    error = expect_api_error(lambda: api.list_fleet_agents(sort_attribute="ip_addresses"), 400)

    assert "hostname" in error_text(error) and "agent_version" in error_text(error), (
        "the error names the allowed values"
    )


def test_list_agents_rejects_sort_descending_that_is_not_a_boolean(server):
    # The client only sends true/false; anything else comes from a hand-written request.
    http(server.url, "GET", "/api/unstable/fleet/agents?sort_descending=yes").assert_error(400)


def test_list_agents_tags_keep_agents_with_every_tag(api):
    expected = sorted(hostnames_matching(CHECKOUT_PROD))

    response = api.list_fleet_agents(tags="env:prod,service:checkout", page_size=100)

    assert_deep_parsed(response)
    assert [agent.hostname for agent in response.data.attributes.agents] == expected
    assert response.meta.total_filtered_count == 7
    shouted = api.list_fleet_agents(tags="ENV:Prod,Service:CHECKOUT", page_size=100)
    assert [agent.hostname for agent in shouted.data.attributes.agents] == expected, "tags match case-insensitively"


@pytest.mark.parametrize(
    "query",
    [
        CHECKOUT_PROD,
        "hostname:checkout-dev-01",
        "hostname:my-hostname OR env:dev",  # the spec's own example
        "service:web-* AND region:us-east-1",
        "team:payments-eng",
    ],
)
def test_list_agents_filter_uses_datadog_query_syntax(api, query):
    expected = sorted(hostnames_matching(query))
    assert expected, "the query must match some fixture host"

    agents = all_agents(api, filter=query)

    assert [agent.hostname for agent in agents] == expected
    response = api.list_fleet_agents(filter=query, page_size=1)
    assert response.meta.total_filtered_count == len(expected)


def test_list_agents_filter_matching_nothing_is_an_empty_page(api):
    response = api.list_fleet_agents(filter="env:sandbox")

    assert_deep_parsed(response)
    assert response.data.attributes.agents == []
    assert response.meta.total_filtered_count == 0


@pytest.mark.parametrize("query", ["env:prod AND (", "(env:prod", "env:prod)", "env:prod OR"])
def test_list_agents_rejects_an_unparsable_filter(api, query):
    expect_api_error(lambda: api.list_fleet_agents(filter=query), 400)


def test_list_agents_paging_bounds(server, api, clients):
    # 2.57.0 checks page_size 1..100 and page_number >= 0 itself and sends nothing ...
    for kwargs in ({"page_size": 0}, {"page_size": 101}, {"page_number": -1}):
        with pytest.raises(ApiValueError):
            api.list_fleet_agents(**kwargs)
    # ... so the server's own checks are reached with the client's turned off.
    unchecked = clients(server.url, disabled_client_side_validations=UNCHECKED)
    for kwargs in ({"page_size": 0}, {"page_size": 101}, {"page_number": -1}):
        expect_api_error(lambda: unchecked.list_fleet_agents(**kwargs), 400)
    for query in ("page_size=ten", "page_number=x", "page_size=1.5"):
        http(server.url, "GET", f"/api/unstable/fleet/agents?{query}").assert_error(400)


# ---------------------------------------------------------------------------------------------
# GetFleetAgentInfo
# ---------------------------------------------------------------------------------------------


def test_get_agent_info_describes_the_host(server, clients):
    host = HOSTS_BY_NAME["kafka-dev-01"]
    facts = host["attributes"]

    response, status, _ = clients.with_http_info(server.url).get_fleet_agent_info(agent_key=host["agent_key"])

    assert status == 200
    assert_deep_parsed(response)
    assert response.data.id == host["agent_key"]
    assert enum_value(response.data.type) == "datadog_agent_key"
    infos = response.data.attributes.agent_infos
    assert infos.hostname == "kafka-dev-01"
    assert infos.datadog_agent_key == host["agent_key"]
    assert infos.agent_version == host["packages"][AGENT_PACKAGE]
    assert infos.tags == host["tags"], "agent_infos.tags are key:value strings"
    assert infos.env == ["dev"] and infos.services == ["kafka"]
    assert infos.team == tag_values(host, "team")[0]
    for name in (
        "os",
        "os_version",
        "python_version",
        "install_method_tool",
        "install_method_installer_version",
        "cloud_provider",
        "ip_addresses",
        "enabled_products",
        "first_seen_at",
        "last_restart_at",
    ):
        assert infos[name] == facts[name], name

    layers = response.data.attributes.configuration_files
    assert "log_level: info" in layers.file_configuration
    assert layers.parsed_configuration == layers.compiled_configuration == layers.runtime_configuration
    assert layers.runtime_configuration == layers.file_configuration
    assert (layers.env_configuration, layers.remote_configuration) == ("", "")

    assert [item.to_dict() for item in response.data.attributes.detected_integrations] == facts["detected_integrations"]
    integrations = response.data.attributes.integrations
    assert integrations.datadog_agent_key == host["agent_key"]
    assert [item.name for item in integrations.working_integrations] == facts["integrations"]["working"]
    assert [item.name for item in integrations.warning_integrations] == facts["integrations"]["warning"]
    assert [item.name for item in integrations.error_integrations] == facts["integrations"]["error"]
    files = {item.file_path: item for item in integrations.configuration_files}
    assert set(files) == {"/conf.d/kafka.d/conf.yaml"}
    assert "port: 9999" in files["/conf.d/kafka.d/conf.yaml"].file_content


def test_get_agent_info_answers_for_every_fixture_host(api):
    for key, host in HOSTS_BY_KEY.items():
        response = api.get_fleet_agent_info(agent_key=key)
        assert_deep_parsed(response)
        infos = response.data.attributes.agent_infos
        assert (infos.hostname, infos.agent_version) == (host["hostname"], host["packages"][AGENT_PACKAGE])


@pytest.mark.parametrize("key", [UNKNOWN_ID, "0" * 32])
def test_get_agent_info_of_an_unknown_key_is_404(api, key):
    expect_api_error(lambda: api.get_fleet_agent_info(agent_key=key), 404)


@pytest.mark.parametrize("key", [REPLACE_ME, "not-an-agent-key", "kafka-dev-01", "59d74bd6 55100a69"])
def test_get_agent_info_of_a_malformed_key_is_400(api, key):
    expect_api_error(lambda: api.get_fleet_agent_info(agent_key=key), 400)


# ---------------------------------------------------------------------------------------------
# CreateFleetDeploymentConfigure and CreateFleetDeploymentUpgrade
# ---------------------------------------------------------------------------------------------

LOG_LEVEL_DEBUG = {
    "file_op": "merge-patch",
    "file_path": "/datadog.yaml",
    "patch": {"log_level": "debug", "logs_enabled": None, "apm_config": {"enabled": False}},
}


def test_create_configure_answers_201_with_the_new_deployment(server, clients):
    api = clients.with_http_info(server.url)
    body = configure_body(CHECKOUT_PROD, LOG_LEVEL_DEBUG)

    response, status, _ = api.create_fleet_deployment_configure(
        body=request_model(api, FleetDeploymentConfigureCreateRequest, body)
    )

    assert status == 201
    assert isinstance(response, FleetDeploymentResponse)
    assert_deep_parsed(response)
    data = response.data
    assert enum_value(data.type) == "deployment"
    assert is_uuid(data.id)
    attributes = data.attributes
    assert attributes.filter_query == CHECKOUT_PROD
    assert [(enum_value(op.file_op), op.file_path) for op in attributes.config_operations] == [
        ("merge-patch", "/datadog.yaml")
    ]
    assert attributes.config_operations[0].patch == LOG_LEVEL_DEBUG["patch"]
    assert not attributes.get("packages"), "a configuration deployment installs no package"
    assert attributes.total_hosts == 7
    assert attributes.high_level_status in ("pending", "running")

    fetched, status, _ = api.get_fleet_deployment(deployment_id=data.id)
    assert status == 200
    assert_deep_parsed(fetched)
    assert fetched.data.attributes.filter_query == CHECKOUT_PROD
    assert {host.hostname for host in fetched.data.attributes.hosts} == hostnames_matching(CHECKOUT_PROD)
    listed, _, _ = api.list_fleet_deployments(page_size=100)
    assert data.id in {item.id for item in listed.data}


def test_configure_rollout_merge_patches_datadog_yaml(fresh_server, fresh_api):
    url = fresh_server.url
    untouched = agent_of(fresh_api, "checkout-staging-01").configuration_files.file_configuration
    deployment = create_configure(fresh_api, configure_body(CHECKOUT_PROD, LOG_LEVEL_DEBUG)).data
    before = agent_of(fresh_api, "checkout-prod-02").configuration_files.file_configuration
    assert "log_level: info" in before, "nothing changes before the clock moves"

    advance_clock(url, THREE_HOURS)

    hosts = deployment_hosts(fresh_api, deployment.id)
    assert {name for name, host in hosts.items() if host["status"] == "failed"} == {"checkout-prod-01"}
    assert {name for name, host in hosts.items() if host["status"] == "succeeded"} == hostnames_matching(
        CHECKOUT_PROD
    ) - {"checkout-prod-01"}
    assert fresh_api.get_fleet_deployment(deployment_id=deployment.id).data.attributes.high_level_status == "failed"
    for hostname in hostnames_matching(CHECKOUT_PROD) - FAILING_HOSTS:
        layers = agent_of(fresh_api, hostname).configuration_files
        text = layers.file_configuration
        assert "log_level: debug" in text and "log_level: info" not in text, f"{hostname}:\n{text}"
        assert "logs_enabled" not in text, f"null removes the key (JSON merge patch), {hostname}:\n{text}"
        assert "enabled: false" in text and "site: datadoghq.com" in text, f"{hostname}:\n{text}"
        assert layers.runtime_configuration == text
    assert agent_of(fresh_api, "checkout-prod-01").configuration_files.file_configuration == before
    assert agent_of(fresh_api, "checkout-staging-01").configuration_files.file_configuration == untouched


def test_configure_delete_removes_an_integration_file(fresh_server, fresh_api):
    path = "/conf.d/kafka.d/conf.yaml"
    for hostname in hostnames_matching(KAFKA_DEV):
        assert path in {item.file_path for item in agent_of(fresh_api, hostname).integrations.configuration_files}

    create_configure(fresh_api, configure_body(KAFKA_DEV, {"file_op": "delete", "file_path": path}))
    advance_clock(fresh_server.url, THREE_HOURS)

    for hostname in hostnames_matching(KAFKA_DEV):
        files = {item.file_path for item in agent_of(fresh_api, hostname).integrations.configuration_files}
        assert path not in files, hostname
    assert path in {item.file_path for item in agent_of(fresh_api, "kafka-prod-01").integrations.configuration_files}


def test_create_upgrade_answers_201_and_the_rollout_moves_agent_versions(fresh_server, clients):
    url = fresh_server.url
    api = clients.with_http_info(url)
    query = f"{SEARCH_QA} OR hostname:search-dev-01"  # search-dev-01 fails every operation
    targets = hostnames_matching(query)
    assert targets == {"search-qa-01", "search-qa-02", "search-dev-01"}

    response, status, _ = api.create_fleet_deployment_upgrade(
        body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, upgrade_body(query, "7.52.1"))
    )

    assert status == 201
    assert_deep_parsed(response)
    attributes = response.data.attributes
    assert enum_value(response.data.type) == "deployment" and is_uuid(response.data.id)
    assert attributes.filter_query == query
    assert [(package.name, package.version) for package in attributes.packages] == [(AGENT_PACKAGE, "7.52.1")]
    assert attributes.total_hosts == 3
    assert attributes.high_level_status in ("pending", "running")
    plain = clients(url)
    assert {agent.hostname: agent.agent_version for agent in all_agents(plain, filter=query)} == {
        name: HOSTS_BY_NAME[name]["packages"][AGENT_PACKAGE] for name in targets
    }, "versions change only as the rollout goes on"

    advance_clock(url, THREE_HOURS)

    after = {agent.hostname: agent.agent_version for agent in all_agents(plain, filter=query)}
    failing_version = HOSTS_BY_NAME["search-dev-01"]["packages"][AGENT_PACKAGE]
    assert after == {"search-qa-01": "7.52.1", "search-qa-02": "7.52.1", "search-dev-01": failing_version}
    assert agent_of(plain, "search-qa-01").agent_infos.agent_version == "7.52.1"
    other = "search-prod-01"
    assert agent_of(plain, other).agent_infos.agent_version == HOSTS_BY_NAME[other]["packages"][AGENT_PACKAGE]


CONFIGURE_BAD_BODIES = {
    "no config_operations": {"data": {"type": "deployment", "attributes": {"filter_query": "env:qa"}}},
    "empty config_operations": configure_body("env:qa"),
    "unknown file_op": configure_body("env:qa", {"file_op": "replace", "file_path": "/datadog.yaml", "patch": {}}),
    "no file_path": configure_body("env:qa", {"file_op": "merge-patch", "patch": {"log_level": "debug"}}),
    "relative file_path": configure_body(
        "env:qa", {"file_op": "merge-patch", "file_path": "datadog.yaml", "patch": {}}
    ),
    "merge-patch without patch": configure_body("env:qa", {"file_op": "merge-patch", "file_path": "/datadog.yaml"}),
    "patch not an object": configure_body(
        "env:qa", {"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": "x"}
    ),
    "unparsable filter_query": configure_body("env:qa AND (", LOG_LEVEL_DEBUG),
    "filter_query not a string": configure_body(7, LOG_LEVEL_DEBUG),
    "wrong type": {
        "data": {"type": "schedule", "attributes": configure_body("env:qa", LOG_LEVEL_DEBUG)["data"]["attributes"]}
    },
    "no data": {},
    "not JSON": b"{",
}
UPGRADE_BAD_BODIES = {
    "no target_packages": {"data": {"type": "deployment", "attributes": {"filter_query": "env:qa"}}},
    "empty target_packages": {
        "data": {"type": "deployment", "attributes": {"filter_query": "env:qa", "target_packages": []}}
    },
    "unknown Agent version": upgrade_body("env:qa", "9.9.9"),
    "package without version": {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": "env:qa", "target_packages": [{"name": AGENT_PACKAGE}]},
        }
    },
    "package without name": {
        "data": {
            "type": "deployment",
            "attributes": {"filter_query": "env:qa", "target_packages": [{"version": "7.52.1"}]},
        }
    },
    "unparsable filter_query": upgrade_body("(env:qa", "7.52.1"),
    "version not a string": upgrade_body("env:qa", 7),
    "no data": {},
    "not JSON": b"[",
}


@pytest.mark.parametrize(
    "path,body",
    [("configure", body) for body in CONFIGURE_BAD_BODIES.values()]
    + [("upgrade", body) for body in UPGRADE_BAD_BODIES.values()],
    ids=[f"configure: {name}" for name in CONFIGURE_BAD_BODIES] + [f"upgrade: {name}" for name in UPGRADE_BAD_BODIES],
)
def test_create_deployment_rejects_a_bad_body_and_creates_nothing(server, api, path, body):
    before = deployment_count(api)

    http(server.url, "POST", f"/api/unstable/fleet/deployments/{path}", body).assert_error(400)

    assert deployment_count(api) == before


def test_create_deployment_values_the_client_sends_unchecked_are_400(api):
    # 2.57.0 builds these models without complaint (unknown enum values are only flagged), sends
    # them, and the server must refuse them.
    bad_op = configure_body("env:qa", {"file_op": "replace", "file_path": "/datadog.yaml", "patch": {"a": 1}})
    expect_api_error(
        lambda: api.create_fleet_deployment_configure(
            body=request_model(api, FleetDeploymentConfigureCreateRequest, bad_op)
        ),
        400,
    )
    expect_api_error(
        lambda: api.create_fleet_deployment_upgrade(
            body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, upgrade_body("env:qa", "7.99.0"))
        ),
        400,
    )


# ---------------------------------------------------------------------------------------------
# CreateFleetSchedule, UpdateFleetSchedule, DeleteFleetSchedule
# ---------------------------------------------------------------------------------------------


def test_create_schedule_answers_201_and_the_schedule_is_readable(fresh_server, clients):
    url = fresh_server.url
    api = clients.with_http_info(url)
    body = schedule_body()

    response, status, _ = api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, body))

    assert status == 201
    assert_deep_parsed(response)
    schedule = response.data
    assert enum_value(schedule.type) == "schedule" and is_uuid(schedule.id)
    attributes = schedule.attributes
    sent = body["data"]["attributes"]
    assert (attributes.name, attributes.query, enum_value(attributes.status), attributes.version_to_latest) == (
        sent["name"],
        sent["query"],
        "active",
        0,
    )
    assert attributes.rule.to_dict() == sent["rule"]
    assert attributes.created_by == attributes.updated_by == DEMO_OWNER
    assert attributes.created_at_unix == attributes.updated_at_unix == now_seconds(url)

    fetched, status, _ = api.get_fleet_schedule(id=schedule.id)
    assert status == 200
    assert_deep_parsed(fetched)
    assert fetched.data.to_dict() == schedule.to_dict()
    listed, _, _ = api.list_fleet_schedules()
    assert sorted(item.id for item in listed.data) == sorted(
        [schedule.id] + [item["id"] for item in FLEET["schedules"]]
    )


def test_create_schedule_defaults_status_and_version_to_latest(api):
    body = schedule_body()
    del body["data"]["attributes"]["status"]
    del body["data"]["attributes"]["version_to_latest"]

    attributes = create_schedule(api, body).data.attributes

    assert attributes.version_to_latest == 0  # the spec's default
    assert enum_value(attributes.status) in ("active", "inactive")


def test_created_schedule_can_be_triggered(api):
    schedule = create_schedule(api, schedule_body(version_to_latest=1)).data
    newest_6 = expected_target_version(FLEET["agent_versions"], 1)

    response = api.trigger_fleet_schedule(id=schedule.id)

    assert_deep_parsed(response)
    assert response.data.attributes.filter_query == SEARCH_QA
    assert response.data.attributes.total_hosts == 2
    assert [(package.name, package.version) for package in response.data.attributes.packages] == [
        (AGENT_PACKAGE, newest_6)
    ]


def test_update_schedule_changes_only_the_fields_given(fresh_server, fresh_api):
    url = fresh_server.url
    created = create_schedule(fresh_api, schedule_body()).data
    advance_clock(url, 120)

    renamed = update_schedule(fresh_api, created.id, {"data": {"type": "schedule", "attributes": {"name": "Renamed"}}})

    attributes = renamed.data.attributes
    assert renamed.data.id == created.id
    assert attributes.name == "Renamed"
    for field in ("query", "status", "version_to_latest", "rule", "created_at_unix", "created_by"):
        assert attributes[field] == created.attributes[field], field
    assert attributes.updated_at_unix == now_seconds(url) == created.attributes.created_at_unix + 120
    assert attributes.updated_by == DEMO_OWNER

    rule = {
        "days_of_week": ["Sun"],
        "start_maintenance_window": "23:45",
        "maintenance_window_duration": 30,
        "timezone": "UTC",
    }
    changed = update_schedule(
        fresh_api,
        created.id,
        {
            "data": {
                "type": "schedule",
                "attributes": {"rule": rule, "status": "inactive", "version_to_latest": 2, "query": "env:dev"},
            }
        },
    ).data.attributes
    assert (changed.name, changed.query, enum_value(changed.status), changed.version_to_latest) == (
        "Renamed",
        "env:dev",
        "inactive",
        2,
    )
    assert changed.rule.to_dict() == rule
    fetched = fresh_api.get_fleet_schedule(id=created.id)
    assert_deep_parsed(fetched)
    assert fetched.data.attributes.to_dict() == changed.to_dict()


def test_update_schedule_with_type_only_changes_nothing(api):
    created = create_schedule(api, schedule_body(name="Type-only patch")).data

    response = update_schedule(api, created.id, {"data": {"type": "schedule"}})

    for field in ("name", "query", "status", "version_to_latest", "rule", "created_at_unix"):
        assert response.data.attributes[field] == created.attributes[field], field


def test_update_fixture_schedule_with_the_feature_body(fresh_api):
    body = {
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

    response = update_schedule(fresh_api, SCHEDULE_PROD, body)

    assert response.data.attributes.name == "Weekly Production Agent Updates"
    assert response.data.attributes.rule.maintenance_window_duration == 1200


BAD_SCHEDULE_ATTRIBUTES = {
    "unknown day": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "days_of_week": ["Mon", "Funday"]}},
    "no day": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "days_of_week": []}},
    "hour 25": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "start_maintenance_window": "25:00"}},
    "not HH:MM": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "start_maintenance_window": "2am"}},
    "zero duration": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "maintenance_window_duration": 0}},
    "float duration": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "maintenance_window_duration": 1.5}},
    "unknown timezone": {"rule": {**schedule_body()["data"]["attributes"]["rule"], "timezone": "Mars/Olympus_Mons"}},
    "incomplete rule": {"rule": {"days_of_week": ["Mon"], "start_maintenance_window": "02:00"}},
    "unknown status": {"status": "paused"},
    "version_to_latest 3": {"version_to_latest": 3},
    "version_to_latest -1": {"version_to_latest": -1},
    "unparsable query": {"query": "env:prod AND ("},
    "name not a string": {"name": 42},
}


@pytest.mark.parametrize("change", list(BAD_SCHEDULE_ATTRIBUTES.values()), ids=list(BAD_SCHEDULE_ATTRIBUTES))
def test_schedule_create_and_update_reject_bad_values(server, api, change):
    before = api.list_fleet_schedules().to_dict()
    create = schedule_body()
    create["data"]["attributes"].update(change)
    patch = {"data": {"type": "schedule", "attributes": change}}

    http(server.url, "POST", "/api/unstable/fleet/schedules", create).assert_error(400)
    http(server.url, "PATCH", f"/api/unstable/fleet/schedules/{SCHEDULE_SANDBOX}", patch).assert_error(400)

    assert api.list_fleet_schedules().to_dict() == before


def test_schedule_values_the_client_sends_unchecked_are_400(api):
    # 2.57.0 does not check enum values, day names, times or time zones before sending.
    paused = schedule_body(status="paused")
    expect_api_error(
        lambda: api.create_fleet_schedule(body=request_model(api, FleetScheduleCreateRequest, paused)), 400
    )
    funday = {
        "data": {
            "type": "schedule",
            "attributes": {"rule": {**paused["data"]["attributes"]["rule"], "days_of_week": ["Funday"]}},
        }
    }
    expect_api_error(
        lambda: api.update_fleet_schedule(
            id=SCHEDULE_SANDBOX, body=request_model(api, FleetSchedulePatchRequest, funday)
        ),
        400,
    )
    # version_to_latest is the one bound the client enforces itself.
    with pytest.raises(ApiValueError):
        request_model(api, FleetScheduleCreateRequest, schedule_body(version_to_latest=3))


def test_create_schedule_missing_required_fields_is_400(server):
    for missing in ("name", "query", "rule"):
        body = schedule_body()
        del body["data"]["attributes"][missing]
        http(server.url, "POST", "/api/unstable/fleet/schedules", body).assert_error(400)
    for body in ({}, {"data": {"type": "schedule"}}, b"{", b"[]"):
        http(server.url, "POST", "/api/unstable/fleet/schedules", body).assert_error(400)


def test_update_schedule_unknown_id_is_404_and_malformed_is_400(api):
    body = request_model(api, FleetSchedulePatchRequest, {"data": {"type": "schedule", "attributes": {"name": "x"}}})
    expect_api_error(lambda: api.update_fleet_schedule(id=UNKNOWN_ID, body=body), 404)
    for bad in (MALFORMED_ID, REPLACE_ME):
        expect_api_error(lambda: api.update_fleet_schedule(id=bad, body=body), 400)


def test_delete_schedule_answers_204_and_the_schedule_is_gone(fresh_server, clients):
    api = clients.with_http_info(fresh_server.url)

    data, status, _ = api.delete_fleet_schedule(id=SCHEDULE_SANDBOX)

    assert (data, status) == (None, 204)
    expect_api_error(lambda: api.get_fleet_schedule(id=SCHEDULE_SANDBOX), 404)
    expect_api_error(lambda: api.delete_fleet_schedule(id=SCHEDULE_SANDBOX), 404)
    expect_api_error(lambda: api.trigger_fleet_schedule(id=SCHEDULE_SANDBOX), 404)
    listed, _, _ = api.list_fleet_schedules()
    assert len(listed.data) == 3 and SCHEDULE_SANDBOX not in {item.id for item in listed.data}


def test_delete_created_schedule(api):
    created = create_schedule(api, schedule_body(name="Short-lived")).data

    assert api.delete_fleet_schedule(id=created.id) is None

    assert created.id not in schedule_ids(api)


def test_delete_schedule_unknown_id_is_404_and_malformed_is_400(api):
    expect_api_error(lambda: api.delete_fleet_schedule(id=UNKNOWN_ID), 404)
    for bad in (MALFORMED_ID, REPLACE_ME):
        expect_api_error(lambda: api.delete_fleet_schedule(id=bad), 400)


def test_deleting_a_schedule_keeps_its_deployments(fresh_api):
    deployment_id = fresh_api.trigger_fleet_schedule(id=SCHEDULE_PROD).data.id

    fresh_api.delete_fleet_schedule(id=SCHEDULE_PROD)

    response = fresh_api.get_fleet_deployment(deployment_id=deployment_id)
    assert_deep_parsed(response)
    assert response.data.attributes.total_hosts == 48


# ---------------------------------------------------------------------------------------------
# ListFleetTracers and ListFleetAgentTracers
# ---------------------------------------------------------------------------------------------


def tracer_identity(tracer) -> tuple:
    return (tracer["hostname"], tracer["service"], tracer["env"], tracer["language"], tracer["tracer_version"])


def test_list_tracers_default_page_is_ten_by_service_descending(server, clients):
    response, status, _ = clients.with_http_info(server.url).list_fleet_tracers()

    assert status == 200
    assert_deep_parsed(response)
    assert (response.data.id, response.data.type) == ("done", "status")
    tracers = response.data.attributes.tracers
    assert len(tracers) == 10
    assert response.meta.total_filtered_count == len(fixture_tracers()) == 73
    services = [tracer.service for tracer in tracers]
    assert services == sorted(services, reverse=True)
    assert services[0] == max(tracer["service"] for tracer in fixture_tracers())


def test_list_tracers_serve_every_fixture_tracer(api):
    tracers = all_tracers(api)

    by_identity = {tracer_identity(tracer): tracer for tracer in fixture_tracers()}
    assert sorted(tracer_identity(tracer) for tracer in tracers) == sorted(by_identity)
    for tracer in tracers:
        expected = by_identity[tracer_identity(tracer)]
        for name in ("language_version", "service_version", "runtime_ids", "remote_config_status"):
            assert tracer[name] == expected[name], name


def test_list_tracers_pages_cover_every_tracer_once(api):
    seen: list[tuple] = []
    for page in range(4):
        response = api.list_fleet_tracers(page_number=page, page_size=20)
        assert_deep_parsed(response)
        assert response.meta.total_filtered_count == 73
        seen += [tracer_identity(tracer) for tracer in response.data.attributes.tracers]

    assert len(seen) == 73 and len(set(seen)) == 73
    beyond = api.list_fleet_tracers(page_number=4, page_size=20)
    assert beyond.data.attributes.tracers == []


def tracer_sort_key(attribute: str, tracer) -> object:
    return version_key(tracer[attribute]) if attribute == "tracer_version" else tracer[attribute]


@pytest.mark.parametrize("attribute", TRACER_SORT_ATTRIBUTES)
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_list_tracers_sort_by_each_supported_attribute(api, attribute, descending):
    tracers = all_tracers(api, sort_attribute=attribute, sort_descending=descending)

    assert len(tracers) == 73
    keys = [tracer_sort_key(attribute, tracer) for tracer in tracers]
    assert_non_decreasing(list(reversed(keys)) if descending else keys, f"{attribute} (descending={descending})")


@pytest.mark.parametrize(
    "query,predicate",
    [
        ("language:java", lambda t: t["language"] == "java"),
        ("env:prod AND language:go", lambda t: t["env"] == "prod" and t["language"] == "go"),
        ("service:checkout", lambda t: t["service"] == "checkout"),
        ("hostname:checkout-dev-01", lambda t: t["hostname"] == "checkout-dev-01"),
        ("version:1.32.0", lambda t: t["tracer_version"] == "1.32.0"),
        ("service:web-* OR language:python", lambda t: t["service"].startswith("web-") or t["language"] == "python"),
    ],
    ids=["language", "env and language", "service", "hostname", "version", "glob or"],
)
def test_list_tracers_filter(api, query, predicate):
    expected = sorted(tracer_identity(tracer) for tracer in fixture_tracers() if predicate(tracer))
    assert expected

    tracers = all_tracers(api, filter=query)

    assert sorted(tracer_identity(tracer) for tracer in tracers) == expected
    assert api.list_fleet_tracers(filter=query, page_size=1).meta.total_filtered_count == len(expected)


def test_list_tracers_rejects_bad_parameters(server, api, clients):
    expect_api_error(lambda: api.list_fleet_tracers(sort_attribute="runtime_ids"), 400)
    expect_api_error(lambda: api.list_fleet_tracers(filter="service:checkout AND ("), 400)
    with pytest.raises(ApiValueError):
        api.list_fleet_tracers(page_size=0)
    unchecked = clients(server.url, disabled_client_side_validations=UNCHECKED)
    for kwargs in ({"page_size": 0}, {"page_size": 101}, {"page_number": -1}):
        expect_api_error(lambda: unchecked.list_fleet_tracers(**kwargs), 400)
    http(server.url, "GET", "/api/unstable/fleet/tracers?sort_descending=maybe").assert_error(400)


def test_list_agent_tracers_gives_the_hosts_tracers(server, clients):
    host = HOSTS_BY_NAME["checkout-dev-01"]
    expected = [tracer_identity(tracer) for tracer in fixture_tracers() if tracer["hostname"] == "checkout-dev-01"]
    assert len(expected) == 1

    response, status, _ = clients.with_http_info(server.url).list_fleet_agent_tracers(agent_key=host["agent_key"])

    assert status == 200
    assert_deep_parsed(response)
    assert [tracer_identity(tracer) for tracer in response.data.attributes.tracers] == expected
    assert response.meta.total_filtered_count == 1


def test_list_agent_tracers_of_a_host_without_apm_is_empty(api):
    host = next(host for host in FLEET["hosts"] if not host["attributes"]["tracers"])

    response = api.list_fleet_agent_tracers(
        agent_key=host["agent_key"], page_number=0, page_size=5, sort_attribute="language", sort_descending=False
    )

    assert_deep_parsed(response)
    assert response.data.attributes.tracers == []
    assert response.meta.total_filtered_count == 0


def test_list_agent_tracers_errors(api):
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=UNKNOWN_ID), 404)
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=REPLACE_ME), 400)
    key = FLEET["hosts"][0]["agent_key"]
    expect_api_error(lambda: api.list_fleet_agent_tracers(agent_key=key, sort_attribute="bogus"), 400)


# ---------------------------------------------------------------------------------------------
# Permissions and credentials
# ---------------------------------------------------------------------------------------------


def test_read_only_key_reads_everything_and_writes_nothing(fresh_server, clients):
    url = fresh_server.url
    api = clients(url, app_key=READONLY_APP_KEY)
    key = HOSTS_BY_NAME["checkout-dev-01"]["agent_key"]
    for response in (
        api.list_fleet_agents(),
        api.get_fleet_agent_info(agent_key=key),
        api.list_fleet_tracers(),
        api.list_fleet_agent_tracers(agent_key=key),
    ):
        assert_deep_parsed(response)
    writes = {
        "create_fleet_deployment_configure": lambda: api.create_fleet_deployment_configure(
            body=request_model(api, FleetDeploymentConfigureCreateRequest, configure_body(SEARCH_QA, LOG_LEVEL_DEBUG))
        ),
        "create_fleet_deployment_upgrade": lambda: api.create_fleet_deployment_upgrade(
            body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, upgrade_body(SEARCH_QA, "7.52.1"))
        ),
        "create_fleet_schedule": lambda: api.create_fleet_schedule(
            body=request_model(api, FleetScheduleCreateRequest, schedule_body())
        ),
        "update_fleet_schedule": lambda: api.update_fleet_schedule(
            id=SCHEDULE_PROD,
            body=request_model(
                api, FleetSchedulePatchRequest, {"data": {"type": "schedule", "attributes": {"name": "x"}}}
            ),
        ),
        "delete_fleet_schedule": lambda: api.delete_fleet_schedule(id=SCHEDULE_PROD),
    }
    for name, call in writes.items():
        error = expect_api_error(call, 403)
        assert "agent_upgrade_write" in error_text(error), name

    assert deployment_count(api) == 0
    assert schedule_ids(api) == sorted(item["id"] for item in FLEET["schedules"])
    assert api.get_fleet_schedule(id=SCHEDULE_PROD).data.attributes.name == FLEET["schedules"][0]["name"]


def test_upgrade_key_manages_schedules_but_may_not_configure_or_upgrade(fresh_server, clients):
    api = clients(fresh_server.url, app_key=UPGRADE_APP_KEY)

    for call in (
        lambda: api.create_fleet_deployment_configure(
            body=request_model(api, FleetDeploymentConfigureCreateRequest, configure_body(SEARCH_QA, LOG_LEVEL_DEBUG))
        ),
        lambda: api.create_fleet_deployment_upgrade(
            body=request_model(api, FleetDeploymentPackageUpgradeCreateRequest, upgrade_body(SEARCH_QA, "7.52.1"))
        ),
    ):
        error = expect_api_error(call, 403)
        assert "fleet_policies_write" in error_text(error)
    assert deployment_count(api) == 0

    created = create_schedule(api, schedule_body()).data
    assert created.attributes.created_by == UPGRADER_OWNER
    updated = update_schedule(
        api, created.id, {"data": {"type": "schedule", "attributes": {"name": "By the upgrade key"}}}
    )
    assert updated.data.attributes.updated_by == UPGRADER_OWNER
    assert api.delete_fleet_schedule(id=created.id) is None


def test_new_operations_need_valid_credentials(server, clients):
    wrong_api_key = clients(server.url, api_key="not-a-key")
    expect_api_error(wrong_api_key.list_fleet_agents, 401)
    expect_api_error(wrong_api_key.list_fleet_tracers, 401)
    wrong_app_key = clients(server.url, app_key="not-an-app-key")
    expect_api_error(lambda: wrong_app_key.get_fleet_agent_info(agent_key=FLEET["hosts"][0]["agent_key"]), 401)
    http(server.url, "DELETE", f"/api/unstable/fleet/schedules/{SCHEDULE_PROD}", api_key=None).assert_error(401)
