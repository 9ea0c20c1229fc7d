import Foundation
import Glibc
import Testing

/// The built binary, as a user runs it: port 0, the ready line, SIGTERM, restart, kill -9.
@Suite(.serialized) struct ServeEndToEndTests {
    let prodSchedule = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"

    @Test func printsTheReadyLineAndServesHealth() throws {
        let server = try FleetMockProcess(databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite")
        #expect(server.readyLine.contains("http://127.0.0.1:\(server.port)"))
        let health = try server.request("GET", "/__fleetmock/health", authenticated: false)
        #expect(health.status == 200)
        #expect(health.bodyText == #"{"status":"ok"}"#)
        #expect(health.headers["content-type"] == "application/json")
        #expect(server.stop() == 0)
    }

    @Test func sigtermThenRestartKeepsEveryAcknowledgedChange() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let first = try FleetMockProcess(databasePath: database)
        let created = try first.json("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger")
        let id = try #require((created["data"] as? [String: Any])?["id"] as? String)
        _ = try first.request("POST", "/__fleetmock/clock/advance", body: #"{"seconds": 200}"#)
        let before = try first.request("GET", "/api/unstable/fleet/deployments/\(id)?limit=100")
        #expect(before.status == 200)
        #expect(first.stop(signal: SIGTERM) == 0)

        let second = try FleetMockProcess(databasePath: database)
        let after = try second.request("GET", "/api/unstable/fleet/deployments/\(id)?limit=100")
        #expect(after.status == 200)
        #expect(after.bodyText == before.bodyText)
        #expect(second.stop(signal: SIGINT) == 0)
    }

    @Test func killMinusNineLosesNoAcknowledgedWrite() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let first = try FleetMockProcess(databasePath: database)
        let created = try first.json("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger")
        let id = try #require((created["data"] as? [String: Any])?["id"] as? String)
        #expect(try first.request("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 204)
        _ = first.stop(signal: SIGKILL)

        let second = try FleetMockProcess(databasePath: database)
        let detail = try second.json("GET", "/api/unstable/fleet/deployments/\(id)")
        let attributes = (detail["data"] as? [String: Any])?["attributes"] as? [String: Any]
        #expect(attributes?["high_level_status"] as? String == "canceled")
        #expect(second.stop() == 0)
    }

    @Test func environmentVariablesConfigureTheServer() throws {
        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite", extraArguments: [],
            environment: ["FLEETMOCK_CLOCK": "manual", "FLEETMOCK_RATE_LIMIT": "1"])
        let clock = try server.json("GET", "/__fleetmock/clock")
        #expect(clock["mode"] as? String == "manual")
        #expect(try server.request("GET", "/api/unstable/fleet/schedules").status == 200)
        let limited = try server.request("GET", "/api/unstable/fleet/schedules")
        #expect(limited.status == 429)
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(server.stop() == 0)
    }

    @Test func aBadFlagExitsWithUsage() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        process.arguments = ["serve", "--clock", "sundial"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("--clock must be wall or manual"))
    }

    @Test func healthcheckCommandExitsZeroOnlyForAHealthyServer() throws {
        let server = try FleetMockProcess(databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite")
        let base = "http://127.0.0.1:\(server.port)"
        #expect(try Self.runFleetmock(["healthcheck", "--url", base + "/__fleetmock/health"]) == 0)
        #expect(try Self.runFleetmock(["healthcheck", "--url", base + "/__fleetmock/nothing-here"]) == 1)
        #expect(server.stop() == 0)
        #expect(try Self.runFleetmock(["healthcheck", "--url", base + "/__fleetmock/health", "--timeout", "1"]) == 1)
        #expect(try Self.runFleetmock(["healthcheck", "--url", "ftp://example"]) == 2)
    }

    static func runFleetmock(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func readyFileReadyEndpointAndInMemoryState() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let server = try FleetMockProcess(
            databasePath: ":memory:", extraArguments: ["--clock", "manual", "--ready-file", folder + "/ready"])
        let written = try String(contentsOfFile: folder + "/ready", encoding: .utf8)
        #expect(written == "http://127.0.0.1:\(server.port)\n")
        let ready = try server.json("GET", "/__fleetmock/ready")
        #expect(ready["status"] as? String == "ready")
        #expect(ready["hosts"] as? Int == 120)
        #expect(try server.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status == 201)
        #expect(server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: ":memory:"))
        // A new in-memory server starts from the fixtures again.
        let again = try FleetMockProcess(databasePath: ":memory:")
        let list = try again.json("GET", "/api/unstable/fleet/deployments")
        #expect(((list["meta"] as? [String: Any])?["page"] as? [String: Any])?["total_count"] as? Int == 0)
        #expect(again.stop() == 0)
    }

    @Test func jsonLogsHaveOneLinePerRequestAndNeverAFullKey() throws {
        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite",
            extraArguments: ["--clock", "manual", "--log-format", "json"])
        #expect(try server.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status == 201)
        #expect(try server.request("GET", "/api/unstable/fleet/deployments/0000").status == 404)
        // A request with another org's keys is logged as that org's.
        let org = try server.json("POST", "/__fleetmock/orgs")
        let (orgID, apiKey, appKey) = (org["org"] as? String, org["api_key"] as? String, org["app_key"] as? String)
        let raw =
            "GET /api/unstable/fleet/schedules HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "DD-API-KEY: \(apiKey ?? "")\r\nDD-APPLICATION-KEY: \(appKey ?? "")\r\n\r\n"
        #expect(try HTTPResult(raw: LoopbackHTTP.exchange(port: server.port, request: Array(raw.utf8))).status == 200)
        #expect(server.stop() == 0)
        let lines = server.standardError().split(separator: "\n")
        let records = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let requests = records.filter { $0["event"] as? String == "request" }
        #expect(requests.count == 4)
        #expect(requests.first?["org"] as? String == "default")
        #expect(requests.last?["org"] as? String == orgID)
        #expect(requests.first?["operation"] as? String == "TriggerFleetSchedule")
        #expect(requests.first?["status"] as? Int == 201)
        #expect(requests.dropFirst().first?["status"] as? Int == 404)
        #expect(requests.first?["api_key"] as? String == "…-key")
        #expect(requests.allSatisfy { $0["duration_ms"] is Double || $0["duration_ms"] is Int })
        #expect(!lines.contains { $0.contains("fleetmock-api-key") || $0.contains("fleetmock-app-key") })
    }

    @Test func warnLevelSilencesRequestLines() throws {
        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite",
            extraArguments: ["--clock", "manual", "--log-level", "warn"])
        #expect(try server.request("GET", "/__fleetmock/health", authenticated: false).status == 200)
        #expect(server.stop() == 0)
        #expect(server.standardError().isEmpty)
    }

    @Test func faultLatencyDelaysOnlyItsRequestAndADropClosesTheConnection() throws {
        let server = try FleetMockProcess(databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite")
        let rule = #"{"operation": "ListFleetSchedules", "latency_ms": 400, "times": 1}"#
        #expect(try server.request("POST", "/__fleetmock/faults", body: rule, authenticated: false).status == 201)
        let started = Date()
        let port = server.port
        let slow = Thread.detachNewThreadWithResult {
            let raw =
                "GET /api/unstable/fleet/schedules HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "DD-API-KEY: fleetmock-api-key\r\nDD-APPLICATION-KEY: fleetmock-app-key\r\n\r\n"
            return try? HTTPResult(raw: LoopbackHTTP.exchange(port: port, request: Array(raw.utf8)))
        }
        usleep(100_000)
        // The loop is not blocked: another request is answered while the slow one waits.
        let quickStart = Date()
        #expect(try server.request("GET", "/api/unstable/fleet/agent_versions").status == 200)
        #expect(Date().timeIntervalSince(quickStart) < 0.2)
        let slowResult = slow.wait()
        #expect(slowResult??.status == 200)
        #expect(Date().timeIntervalSince(started) >= 0.35)  // libevent timers have millisecond granularity

        let drop = #"{"operation": "ListFleetDeployments", "drop": true, "times": 1}"#
        #expect(try server.request("POST", "/__fleetmock/faults", body: drop, authenticated: false).status == 201)
        #expect(throws: (any Error).self) { try server.request("GET", "/api/unstable/fleet/deployments") }
        #expect(try server.request("GET", "/api/unstable/fleet/deployments").status == 200)
        #expect(server.stop() == 0)
    }

    @Test func clockAndProgressSurviveARestartUnlessAFlagSaysOtherwise() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let first = try FleetMockProcess(databasePath: database, extraArguments: ["--progress", "immediate"])
        let created = try first.json("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger")
        let attributes = (created["data"] as? [String: Any])?["attributes"] as? [String: Any]
        #expect(attributes?["high_level_status"] as? String == "failed")  // done at once; 2 prod hosts always fail
        _ = try first.request("POST", "/__fleetmock/clock/freeze", authenticated: false)
        let frozenAt = try first.json("GET", "/__fleetmock/clock")["now_unix_ms"] as? Int
        #expect(first.stop() == 0)

        // No --clock, no --progress: the state file's frozen clock and immediate policy come back.
        let second = try FleetMockProcess(databasePath: database, extraArguments: [])
        let clock = try second.json("GET", "/__fleetmock/clock")
        #expect(clock["frozen"] as? Bool == true)
        #expect(clock["now_unix_ms"] as? Int == frozenAt)
        #expect(try second.json("GET", "/__fleetmock/progress")["policy"] as? String == "immediate")
        #expect(second.stop() == 0)

        // An explicit flag wins.
        let third = try FleetMockProcess(
            databasePath: database, extraArguments: ["--clock", "wall", "--progress", "timed"])
        #expect(try third.json("GET", "/__fleetmock/clock")["frozen"] as? Bool == false)
        #expect(try third.json("GET", "/__fleetmock/progress")["policy"] as? String == "timed")
        #expect(third.stop() == 0)
    }

    @Test func twoOrgsUsedInParallelFromTwoThreadsNeverMeetAndSurviveARestart() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let server = try FleetMockProcess(databasePath: database)
        var orgs: [(id: String, api: String, app: String)] = []
        for _ in 0..<2 {
            let org = try server.json("POST", "/__fleetmock/orgs", body: "{}")
            orgs.append((org["org"] as! String, org["api_key"] as! String, org["app_key"] as! String))
        }
        let port = server.port
        let schedule = prodSchedule
        // Each thread triggers 20 deployments in its own org, interleaved with the other's.
        let workers = orgs.map { org in
            Thread.detachNewThreadWithResult { () -> [String] in
                var ids: [String] = []
                for _ in 0..<20 {
                    let raw =
                        "POST /api/unstable/fleet/schedules/\(schedule)/trigger HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Connection: close\r\nContent-Length: 0\r\nDD-API-KEY: \(org.api)\r\nDD-APPLICATION-KEY: \(org.app)\r\n\r\n"
                    guard
                        let result = try? HTTPResult(raw: LoopbackHTTP.exchange(port: port, request: Array(raw.utf8))),
                        result.status == 201,
                        let object = try? JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any],
                        let id = (object["data"] as? [String: Any])?["id"] as? String
                    else { continue }
                    ids.append(id)
                }
                return ids
            }
        }
        let created = workers.map { $0.wait() ?? [] }
        #expect(created.map(\.count) == [20, 20])
        #expect(Set(created[0]).isDisjoint(with: created[1]))
        func total(_ org: (id: String, api: String, app: String), on target: FleetMockProcess) throws -> Int? {
            let raw =
                "GET /api/unstable/fleet/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "DD-API-KEY: \(org.api)\r\nDD-APPLICATION-KEY: \(org.app)\r\n\r\n"
            let result = try HTTPResult(raw: LoopbackHTTP.exchange(port: target.port, request: Array(raw.utf8)))
            let object = try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any]
            return ((object?["meta"] as? [String: Any])?["page"] as? [String: Any])?["total_count"] as? Int
        }
        #expect(try total(orgs[0], on: server) == 20)
        #expect(try total(orgs[1], on: server) == 20)
        let defaultList = try server.json("GET", "/api/unstable/fleet/deployments")
        #expect(((defaultList["meta"] as? [String: Any])?["page"] as? [String: Any])?["total_count"] as? Int == 0)
        #expect(server.stop() == 0)

        let restarted = try FleetMockProcess(databasePath: database)
        #expect(try total(orgs[0], on: restarted) == 20)
        #expect(try total(orgs[1], on: restarted) == 20)
        #expect(restarted.stop() == 0)
    }

    /// The flags are a contract: scripts depend on each one and on its environment variable.
    @Test func serveHelpListsEveryFlagWithItsEnvironmentVariable() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        process.arguments = ["serve", "--help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let help = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let flags = [
            "host", "port", "db", "fixtures", "clock", "seed", "failure-rate", "rate-limit", "rate-limit-period",
            "concurrency", "ready-file", "log-format", "log-level", "journal-size", "progress",
        ]
        for flag in flags {
            #expect(help.contains("--\(flag) "), "--\(flag) missing from serve --help")
            let variable = "FLEETMOCK_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
            #expect(help.contains("env: \(variable)"), "\(variable) missing from serve --help")
        }
        #expect(try Self.runFleetmock(["--help"]) == 0)
        #expect(try Self.runFleetmock(["serve", "--progress", "eventually"]) == 2)
    }

    @Test func generatedFixturesAreDeterministicAndServe() throws {
        let first = FleetMockProcess.temporaryFolder()
        let second = FleetMockProcess.temporaryFolder()
        #expect(try Self.runFleetmock(["fixtures", "generate", "--hosts", "500", "--out", first]) == 0)
        #expect(try Self.runFleetmock(["fixtures", "generate", "--hosts", "500", "--out", second]) == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first + "/fleet.json"))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: second + "/fleet.json"))))
        #expect(try Self.runFleetmock(["fixtures", "generate", "--hosts", "0"]) == 2)

        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite", extraArguments: ["--clock", "manual"],
            fixtures: first)
        let agents = try server.json("GET", "/api/unstable/fleet/agents?page_size=1")
        #expect(agents["meta"] as? [String: Any] as NSDictionary? == ["total_filtered_count": 500] as NSDictionary)
        let created = try server.json("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger")
        let total = ((created["data"] as? [String: Any])?["attributes"] as? [String: Any])?["total_hosts"] as? Int
        #expect(total == 125)  // every fourth host is in prod
        #expect(server.stop() == 0)
    }

    /// A body from 256 KB is lent to libevent rather than copied into its buffer: it must still
    /// arrive whole, as long as its Content-Length says, and the same every time.
    @Test func aLargeReplyArrivesWholeAndTheSameEachTime() throws {
        let fixtures = FleetMockProcess.temporaryFolder()
        #expect(try Self.runFleetmock(["fixtures", "generate", "--hosts", "2000", "--out", fixtures]) == 0)
        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite", extraArguments: ["--clock", "manual"],
            fixtures: fixtures)
        let first = try server.request("GET", "/__fleetmock/snapshot")
        #expect(first.status == 200)
        #expect(first.body.count > 256 * 1024)
        #expect(first.headers["content-length"] == String(first.body.count))
        let document = try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any]
        #expect((document?["hosts"] as? [Any])?.count == 2000)
        // Clients that leave halfway: libevent drops what is left of the lent bytes, and the
        // server goes on.
        let raw = Array("GET /__fleetmock/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        for _ in 0..<5 {
            let part = try LoopbackHTTP.exchange(port: server.port, request: raw, readingAtMost: 64 * 1024)
            #expect(part.count < first.body.count)
        }
        #expect(try server.request("GET", "/__fleetmock/snapshot").body == first.body)
        #expect(server.stop() == 0)
    }

    /// The server runs on jemalloc, linked in as its allocator (a quarter less CPU per trigger than
    /// glibc's malloc) and seen by glibc too, so the process has one heap: jemalloc reads its
    /// MALLOC_CONF and prints its statistics at exit, and the server still serves (a malloc that
    /// glibc did not see crashed it at its first connection).
    @Test func theServerRunsOnJemalloc() throws {
        let server = try FleetMockProcess(
            databasePath: FleetMockProcess.temporaryFolder() + "/state.sqlite",
            environment: ["MALLOC_CONF": "stats_print:true"])
        #expect(try server.request("GET", "/__fleetmock/health").status == 200)
        #expect(server.stop() == 0)
        #expect(server.standardError().contains("Begin jemalloc statistics"))
    }

    /// A host mistake found while the hosts' text is already going into the store on another
    /// thread: the start fails naming the field and leaves the file unseeded, and a start with the
    /// mistake fixed seeds that same file whole.
    @Test func aFixtureMistakeFailsTheStartAndTheFixedFixtureSeedsTheSameFile() throws {
        let fixtures = FleetMockProcess.temporaryFolder()
        #expect(try Self.runFleetmock(["fixtures", "generate", "--hosts", "300", "--out", fixtures]) == 0)
        let path = fixtures + "/fleet.json"
        let good = try String(contentsOfFile: path, encoding: .utf8)
        let lastTags = try #require(good.range(of: #""tags":["#, options: .backwards))
        try good.replacingCharacters(in: lastTags, with: #""tags":[7,"#).write(
            toFile: path, atomically: true, encoding: .utf8)
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"

        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        process.arguments = ["serve", "--port", "0", "--db", database, "--fixtures", fixtures]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("fleet.hosts[299].tags[0]: must be a string"), "\(text)")

        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let server = try FleetMockProcess(databasePath: database, fixtures: fixtures)
        let agents = try server.json("GET", "/api/unstable/fleet/agents?page_size=1")
        #expect(agents["meta"] as? [String: Any] as NSDictionary? == ["total_filtered_count": 300] as NSDictionary)
        #expect(server.stop() == 0)
    }
}

/// A value computed on another thread, waited for.
final class ThreadResult<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    func set(_ value: Value) {
        self.value = value
        done.signal()
    }

    func wait() -> Value? {
        done.wait()
        return value
    }
}

extension Thread {
    static func detachNewThreadWithResult<Value>(_ body: @escaping @Sendable () -> Value) -> ThreadResult<Value> {
        let result = ThreadResult<Value>()
        Thread.detachNewThread { result.set(body()) }
        return result
    }
}
