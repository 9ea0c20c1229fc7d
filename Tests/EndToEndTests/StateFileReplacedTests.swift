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
}
