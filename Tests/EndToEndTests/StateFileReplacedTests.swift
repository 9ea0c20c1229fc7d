import Foundation
import Glibc
import Testing

/// The state file deleted or replaced under a running server, for real: writes are refused with a
/// 503 naming the file instead of being acknowledged and lost, reads go on, and a later start on
/// the replacement never sees the old server's writes.
@Suite struct StateFileReplacedTests {
    let trigger = "/api/unstable/fleet/schedules/3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10/trigger"

    func total(_ server: FleetMockProcess) throws -> Int? {
        let page = try server.json("GET", "/api/unstable/fleet/deployments")
        return ((page["meta"] as? [String: Any])?["page"] as? [String: Any])?["total_count"] as? Int
    }

    @Test func aDeletedStateFileRefusesWritesWithA503() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let server = try FleetMockProcess(databasePath: database)
        #expect(try server.request("POST", trigger).status == 201)
        #expect(unlink(database) == 0)
        let refused = try server.request("POST", trigger)
        #expect(refused.status == 503)
        #expect(refused.bodyText.contains("the state file \(database) was deleted or replaced"))
        #expect(try server.request("GET", "/api/unstable/fleet/deployments").status == 200)
        #expect(try total(server) == 1)
        #expect(server.stop() == 0)
        #expect(server.standardError().contains("was deleted or replaced: writes are refused"))
    }

    @Test func aFileRenamedOverTheStateIsNeverMixedWithTheOldWAL() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let database = folder + "/state.sqlite"
        let other = folder + "/other.sqlite"
        let replacement = try FleetMockProcess(databasePath: other)
        #expect(try replacement.request("POST", trigger).status == 201)
        #expect(replacement.stop() == 0)

        let server = try FleetMockProcess(databasePath: database)
        for _ in 0..<3 { #expect(try server.request("POST", trigger).status == 201) }
        #expect(rename(other, database) == 0)
        #expect(try server.request("POST", trigger).status == 503)
        // Killed, so nothing of its shutdown runs: its WAL was emptied when it noticed.
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()

        let restarted = try FleetMockProcess(databasePath: database, extraArguments: [])
        #expect(try total(restarted) == 1, "the replacement's one deployment, none of the old server's three")
        #expect(restarted.stop() == 0)
    }

    /// SIGTERM while an acknowledged write's reply waits out an injected latency: the reply still
    /// arrives, whole, before the server exits 0.
    @Test func sigtermDrainsAReplyDelayedByALatencyFault() throws {
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let server = try FleetMockProcess(databasePath: database)
        let rule = #"{"operation": "TriggerFleetSchedule", "latency_ms": 1500, "times": 1}"#
        #expect(try server.request("POST", "/__fleetmock/faults", body: rule, authenticated: false).status == 201)
        let port = server.port
        let path = trigger
        let slow = Thread.detachNewThreadWithResult {
            let raw =
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
                + "DD-API-KEY: fleetmock-api-key\r\nDD-APPLICATION-KEY: fleetmock-app-key\r\n\r\n"
            return try? HTTPResult(raw: LoopbackHTTP.exchange(port: port, request: Array(raw.utf8)))
        }
        usleep(300_000)
        #expect(server.stop() == 0)
        #expect(slow.wait()??.status == 201)
        let restarted = try FleetMockProcess(databasePath: database, extraArguments: [])
        #expect(try total(restarted) == 1)
        #expect(restarted.stop() == 0)
    }
}
