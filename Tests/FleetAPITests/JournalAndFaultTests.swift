import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// /__fleetmock/requests (the journal) and /__fleetmock/faults, in process.
@Suite struct JournalAndFaultTests {
    func control(_ api: APIHarness, _ method: String, _ target: String, body: String? = nil) -> APIResponse {
        api.send(method, target, appKey: nil, apiKey: nil, body: body)
    }

    @Test func journalRecordsAPIRequestsFiltersThemAndSkipsTheControlSurface() throws {
        let api = APIHarness()
        _ = try api.trigger()
        _ = api.send("GET", "/api/unstable/fleet/schedules", appKey: APIHarness.readOnlyKey)
        _ = api.send("GET", "/api/unstable/fleet/deploymnts")
        _ = control(api, "GET", "/__fleetmock/health")
        let all = try api.json(control(api, "GET", "/__fleetmock/requests"))["requests"]?.arrayValue ?? []
        #expect(all.map { $0["operation"] } == [.string("TriggerFleetSchedule"), .string("ListFleetSchedules"), .null])
        #expect(all[0]["status"] == .int(201))
        #expect(all[0]["org"] == .string("default"))
        #expect(all[0]["response_body"]?.stringValue?.hasPrefix(#"{"data":{"attributes""#) == true)
        #expect(all[2]["near_match"] == .string("GET /api/unstable/fleet/deployments"))
        let created = try api.json(
            control(api, "GET", "/__fleetmock/requests?operation=TriggerFleetSchedule&status=201"))
        #expect(created["requests"]?.arrayValue?.count == 1)
        let none = try api.json(control(api, "GET", "/__fleetmock/requests?status=500"))
        #expect(none["requests"] == .array([]))
        #expect(control(api, "GET", "/__fleetmock/requests?since=yesterday").status == 400)
        #expect(control(api, "DELETE", "/__fleetmock/requests").status == 204)
        #expect(try api.json(control(api, "GET", "/__fleetmock/requests"))["requests"] == .array([]))
    }

    @Test func journalIsABoundedRingAndCutsBodies() throws {
        var journal = RequestJournal(capacity: 3, bodyLimit: 5)
        for index in 0..<5 {
            journal.record(
                time: TestFleet.start, method: "GET", target: "/\(index)", operation: nil, org: "default", status: 200,
                durationMicroseconds: 1, requestBody: Array("0123456789".utf8), responseBody: [], nearMatch: nil,
                fault: nil)
        }
        let kept = journal.entries(matching: RequestJournal.Filter())
        #expect(kept.map(\.target) == ["/2", "/3", "/4"])
        #expect(kept.map(\.sequence) == [3, 4, 5])
        #expect(kept[0].requestBody == "01234…[5 more bytes]")
    }

    @Test func aRuleForcesItsStatusForTheNextNCallsOfItsOperation() throws {
        let api = APIHarness()
        let added = control(
            api, "POST", "/__fleetmock/faults", body: #"{"operation": "ListFleetSchedules", "status": 503, "times": 2}"#
        )
        #expect(added.status == 201)
        let id = try #require(try api.json(added)["id"]?.stringValue)
        for _ in 0..<2 {
            let forced = api.send("GET", "/api/unstable/fleet/schedules")
            #expect(forced.status == 503)
            #expect(api.errorMessage(forced) == "Service unavailable (forced by FleetMock fault \(id))")
        }
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
        #expect(api.send("GET", "/api/unstable/fleet/agent_versions").status == 200)
        let journal = try api.json(control(api, "GET", "/__fleetmock/requests?status=503"))
        #expect(journal["requests"]?.arrayValue?.first?["fault"] == .string(id))
        #expect(try api.json(control(api, "GET", "/__fleetmock/faults"))["faults"] == .array([]))
    }

    @Test func aForced429SaysWhenToRetryAndAForcedStatusComesBeforeCredentials() throws {
        let api = APIHarness()
        _ = control(
            api, "POST", "/__fleetmock/faults",
            body: #"{"method": "POST", "path": "/api/unstable/fleet/schedules/*/trigger", "status": 429}"#)
        let limited = api.send(
            "POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger", appKey: nil)
        #expect(limited.status == 429)
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect(limited.header("X-RateLimit-Reset") == "1")
        #expect(api.application.simulation.deployments.isEmpty)
    }

    @Test func rulesCanSelectAnAPIKeyAndGiveABody() throws {
        let api = APIHarness()
        _ = control(
            api, "POST", "/__fleetmock/faults",
            body: #"{"operation": "ListFleetAgentVersions", "api_key": "someone-else", "status": 500}"#)
        #expect(api.send("GET", "/api/unstable/fleet/agent_versions").status == 200)
        _ = control(
            api, "POST", "/__fleetmock/faults",
            body: #"{"operation": "ListFleetAgentVersions", "status": 200, "body": {"data": []}}"#)
        let shaped = api.send("GET", "/api/unstable/fleet/agent_versions")
        #expect(shaped.bodyText == #"{"data":[]}"#)
        #expect(control(api, "DELETE", "/__fleetmock/faults").status == 204)
        #expect(
            try api.json(api.send("GET", "/api/unstable/fleet/agent_versions"))["data"]?.arrayValue?.isEmpty == false)
    }

    @Test func latencyAndDropShapeTheReplyNotTheState() throws {
        let api = APIHarness()
        _ = control(
            api, "POST", "/__fleetmock/faults",
            body: #"{"operation": "TriggerFleetSchedule", "latency_ms": 250, "times": 1}"#)
        let slow = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(slow.status == 201)
        #expect(slow.delayMilliseconds == 250)
        #expect(api.application.simulation.deployments.count == 1)
        _ = control(api, "POST", "/__fleetmock/faults", body: #"{"operation": "ListFleetDeployments", "drop": true}"#)
        #expect(api.send("GET", "/api/unstable/fleet/deployments").dropConnection)
        let prefer = api.application.handle(
            APIRequest(method: "GET", target: "/api/unstable/fleet/schedules", headers: [("Prefer", "code=418")]),
            wallNow: TestFleet.start)
        #expect(prefer.status == 418)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
    }

    @Test(arguments: [
        (#"{"status": 503}"#, "operation or path is required"),
        (#"{"operation": "ListThings", "status": 503}"#, "'ListThings' is not an operation id"),
        (#"{"operation": "FleetMockHealth", "status": 503}"#, "is not an operation id"),
        (#"{"operation": "ListFleetSchedules", "status": 700}"#, "status must be an HTTP status from 100 to 599"),
        (#"{"operation": "ListFleetSchedules"}"#, "the rule must do something"),
        (#"{"operation": "ListFleetSchedules", "status": 500, "times": 0}"#, "times must be from 1"),
        (#"{"path": "api/x", "status": 500}"#, "path must start with '/'"),
        (#"{"host": "no-such-host"}"#, "'no-such-host' is neither a hostname nor an agent key"),
        (#"[]"#, "expected a JSON object"),
    ])
    func badRulesAre400(body: String, message: String) throws {
        let api = APIHarness()
        let response = control(api, "POST", "/__fleetmock/faults", body: body)
        #expect(response.status == 400)
        #expect(
            api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? response.bodyText)")
        #expect(api.application.faults.rules.isEmpty)
    }

    @Test func aHostFaultFailsThatHostsNextOperationWithItsText() throws {
        let api = APIHarness()
        let added = control(
            api, "POST", "/__fleetmock/faults", body: #"{"host": "web-prod-2", "error": "disk full", "times": 1}"#)
        #expect(added.status == 201)
        let first = try api.trigger()
        _ = api.advanceClock(seconds: 3_600)  // the first is done: its hosts are free for the second
        let second = try api.trigger()
        _ = api.advanceClock(seconds: 3_600)
        func error(_ deployment: String) -> String? {
            api.application.simulation.deployment(id: deployment)?.operations.first { $0.hostname == "web-prod-2" }?
                .error
        }
        #expect(error(first) == "disk full")
        #expect(error(second) == "")
        #expect(api.application.simulation.host(agentKey: TestFleet.key("web-prod-2"))?.agentVersion == "7.53.0")
        #expect(control(api, "DELETE", "/__fleetmock/faults/fault-99").status == 400)
    }
}
