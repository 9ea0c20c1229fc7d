import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// /__fleetmock/orgs: isolated tenants with their own keys and state.
@Suite struct OrgTests {
    struct Keys {
        let org: String
        let api: String
        let app: String
    }

    func control(_ api: APIHarness, _ method: String, _ target: String, body: String? = nil) -> APIResponse {
        api.send(method, target, appKey: nil, apiKey: nil, body: body)
    }

    func createOrg(_ api: APIHarness, body: String? = nil) throws -> Keys {
        let response = control(api, "POST", "/__fleetmock/orgs", body: body)
        #expect(response.status == 201)
        let json = try api.json(response)
        return Keys(
            org: try #require(json["org"]?.stringValue), api: try #require(json["api_key"]?.stringValue),
            app: try #require(json["app_key"]?.stringValue))
    }

    /// `?org=ID` on the journal lists that org's exchanges alone; without a limit, every entry kept.
    @Test func theJournalSelectsOneOrgsExchanges() throws {
        let api = APIHarness()
        let org = try createOrg(api)
        for _ in 0..<120 { _ = api.send("GET", "/api/unstable/fleet/schedules") }
        _ = api.send("GET", "/api/unstable/fleet/schedules", appKey: org.app, apiKey: org.api)
        let everyOrg = try api.json(control(api, "GET", "/__fleetmock/requests"))["requests"]?.arrayValue ?? []
        #expect(everyOrg.count == 121)
        let mine =
            try api.json(control(api, "GET", "/__fleetmock/requests?org=\(org.org)"))["requests"]?.arrayValue ?? []
        #expect(mine.map { $0["org"] } == [.string(org.org)])
        let defaults = try api.json(control(api, "GET", "/__fleetmock/requests?org=default&limit=5"))["requests"]?
            .arrayValue
        #expect(defaults?.count == 5)
        #expect(control(api, "GET", "/__fleetmock/requests?org=org-nobody").status == 404)
    }

    @Test func aNewOrgHasItsOwnKeysAndSeesNothingOfTheOthers() throws {
        let api = APIHarness()
        let first = try createOrg(api)
        let second = try createOrg(api)
        #expect(first.org != second.org)
        #expect(first.api != second.api)
        let created = api.send(
            "POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger", appKey: first.app,
            apiKey: first.api)
        #expect(created.status == 201)
        let id = try #require(try api.json(created)["data"]?["id"]?.stringValue)
        #expect(
            api.send("GET", "/api/unstable/fleet/deployments/\(id)", appKey: first.app, apiKey: first.api).status == 200
        )
        #expect(
            api.send("GET", "/api/unstable/fleet/deployments/\(id)", appKey: second.app, apiKey: second.api).status
                == 404)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(id)").status == 404)  // the default org
        // Keys do not cross orgs.
        #expect(
            api.send("GET", "/api/unstable/fleet/schedules", appKey: APIHarness.allKey, apiKey: first.api).status == 401
        )
        let journal = try api.json(control(api, "GET", "/__fleetmock/requests?operation=TriggerFleetSchedule"))
        #expect(journal["requests"]?.arrayValue?.first?["org"] == .string(first.org))
    }

    @Test func clocksRateLimitsAndResetsArePerOrg() throws {
        let api = APIHarness(rateLimit: .init(limit: 1, periodSeconds: 60))
        let org = try createOrg(api)
        _ = control(api, "POST", "/__fleetmock/clock/advance?org=\(org.org)", body: #"{"seconds": 3600}"#)
        let orgClock = try api.json(control(api, "GET", "/__fleetmock/clock?org=\(org.org)"))["now_unix_ms"]?.intValue
        let defaultClock = try api.json(control(api, "GET", "/__fleetmock/clock"))["now_unix_ms"]?.intValue
        #expect(orgClock == (defaultClock ?? 0) + 3_600_000)
        #expect(api.send("GET", "/api/unstable/fleet/schedules", appKey: org.app, apiKey: org.api).status == 200)
        #expect(api.send("GET", "/api/unstable/fleet/schedules", appKey: org.app, apiKey: org.api).status == 429)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)  // the default org's own window
        _ = api.send("DELETE", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)")
        #expect(control(api, "POST", "/__fleetmock/reset?org=\(org.org)").status == 200)
        #expect(api.application.simulation.schedule(id: TestFleet.prodSchedule.id) == nil)  // default org untouched
        #expect(control(api, "POST", "/__fleetmock/reset").status == 200)
        #expect(api.application.simulation.schedule(id: TestFleet.prodSchedule.id) != nil)
        #expect(control(api, "GET", "/__fleetmock/clock?org=org-nope").status == 404)
    }

    @Test func narrowerKeysAndAFixtureDocumentOnRequest() throws {
        let api = APIHarness()
        let body = """
            {"name": "tiny", "app_keys": [{"name": "reader", "permissions": ["hosts_read"]}],
             "fixture": {"agent_versions": ["7.53.0"], "hosts": [{"agent_key": "00000000000000000000000000000001",
               "hostname": "only-host", "tags": ["env:prod"], "packages": {"datadog-agent": "7.50.0"}}], "schedules": []}}
            """
        let response = control(api, "POST", "/__fleetmock/orgs", body: body)
        #expect(response.status == 201)
        let json = try api.json(response)
        #expect(json["hosts"] == .int(1))
        let apiKey = try #require(json["api_key"]?.stringValue)
        let reader = try #require(
            json["app_keys"]?.arrayValue?.first { $0["name"] == .string("reader") }?["key"]?.stringValue)
        let agents = try api.json(api.send("GET", "/api/unstable/fleet/agents", appKey: reader, apiKey: apiKey))
        #expect(agents["meta"]?["total_filtered_count"] == .int(1))
        let forbidden = api.send(
            "POST", "/api/unstable/fleet/deployments/upgrade", appKey: reader, apiKey: apiKey, body: "{}")
        #expect(forbidden.status == 403)
    }

    @Test(arguments: [
        (#"{"app_keys": [{"permissions": ["admin"]}]}"#, "'admin' is not one of hosts_read"),
        (#"{"fixture": {"hosts": "none"}}"#, "fixture"),
        (#"{"progress": "soon"}"#, "progress must be one of immediate, stepped, timed"),
    ])
    func aBadRequestCreatesNoOrg(body: String, message: String) throws {
        let api = APIHarness()
        let response = control(api, "POST", "/__fleetmock/orgs", body: body)
        #expect(response.status == 400)
        #expect(
            api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? response.bodyText)")
        #expect(api.orgHosting.records.isEmpty)
        #expect(try api.json(control(api, "GET", "/__fleetmock/orgs"))["orgs"]?.arrayValue?.count == 1)
    }

    @Test func deletingAnOrgRevokesItsKeys() throws {
        let api = APIHarness()
        let org = try createOrg(api)
        #expect(api.orgHosting.records[org.org] != nil)
        #expect(control(api, "DELETE", "/__fleetmock/orgs/\(org.org)").status == 204)
        #expect(api.send("GET", "/api/unstable/fleet/schedules", appKey: org.app, apiKey: org.api).status == 401)
        #expect(api.orgHosting.records.isEmpty)
        #expect(control(api, "DELETE", "/__fleetmock/orgs/\(org.org)").status == 404)
        #expect(control(api, "DELETE", "/__fleetmock/orgs/default").status == 400)
    }

    @Test func clearingOrResettingOneOrgsFaultsLeavesTheOthers() throws {
        let api = APIHarness()
        let first = try createOrg(api)
        let second = try createOrg(api)
        let hostFault = #"{"host": "web-prod-2", "error": "disk full", "times": 5}"#
        for org in [first, second] {
            #expect(control(api, "POST", "/__fleetmock/faults?org=\(org.org)", body: hostFault).status == 201)
        }
        let scoped = #"{"operation": "ListFleetSchedules", "status": 503, "api_key": "\#(second.api)"}"#
        #expect(control(api, "POST", "/__fleetmock/faults", body: scoped).status == 201)
        let everyKey = #"{"operation": "ListFleetSchedules", "status": 502}"#
        #expect(control(api, "POST", "/__fleetmock/faults", body: everyKey).status == 201)
        func hostFaults(_ org: Keys) throws -> Int {
            let listed = try api.json(control(api, "GET", "/__fleetmock/faults?org=\(org.org)"))
            return listed["host_faults"]?.arrayValue?.count ?? -1
        }
        func rules() throws -> Int {
            try api.json(control(api, "GET", "/__fleetmock/faults"))["faults"]?.arrayValue?.count ?? -1
        }

        // Clearing the second org's faults takes its host fault and the rule for its key, nothing else.
        #expect(control(api, "DELETE", "/__fleetmock/faults?org=\(second.org)").status == 204)
        #expect(try hostFaults(second) == 0)
        #expect(try hostFaults(first) == 1)
        #expect(try rules() == 1)
        // Resetting the first org alone clears its own.
        #expect(control(api, "POST", "/__fleetmock/reset?org=\(first.org)").status == 200)
        #expect(try hostFaults(first) == 0)
        // Without ?org=, every fault goes.
        #expect(control(api, "POST", "/__fleetmock/faults?org=\(first.org)", body: hostFault).status == 201)
        #expect(control(api, "DELETE", "/__fleetmock/faults").status == 204)
        #expect(try hostFaults(first) == 0)
        #expect(try rules() == 0)
    }
}
