import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// ListFleetAgents, GetFleetAgentInfo and the tracer lists (unstable), and their v2 agent views.
@Suite struct AgentAndTracerTests {
    @Test func unstableListPagesSortsAndCounts() throws {
        let api = APIHarness()
        let body = try api.json(api.send("GET", "/api/unstable/fleet/agents?page_size=5&page_number=1"))
        #expect(body["data"]?["type"] == .string("status"))
        #expect(body["meta"]?["total_filtered_count"] == .int(12))
        let names = body["data"]?["attributes"]?["agents"]?.arrayValue?.compactMap { $0["hostname"]?.stringValue }
        // Hostname order: bad-prod-1, db-prod-1, web-prod-1..8, web-staging-1, Win-Staging-2 (byte order).
        #expect(names == ["web-prod-4", "web-prod-5", "web-prod-6", "web-prod-7", "web-prod-8"])
        let byVersion = try api.json(
            api.send(
                "GET", "/api/unstable/fleet/agents?sort_attribute=agent_version&sort_descending=true&page_size=100"))
        let versions = byVersion["data"]?["attributes"]?["agents"]?.arrayValue?.compactMap {
            $0["agent_version"]?.stringValue
        }
        #expect(versions?.first == "7.51.0")
        #expect(versions?.last == "5.32.9")
    }

    @Test func unstableTagsAndFilterNarrowTheList() throws {
        let api = APIHarness()
        let tagged = try api.json(api.send("GET", "/api/unstable/fleet/agents?tags=env%3Astaging%2Cservice%3Aweb-api"))
        #expect(tagged["meta"]?["total_filtered_count"] == .int(2))
        let filtered = try api.json(
            api.send("GET", "/api/unstable/fleet/agents?filter=hostname%3Aweb-prod-1+OR+env%3Astaging"))
        #expect(filtered["meta"]?["total_filtered_count"] == .int(3))
        let agent = try #require(filtered["data"]?["attributes"]?["agents"]?.arrayValue?.first)
        #expect(agent["tags"]?.arrayValue?.first == .object(["key": .string("env"), "value": .string("prod")]))
        #expect(agent["envs"] == .array([.string("prod")]))
        #expect(agent["datadog_agent_key"] == .string(TestFleet.key("web-prod-1")))
    }

    @Test(arguments: [
        ("sort_attribute=color", "sort_attribute must be one of hostname, agent_version"),
        ("sort_descending=yes", "sort_descending must be true or false, got 'yes'"),
        ("page_size=0", "page_size must be between 1 and 100, got 0"),
        ("page_number=-1", "page_number must be between 0 and"),
        ("filter=env%3A%28prod", "invalid query 'env:(prod'"),
    ])
    func badListParametersAre400(query: String, message: String) throws {
        let api = APIHarness()
        for path in ["/api/unstable/fleet/agents", "/api/v2/fleet/agents"] {
            let response = api.send("GET", "\(path)?\(query)")
            #expect(response.status == 400)
            #expect(api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? "")")
        }
    }

    @Test func unstableDetailShowsConfigurationAsYAMLAndFollowsDeployments() throws {
        let api = APIHarness()
        let before = try api.json(api.send("GET", "/api/unstable/fleet/agents/\(TestFleet.key("web-prod-1"))"))
        #expect(before["data"]?["type"] == .string("datadog_agent_key"))
        #expect(before["data"]?["attributes"]?["agent_infos"]?["agent_version"] == .string("7.51.0"))
        #expect(
            before["data"]?["attributes"]?["configuration_files"]?["file_configuration"] == .string("log_level: info\n")
        )
        let configure =
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "hostname:web-prod-1", "config_operations": [{"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "debug"}}]}}}"#
        #expect(api.send("POST", "/api/unstable/fleet/deployments/configure", body: configure).status == 201)
        _ = api.advanceClock(seconds: 3_600)  // one operation per host: the upgrade would skip it while busy
        _ = try api.trigger()
        _ = api.advanceClock(seconds: 3_600)
        let after = try api.json(api.send("GET", "/api/unstable/fleet/agents/\(TestFleet.key("web-prod-1"))"))
        #expect(
            after["data"]?["attributes"]?["configuration_files"]?["file_configuration"] == .string("log_level: debug\n")
        )
        #expect(after["data"]?["attributes"]?["agent_infos"]?["agent_version"] == .string("7.53.0"))
        #expect(api.send("GET", "/api/unstable/fleet/agents/0123abcd").status == 404)
        #expect(api.send("GET", "/api/unstable/fleet/agents/REPLACE.ME").status == 400)
    }

    @Test func tracersListFilterAndPerAgent() throws {
        let api = APIHarness()
        let all = try api.json(api.send("GET", "/api/unstable/fleet/tracers"))
        #expect(all["meta"]?["total_filtered_count"] == .int(2))
        // Descending by service by default.
        let services = all["data"]?["attributes"]?["tracers"]?.arrayValue?.compactMap { $0["service"]?.stringValue }
        #expect(services == ["web-frontend", "web-api"])
        let python = try api.json(api.send("GET", "/api/unstable/fleet/tracers?filter=language%3Apython"))
        #expect(python["meta"]?["total_filtered_count"] == .int(1))
        #expect(api.send("GET", "/api/unstable/fleet/tracers?filter=colour%3Ared").status == 400)
        let perAgent = try api.json(
            api.send("GET", "/api/unstable/fleet/agents/\(TestFleet.key("web-staging-1"))/tracers"))
        #expect(perAgent["data"]?["attributes"]?["tracers"]?.arrayValue?.first?["hostname"] == .string("web-staging-1"))
        let none = try api.json(api.send("GET", "/api/unstable/fleet/agents/\(TestFleet.key("db-prod-1"))/tracers"))
        #expect(none["data"]?["attributes"]?["tracers"] == .array([]))
        #expect(api.send("GET", "/api/unstable/fleet/agents/00ff/tracers").status == 404)
    }

    @Test func v2ListTagKeysSelectTagsWithoutFiltering() throws {
        let api = APIHarness()
        let body = try api.json(api.send("GET", "/api/v2/fleet/agents?tags=env&page_size=100"))
        #expect(body["meta"]?["page"] == .object(["total_count": .int(12), "total_filtered_count": .int(12)]))
        let first = try #require(body["data"]?.arrayValue?.first)
        #expect(first["type"] == .string("agent"))
        #expect(first["attributes"]?["tags"] == .array([.object(["key": .string("env"), "value": .string("prod")])]))
        #expect(first["attributes"]?["env"] == .array([.string("prod")]))
    }

    @Test func v2DetailNeedsA32HexKeyAndIncludesOnRequest() throws {
        let api = APIHarness()
        #expect(api.send("GET", "/api/v2/fleet/agents/not-a-valid-agent-key").status == 400)
        #expect(api.send("GET", "/api/v2/fleet/agents/\(TestFleet.key("web-prod-1").uppercased())").status == 400)
        let detail = try api.json(
            api.send("GET", "/api/v2/fleet/agents/\(TestFleet.key("web-prod-1"))?include=integrations,bogus"))
        #expect(detail["data"]?["attributes"]?["agent_infos"]?["hostname"] == .string("web-prod-1"))
        #expect(detail["data"]?["attributes"]?["integrations"] != nil)
        #expect(detail["data"]?["attributes"]?["configuration_files"] == nil)
        #expect(api.send("GET", "/api/v2/fleet/agents/00000000000000000000000000000000").status == 404)
    }
}
