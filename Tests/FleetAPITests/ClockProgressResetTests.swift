import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// /__fleetmock/clock/{freeze,resume,set}, /__fleetmock/progress and /__fleetmock/reset.
@Suite struct ClockProgressResetTests {
    func control(_ api: APIHarness, _ method: String, _ target: String, body: String? = nil) -> APIResponse {
        api.send(method, target, appKey: nil, apiKey: nil, body: body)
    }

    @Test func aRunningClockAtTenTimesSpeedAndFreezingIt() throws {
        var api = APIHarness()
        let resumed = try api.json(control(api, "POST", "/__fleetmock/clock/resume", body: #"{"speed": 10}"#))
        #expect(resumed["frozen"] == .bool(false))
        #expect(resumed["speed"]?.doubleValue == 10)
        let start = try #require(resumed["now_unix_ms"]?.intValue)
        api.wallNow = api.wallNow.plus(seconds: 3)
        let later = try api.json(control(api, "GET", "/__fleetmock/clock"))
        #expect(later["now_unix_ms"]?.intValue == start + 30_000)
        let frozen = try api.json(control(api, "POST", "/__fleetmock/clock/freeze"))
        #expect(frozen["frozen"] == .bool(true))
        api.wallNow = api.wallNow.plus(seconds: 60)
        #expect(try api.json(control(api, "GET", "/__fleetmock/clock"))["now_unix_ms"]?.intValue == start + 30_000)
        #expect(control(api, "POST", "/__fleetmock/clock/resume", body: #"{"speed": 0}"#).status == 400)
        #expect(control(api, "POST", "/__fleetmock/clock/resume", body: #"{"speed": "fast"}"#).status == 400)
    }

    @Test func settingTheClockRunsTheRolloutButNeverGoesBack() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let set = control(api, "POST", "/__fleetmock/clock/set", body: #"{"now": "2026-01-01T02:00:00Z"}"#)
        #expect(set.status == 200)
        #expect(try api.json(set)["now"] == .string("2026-01-01T02:00:00.000Z"))
        #expect(api.application.simulation.deployment(id: id)?.status == .failed)  // bad-prod-1 always fails
        let back = control(api, "POST", "/__fleetmock/clock/set", body: #"{"now": "2026-01-01T01:00:00Z"}"#)
        #expect(back.status == 400)
        #expect(api.errorMessage(back)?.contains("time only moves forward") == true)
        #expect(control(api, "POST", "/__fleetmock/clock/set", body: #"{"now": "tomorrow"}"#).status == 400)
        #expect(control(api, "POST", "/__fleetmock/clock/set", body: #"{"now_unix_ms": 1767236400000}"#).status == 200)
    }

    @Test func immediateProgressCompletesEveryHostInTheCreateReply() throws {
        let api = APIHarness()
        #expect(try api.json(control(api, "GET", "/__fleetmock/progress"))["policy"] == .string("stepped"))
        #expect(
            try api.json(control(api, "POST", "/__fleetmock/progress", body: #"{"policy": "immediate"}"#))["policy"]
                == .string("immediate"))
        let created = try api.json(
            api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.stagingSchedule.id)/trigger"))
        #expect(created["data"]?["attributes"]?["high_level_status"] == .string("completed"))
        // The staging schedule's target (6.53.1) is below web-staging-1's 7.51.0: skipped, never moved down.
        #expect(api.application.simulation.host(agentKey: TestFleet.key("web-staging-1"))?.agentVersion == "7.51.0")
        let id = try #require(created["data"]?["id"]?.stringValue)
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 400)
        #expect(control(api, "POST", "/__fleetmock/progress", body: #"{"policy": "eventually"}"#).status == 400)
    }

    @Test func steppedFreezesAndTimedRunsTheClock() throws {
        let api = APIHarness()
        _ = control(api, "POST", "/__fleetmock/progress", body: #"{"policy": "timed"}"#)
        #expect(try api.json(control(api, "GET", "/__fleetmock/clock"))["frozen"] == .bool(false))
        _ = control(api, "POST", "/__fleetmock/progress", body: #"{"policy": "stepped"}"#)
        #expect(try api.json(control(api, "GET", "/__fleetmock/clock"))["frozen"] == .bool(true))
    }

    @Test func resetReturnsToTheFixturesAndClearsFaultsJournalAndLimits() throws {
        let api = APIHarness(rateLimit: .init(limit: 1, periodSeconds: 60))
        _ = try api.trigger()
        _ = api.send("DELETE", "/api/unstable/fleet/schedules/\(TestFleet.stagingSchedule.id)")
        _ = control(api, "POST", "/__fleetmock/faults", body: #"{"operation": "ListFleetSchedules", "status": 503}"#)
        _ = control(api, "POST", "/__fleetmock/clock/advance", body: #"{"seconds": 600}"#)
        let reset = control(api, "POST", "/__fleetmock/reset")
        #expect(reset.status == 200)
        #expect(try api.json(reset)["status"] == .string("reset"))
        #expect(api.application.simulation.deployments.isEmpty)
        #expect(api.application.simulation.schedules.count == 2)
        #expect(api.application.simulation.clock.manualNow == TestFleet.start)
        #expect(api.application.faults.rules.isEmpty)
        #expect(api.application.journal.count == 0)
        #expect(api.persistence.replacements.count == 1)
        // The rate-limit window started over too.
        #expect(api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger").status == 201)
    }

    @Test func aResetTheStoreRefusesChangesNothing() throws {
        let api = APIHarness()
        let id = try api.trigger()
        api.persistence.failNextWrite = true
        #expect(control(api, "POST", "/__fleetmock/reset").status == 500)
        #expect(api.application.simulation.deployment(id: id) != nil)
    }

    @Test func snapshotThenRestoreBringsTheSceneBack() throws {
        let api = APIHarness()
        let kept = try api.trigger()
        _ = api.advanceClock(seconds: 40)
        let snapshot = control(api, "POST", "/__fleetmock/snapshot")
        #expect(snapshot.status == 200)
        #expect(try api.json(snapshot)["format"] == .string("fleetmock-snapshot/1"))
        let before = api.send("GET", "/api/unstable/fleet/deployments/\(kept)").body
        let later = try api.trigger()
        _ = api.advanceClock(seconds: 600)
        let restored = control(api, "POST", "/__fleetmock/restore", body: snapshot.bodyText)
        #expect(restored.status == 200)
        #expect(try api.json(restored)["deployments"] == .int(1))
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(later)").status == 404)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(kept)").body == before)
        // A document that does not read changes nothing.
        let bad = control(
            api, "POST", "/__fleetmock/restore", body: #"{"agent_versions": "7.0.0", "hosts": [], "schedules": []}"#)
        #expect(bad.status == 400)
        #expect(api.errorMessage(bad)?.contains("agent_versions") == true)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(kept)").body == before)
        // So does one whose host operation's times do not fit its state.
        let finishedHost = #""state":"succeeded""#
        var edited = snapshot.bodyText
        let pendingState = try #require(edited.firstRange(of: #""state":"pending""#))
        edited.replaceSubrange(pendingState, with: finishedHost)
        let unfit = control(api, "POST", "/__fleetmock/restore", body: edited)
        #expect(unfit.status == 400)
        #expect(api.errorMessage(unfit)?.contains("started_at_ms") == true)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(kept)").body == before)
    }
}
