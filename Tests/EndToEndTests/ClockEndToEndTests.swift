import Foundation
import Glibc
import Testing

/// Simulated time across restarts and at its bounds, with the release binary.
@Suite struct ClockEndToEndTests {
    let prodSchedule = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"

    func now(_ server: FleetMockProcess) throws -> Int {
        try #require(try server.json("GET", "/__fleetmock/clock")["now_unix_ms"] as? Int)
    }

    /// The instant is kept whatever the flags; they change only how time moves on from it, and a
    /// first start and a restart with the same flags agree.
    @Test func aRestartKeepsTheInstantAndFlagsChangeOnlyHowItMoves() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let flags = ["--clock", "manual", "--progress", "timed"]
        let first = try FleetMockProcess(databasePath: database, extraArguments: flags)
        #expect(try first.json("GET", "/__fleetmock/clock")["frozen"] as? Bool == false)
        #expect(
            try first.request("POST", "/__fleetmock/clock/advance", body: #"{"seconds": 86400}"#, authenticated: false)
                .status == 200)
        let advancedTo = try now(first)
        #expect(first.stop() == 0)

        let again = try FleetMockProcess(databasePath: database, extraArguments: flags)
        #expect(try again.json("GET", "/__fleetmock/clock")["frozen"] as? Bool == false)
        let resumedAt = try now(again)
        #expect(resumedAt >= advancedTo && resumedAt < advancedTo + 60_000, "a running clock resumes where it was")
        #expect(again.stop() == 0)

        // A running state restarted with --clock manual freezes where it is, not at an old manual instant.
        let frozen = try FleetMockProcess(databasePath: database, extraArguments: ["--clock", "manual"])
        let clock = try frozen.json("GET", "/__fleetmock/clock")
        #expect(clock["frozen"] as? Bool == true)
        let frozenAt = try #require(clock["now_unix_ms"] as? Int)
        #expect(frozenAt >= advancedTo && frozenAt < advancedTo + 60_000)
        #expect(frozen.stop() == 0)
        usleep(300_000)

        // And a frozen state restarted with --clock wall runs on from that instant: no jump forward.
        let running = try FleetMockProcess(databasePath: database, extraArguments: ["--clock", "wall"])
        let runningAt = try now(running)
        #expect(runningAt >= frozenAt && runningAt < frozenAt + 60_000, "\(runningAt) against \(frozenAt)")
        #expect(running.stop() == 0)
        // Without flags, the mode stays as the last start left it.
        let plain = try FleetMockProcess(databasePath: database, extraArguments: [])
        #expect(try plain.json("GET", "/__fleetmock/clock")["frozen"] as? Bool == false)
        #expect(plain.stop() == 0)
    }

    /// Every way into simulated time is bounded: no value traps the server or leaves a state that
    /// cannot start.
    @Test func theClockRefusesInstantsPastItsBoundAndTheServerGoesOn() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let server = try FleetMockProcess(databasePath: database, extraArguments: ["--clock", "wall"])
        let tooLate = try server.request(
            "POST", "/__fleetmock/clock/set", body: #"{"now_unix_ms": 9223372036854775000}"#, authenticated: false)
        #expect(tooLate.status == 400)
        #expect(tooLate.bodyText.contains("221845392000000"))
        #expect(tooLate.bodyText.contains("now_unix_ms"))
        let lastInstant = try server.request(
            "POST", "/__fleetmock/clock/set", body: #"{"now": "8999-12-31T23:00:00Z"}"#, authenticated: false)
        #expect(lastInstant.status == 200)
        let past = try server.request(
            "POST", "/__fleetmock/clock/advance", body: #"{"seconds": 7200}"#, authenticated: false)
        #expect(past.status == 400)
        #expect(past.bodyText.contains("9000-01-01T00:00:00.000Z"))
        #expect(
            try server.request("POST", "/__fleetmock/clock/resume", body: #"{"speed": 10000}"#, authenticated: false)
                .status == 200)
        #expect(try server.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status == 201)
        usleep(1_500_000)  // the wall clock at 10,000x runs into the bound within the second
        #expect(try now(server) == 221_845_392_000_000)
        #expect(try server.request("GET", "/api/v2/fleet/deployments").status == 200)
        var snapshot = try server.json("POST", "/__fleetmock/snapshot")
        snapshot["clock"] = ["frozen": true, "now_ms": Int64.max - 10]
        let restored = try server.request(
            "POST", "/__fleetmock/restore",
            body: String(decoding: try JSONSerialization.data(withJSONObject: snapshot), as: UTF8.self),
            authenticated: false)
        #expect(restored.status == 400)
        #expect(restored.bodyText.contains("snapshot.clock"))
        #expect(server.stop() == 0)

        let restarted = try FleetMockProcess(databasePath: database, extraArguments: [])
        #expect(try restarted.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status == 201)
        #expect(restarted.stop() == 0)
    }
}
