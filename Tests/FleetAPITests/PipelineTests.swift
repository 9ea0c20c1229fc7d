import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

@Suite struct PipelineOrderTests {
    let cancelMalformed = "/api/unstable/fleet/deployments/not-an-id!/cancel"

    @Test func unknownRouteIs404EvenWithoutCredentials() {
        let api = APIHarness()
        let response = api.send("GET", "/api/unstable/fleet/nothing", appKey: nil, apiKey: nil)
        #expect(response.status == 404)
        #expect(api.errorMessage(response) == "Not found: no operation at GET /api/unstable/fleet/nothing")
        #expect(response.header("X-RateLimit-Name") == "unknown")
    }

    @Test func wrongMethodOnAKnownPathIs405WithAllow() {
        let api = APIHarness()
        let response = api.send("DELETE", "/api/unstable/fleet/deployments")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET")
        #expect(api.errorMessage(response) != nil)
    }

    @Test func credentialsAreCheckedBeforePermissionsAndInput() {
        let api = APIHarness()
        #expect(api.send("POST", cancelMalformed, appKey: nil, apiKey: nil).status == 401)
        #expect(
            api.errorMessage(api.send("POST", cancelMalformed, apiKey: nil))
                == "Unauthorized: the DD-API-KEY header is missing")
        #expect(
            api.errorMessage(api.send("POST", cancelMalformed, apiKey: "nope"))
                == "Unauthorized: the DD-API-KEY header does not hold a valid API key")
        #expect(
            api.errorMessage(api.send("POST", cancelMalformed, appKey: nil))
                == "Unauthorized: the DD-APPLICATION-KEY header is missing")
        #expect(api.send("POST", cancelMalformed, appKey: "nope").status == 401)
        #expect(api.send("POST", cancelMalformed, appKey: APIHarness.readOnlyKey).status == 403)
        #expect(api.send("POST", cancelMalformed).status == 400)
    }

    @Test func readsNeedHostsRead() {
        let api = APIHarness()
        #expect(api.send("GET", "/api/unstable/fleet/schedules", appKey: APIHarness.readOnlyKey).status == 200)
        let trigger = api.send(
            "POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger", appKey: APIHarness.readOnlyKey
        )
        #expect(trigger.status == 403)
        #expect(api.errorMessage(trigger)?.hasSuffix("lacks agent_upgrade_write") == true)
    }

    @Test func rateLimitComesAfterPermissionAndBeforeInput() {
        let api = APIHarness(rateLimit: .init(limit: 2, periodSeconds: 60))
        let path = "/api/unstable/fleet/deployments/00000000-0000-4000-8000-000000000000"
        #expect(api.send("GET", path).status == 404)
        let second = api.send("GET", path)
        #expect(second.header("X-RateLimit-Remaining") == "0")
        // A refused key does not use up the quota.
        #expect(api.send("GET", path, appKey: "nope").status == 401)
        let limited = api.send("GET", "/api/unstable/fleet/deployments/not-hex")
        #expect(limited.status == 429)
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect(Int(limited.header("X-RateLimit-Reset") ?? "") ?? 0 > 0)
        #expect(limited.header("X-RateLimit-Limit") == "2")
        #expect(limited.header("X-RateLimit-Period") == "60")
        #expect(limited.header("X-RateLimit-Name") == "get_fleet_deployment")
        #expect(api.errorMessage(limited)?.hasPrefix("Too many requests") == true)
        // Another operation has its own window.
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
    }

    @Test func rateLimitWindowResetsAfterThePeriod() {
        var api = APIHarness(rateLimit: .init(limit: 1, periodSeconds: 10))
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 429)
        api.wallNow = api.wallNow.plus(seconds: 10)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
    }

    @Test func everyAPIResponseCarriesRateLimitHeaders() {
        let api = APIHarness()
        for response in [
            api.send("GET", "/api/unstable/fleet/schedules"),
            api.send("GET", "/api/unstable/fleet/schedules", apiKey: nil),
            api.send("GET", "/api/nowhere"),
        ] {
            for name in ["Limit", "Period", "Remaining", "Reset"] {
                #expect(Int(response.header("X-RateLimit-\(name)") ?? "") != nil, "X-RateLimit-\(name)")
            }
            #expect(response.header("X-RateLimit-Name") != nil)
        }
        #expect(api.send("GET", "/__fleetmock/health").header("X-RateLimit-Limit") == nil)
    }
}

@Suite struct InputValidationTests {
    @Test(arguments: [
        "/api/unstable/fleet/deployments/..%2F..%2Fschedules",
        "/api/unstable/fleet/deployments/%2e%2e",
        "/api/unstable/fleet/deployments/abc%zz",
        "/api/unstable/fleet/deployments/abc-def-ghi",
        "/api/unstable/fleet/deployments/%20",
    ])
    func encodedSeparatorsStayInsideTheIdSegment(path: String) {
        let api = APIHarness()
        let response = api.send("GET", path)
        #expect(response.status == 400)
        #expect(api.errorMessage(response)?.hasPrefix("Bad request:") == true)
    }

    @Test(arguments: [
        ("page_size=0", "must be between 1 and 100, got 0"),
        ("page_size=101", "must be between 1 and 100, got 101"),
        ("page_size=ten", "must be an integer, got 'ten'"),
        ("page_offset=-1", "must be at least 0, got -1"),
        ("page_size=2.5", "must be an integer, got '2.5'"),
    ])
    func listParametersAreValidated(query: String, reason: String) {
        let api = APIHarness()
        let response = api.send("GET", "/api/unstable/fleet/deployments?\(query)")
        #expect(response.status == 400)
        let name = String(query.split(separator: "=")[0])
        #expect(api.errorMessage(response) == "Bad request: query parameter \(name) \(reason)")
    }

    @Test func hostPaginationFollowsLimitAndPage() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let page = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=4&page=2"))
        #expect(page["data"]?["attributes"]?["hosts"]?.arrayValue?.count == 2)
        #expect(
            page["meta"]?["hosts"]
                == .object([
                    "current_page": .int(2), "page_size": .int(4), "total_hosts": .int(10), "total_pages": .int(3),
                ]))
        let past = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=4&page=9"))
        #expect(past["data"]?["attributes"]?["hosts"] == .array([]))
        // A page whose first host's position overflows is past the end too (it trapped the server).
        let far = api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=50&page=\(Int.max)")
        #expect(far.status == 200)
        #expect(try api.json(far)["data"]?["attributes"]?["hosts"] == .array([]))
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=0").status == 400)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=101").status == 400)
    }

    @Test func listIsNewestFirstAndPaged() throws {
        let api = APIHarness()
        let ids = try (0..<3).map { _ in try api.trigger() }
        let first = try api.json(api.send("GET", "/api/unstable/fleet/deployments?page_size=2"))
        #expect(first["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[2], ids[1]])
        #expect(first["meta"]?["page"]?["total_count"] == .int(3))
        #expect(first["data"]?.arrayValue?.first?["attributes"]?["hosts"] == nil)
        let second = try api.json(api.send("GET", "/api/unstable/fleet/deployments?page_size=2&page_offset=2"))
        #expect(second["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0]])
        let beyond = try api.json(api.send("GET", "/api/unstable/fleet/deployments?page_offset=50"))
        #expect(beyond["data"] == .array([]))
    }
}

@Suite struct ReadTests {
    @Test func schedulesAndAgentVersionsRenderTheSpecFields() throws {
        let api = APIHarness()
        let list = try api.json(api.send("GET", "/api/unstable/fleet/schedules"))
        #expect(list["data"]?.arrayValue?.count == 2)
        let one = try api.json(api.send("GET", "/api/unstable/fleet/schedules/\(TestFleet.stagingSchedule.id)"))
        let attributes = try #require(one["data"]?["attributes"])
        #expect(one["data"]?["type"] == .string("schedule"))
        #expect(attributes["version_to_latest"] == .int(1))
        #expect(attributes["status"] == .string("inactive"))
        #expect(attributes["rule"]?["days_of_week"] == .array([.string("Fri")]))
        #expect(attributes["created_at_unix"] == .int(TestFleet.start.unixSeconds))
        let versions = try api.json(api.send("GET", "/api/unstable/fleet/agent_versions"))
        #expect(
            versions["data"]?.arrayValue?.first
                == .object([
                    "id": .string("7.54.0-rc.1"), "type": .string("agent_version"),
                    "attributes": .object(["version": .string("7.54.0-rc.1")]),
                ]))
    }
}

@Suite struct ClockControlTests {
    @Test func advanceMovesManualTimeAndTheRollout() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let advanced = api.advanceClock(seconds: 3600)
        #expect(advanced.status == 200)
        #expect(try api.json(advanced)["now_unix"] == .int(TestFleet.start.unixSeconds + 3600))
        let detail = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)"))
        #expect(detail["data"]?["attributes"]?["high_level_status"] == .string("failed"))
    }

    @Test(arguments: ["", "{", "[]", #"{"seconds": "ten"}"#, #"{"seconds": -1}"#, #"{"other": 1}"#])
    func badBodiesAre400AndMoveNothing(body: String) throws {
        let api = APIHarness()
        let response = api.send("POST", "/__fleetmock/clock/advance", appKey: nil, apiKey: nil, body: body)
        #expect(response.status == 400)
        #expect(api.errorMessage(response) != nil)
        #expect(api.application.simulation.clock.manualNow == TestFleet.start)
    }

    @Test func healthNeedsNoCredentials() {
        let api = APIHarness()
        let response = api.send("GET", "/__fleetmock/health", appKey: nil, apiKey: nil)
        #expect(response.status == 200)
        #expect(response.bodyText == #"{"status":"ok"}"#)
    }
}
