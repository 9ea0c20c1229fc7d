import Foundation
import Glibc
import Testing

/// One org's storage fault, for real: its file on a tmpfs that is full, while another org, whose
/// file is on the ordinary disk, keeps writing in the same passes. Needs root (mount); CI runs as root.
@Suite struct OrgStorageFaultTests {
    let prodSchedule = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"

    struct OrgKeys: Sendable {
        let id: String
        let api: String
        let app: String
    }

    func deployments(_ server: FleetMockProcess, _ org: OrgKeys) throws -> Int {
        let raw =
            "GET /api/unstable/fleet/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "DD-API-KEY: \(org.api)\r\nDD-APPLICATION-KEY: \(org.app)\r\n\r\n"
        let result = try HTTPResult(raw: LoopbackHTTP.exchange(port: server.port, request: Array(raw.utf8)))
        let json = try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any]
        return ((json?["meta"] as? [String: Any])?["page"] as? [String: Any])?["total_count"] as? Int ?? -1
    }

    /// Mounting needs root, which CI always runs as: elsewhere these tests pass over the fault.
    static func mayMount() -> Bool {
        guard getuid() == 0 else {
            #expect(
                ProcessInfo.processInfo.environment["CI"] != "true", "CI runs as root, where these tests mount a tmpfs")
            return false
        }
        return true
    }

    /// A tmpfs of its own, the size given; nil where this run may not mount.
    func smallTmpfs(megabytes: Int) throws -> String? {
        guard Self.mayMount() else { return nil }
        let folder = FleetMockProcess.temporaryFolder()
        #expect(try shell("mount -t tmpfs -o size=\(megabytes)m none \(folder)") == 0)
        return folder
    }

    func unmount(_ folder: String) {
        _ = try? shell("umount -l \(folder)")
    }

    /// Fills the filesystem at `folder` to the last byte.
    func fill(_ folder: String) {
        _ = try? shell("dd if=/dev/zero of=\(folder)/filler bs=64k 2>/dev/null")
    }

    func shell(_ command: String) throws -> Int32 {
        try StartupEndToEndTests.run(["-c", command], executable: "/bin/sh").status
    }

    @Test func aFullDiskInOneOrgNeverFailsNorLosesAnotherOrgsWrites() throws {
        guard Self.mayMount() else { return }
        let folder = FleetMockProcess.temporaryFolder()
        let database = folder + "/state.sqlite"
        let quiet = ["--clock", "manual", "--log-level", "error"]
        let first = try FleetMockProcess(databasePath: database, extraArguments: quiet)
        var keys: [OrgKeys] = []
        for _ in 0..<2 {
            let org = try first.json("POST", "/__fleetmock/orgs")
            keys.append(
                OrgKeys(id: org["org"] as! String, api: org["api_key"] as! String, app: org["app_key"] as! String))
        }
        #expect(first.stop() == 0)
        let (full, healthy) = (keys[0], keys[1])

        // The full org's file moves to a small tmpfs and is reached through a link.
        guard let small = try smallTmpfs(megabytes: 1) else { return }
        defer { unmount(small) }
        let orgFile = "\(database).orgs/\(full.id).sqlite"
        #expect(try shell("mv \(orgFile) \(small)/ && ln -s \(small)/\(full.id).sqlite \(orgFile)") == 0)

        let server = try FleetMockProcess(databasePath: database, extraArguments: quiet)
        fill(small)
        // Both orgs trigger at once, three clients each, so their writes share the server's passes.
        let port = server.port
        let schedule = prodSchedule
        let workers = [full, healthy, full, healthy, full, healthy].map { org in
            Thread.detachNewThreadWithResult { () -> (String, [Int]) in
                let raw =
                    "POST /api/unstable/fleet/schedules/\(schedule)/trigger HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\nContent-Length: 0\r\nDD-API-KEY: \(org.api)\r\nDD-APPLICATION-KEY: \(org.app)\r\n\r\n"
                let statuses = (0..<40).map { _ in
                    (try? HTTPResult(raw: LoopbackHTTP.exchange(port: port, request: Array(raw.utf8))))?.status ?? 0
                }
                return (org.id, statuses)
            }
        }
        var statuses: [String: [Int]] = [full.id: [], healthy.id: []]
        for worker in workers {
            let (id, seen) = worker.wait() ?? ("", [])
            statuses[id, default: []] += seen
        }
        let healthyCreated = statuses[healthy.id]!.filter { $0 == 201 }.count
        let fullCreated = statuses[full.id]!.filter { $0 == 201 }.count
        #expect(statuses[healthy.id]!.allSatisfy { $0 == 201 }, "the healthy org saw \(Set(statuses[healthy.id]!))")
        #expect(statuses[full.id]!.contains(500), "the full org's writes should fail")
        #expect(statuses[full.id]!.allSatisfy { $0 == 201 || $0 == 500 })
        #expect(try deployments(server, healthy) == healthyCreated)
        #expect(try deployments(server, full) == fullCreated)
        #expect(server.stop() == 0)

        // After a restart, exactly what was acknowledged is there, in both orgs.
        #expect(try shell("rm -f \(small)/filler") == 0)
        let restarted = try FleetMockProcess(databasePath: database, extraArguments: quiet)
        #expect(try deployments(restarted, healthy) == healthyCreated)
        #expect(try deployments(restarted, full) == fullCreated)
        #expect(restarted.stop() == 0)
    }

    /// A read never fails because the simulation could not save its own progress (time re-derives
    /// it): a rollout moving on a fast wall clock while the state's disk is full.
    @Test func readsStandWhenProgressCannotBeSaved() throws {
        guard let small = try smallTmpfs(megabytes: 4) else { return }
        defer { unmount(small) }
        let server = try FleetMockProcess(
            databasePath: small + "/state.sqlite",
            extraArguments: ["--clock", "wall", "--progress", "timed", "--log-level", "error"])
        #expect(try server.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status == 201)
        #expect(
            try server.request("POST", "/__fleetmock/clock/resume", body: #"{"speed": 200}"#, authenticated: false)
                .status == 200)
        fill(small)
        var statuses: [Int] = []
        for _ in 0..<40 {
            statuses.append(try server.request("GET", "/api/unstable/fleet/deployments").status)
            usleep(50_000)
        }
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        #expect(server.stop() == 0)
    }

    /// The request log says the status the client got: a write whose commit failed at the pass's
    /// end is logged as the 500 it became, not as the 201 its handler gave.
    @Test func theRequestLogSaysTheStatusTheClientGot() throws {
        guard let small = try smallTmpfs(megabytes: 4) else { return }
        defer { unmount(small) }
        let server = try FleetMockProcess(databasePath: small + "/state.sqlite")
        fill(small)
        var statuses: [Int] = []
        for _ in 0..<5 {
            statuses.append(try server.request("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger").status)
        }
        #expect(statuses == [500, 500, 500, 500, 500])
        #expect(server.stop() == 0)
        let logged = server.standardError().split(separator: "\n").filter {
            $0.contains("operation=TriggerFleetSchedule")
        }
        #expect(logged.count == 5)
        #expect(logged.allSatisfy { $0.contains("status=500") }, "\(logged)")
    }

    /// An org whose file cannot even be opened at start (its disk full): its keys answer 503 naming
    /// the org, not 401 as if it never existed, and the other orgs serve as usual.
    @Test func anOrgThatCannotBeOpenedAnswers503() throws {
        guard Self.mayMount() else { return }
        let folder = FleetMockProcess.temporaryFolder()
        let database = folder + "/state.sqlite"
        let quiet = ["--clock", "manual", "--log-level", "error"]
        let first = try FleetMockProcess(databasePath: database, extraArguments: quiet)
        let org = try first.json("POST", "/__fleetmock/orgs")
        let keys = OrgKeys(id: org["org"] as! String, api: org["api_key"] as! String, app: org["app_key"] as! String)
        #expect(first.stop() == 0)
        guard let small = try smallTmpfs(megabytes: 1) else { return }
        defer { unmount(small) }
        let orgFile = "\(database).orgs/\(keys.id).sqlite"
        #expect(try shell("mv \(orgFile) \(small)/ && ln -s \(small)/\(keys.id).sqlite \(orgFile)") == 0)
        fill(small)

        let server = try FleetMockProcess(databasePath: database, extraArguments: quiet)
        let raw =
            "GET /api/unstable/fleet/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "DD-API-KEY: \(keys.api)\r\nDD-APPLICATION-KEY: \(keys.app)\r\n\r\n"
        let answer = try HTTPResult(raw: LoopbackHTTP.exchange(port: server.port, request: Array(raw.utf8)))
        #expect(answer.status == 503)
        #expect(answer.bodyText.contains("org \(keys.id)"))
        #expect(try server.request("GET", "/api/unstable/fleet/deployments").status == 200)
        #expect(server.stop() == 0)
    }

    /// A state on a read-only filesystem, or with a `-shm` left behind that cannot be written, is
    /// refused at start with one line naming the file, instead of serving and failing every write.
    @Test func aStateThatCannotBeWrittenIsRefusedAtStart() throws {
        guard let small = try smallTmpfs(megabytes: 4) else { return }
        defer { unmount(small) }
        let database = small + "/state.sqlite"
        let seeded = try FleetMockProcess(databasePath: database, extraArguments: [])
        #expect(seeded.stop() == 0)
        try "".write(toFile: database + "-shm", atomically: false, encoding: .utf8)
        // Immutable, so that not even root may write it (where the filesystem has the flag).
        if try shell("chattr +i \(database)-shm 2>/dev/null") == 0 {
            let shm = try StartupEndToEndTests.run(["serve", "--port", "0", "--db", database])
            _ = try? shell("chattr -i \(database)-shm")
            #expect(shm.status == 1)
            #expect(
                shm.errors == "fleetmock: cannot open \(database)-shm, beside the state file: operation not permitted\n"
            )
        }
        _ = try? shell("rm -f \(database)-shm")
        #expect(try shell("mount -o remount,ro \(small)") == 0)
        let readOnly = try StartupEndToEndTests.run(["serve", "--port", "0", "--db", database])
        #expect(readOnly.status == 1)
        #expect(readOnly.errors == "fleetmock: cannot open the state file \(database): read-only file system\n")
    }
}
