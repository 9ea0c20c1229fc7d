import Foundation
import Glibc
import Testing

/// Start-up as a new user meets it, with the release binary: from any folder, with nothing beside
/// it, and with one clear line (and a non-zero exit) for every way a start can go wrong.
@Suite struct StartupEndToEndTests {
    let prodSchedule = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"

    /// Runs fleetmock to its exit: status, stdout, stderr.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        executable: String = FleetMockProcess.binaryPath
    ) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, outputText, errorText)
    }

    static var isRoot: Bool { getuid() == 0 }

    /// The executable alone, in an empty folder, serves the bundled fleet, the dashboard and both
    /// operations at the heart of the API (trigger, then cancel).
    @Test func servesTheBundledFleetAndDashboardFromAnEmptyFolder() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let server = try FleetMockProcess(databasePath: "state.sqlite", fixtures: nil, workingDirectory: folder)
        let ready = try server.json("GET", "/__fleetmock/ready")
        #expect(ready["hosts"] as? Int == 120)
        #expect(ready["schedules"] as? Int == 4)
        let page = try server.request("GET", "/__fleetmock/ui")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.bodyText.contains("<html"))
        let created = try server.json("POST", "/api/unstable/fleet/schedules/\(prodSchedule)/trigger")
        let id = try #require((created["data"] as? [String: Any])?["id"] as? String)
        #expect(try server.request("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 204)
        #expect(server.stop() == 0)
        #expect(server.standardError().contains("made from the bundled fleet with seed 20260101"))
        #expect(FileManager.default.fileExists(atPath: folder + "/state.sqlite"))
    }

    /// Linked statically but for glibc's libraries: nothing of Swift, libevent, SQLite or jemalloc
    /// is loaded from elsewhere. Where the test may, it hides the toolchain's folder for real.
    @Test func needsNoSharedLibraryBeyondGlibcsAndRunsWithTheToolchainHidden() throws {
        let ldd = try Self.run(["/usr/bin/ldd", FleetMockProcess.binaryPath], executable: "/usr/bin/env")
        let libraries = ldd.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!libraries.isEmpty)
        for library in libraries {
            let allowed = ["linux-vdso", "/lib64/ld-linux", "libc.so", "libm.so", "libstdc++.so", "libgcc_s.so"]
            #expect(allowed.contains { library.hasPrefix($0) }, "unexpected shared library: \(library)")
        }
        guard Self.isRoot else {
            #expect(
                ProcessInfo.processInfo.environment["CI"] != "true", "CI runs as root, where the toolchain is hidden")
            return
        }
        // A mount namespace of its own with an empty folder over the toolchain's.
        let toolchain = "/opt/swift"
        let script = """
            mount -t tmpfs none \(toolchain) 2>/dev/null || true
            [ -z "$(ls -A \(toolchain))" ] || { echo "toolchain still visible"; exit 9; }
            cd "$(mktemp -d)" && exec "$0" serve --port 0 --db :memory: --progress immediate & pid=$!
            sleep 1; kill -TERM $pid; wait $pid
            """
        let hidden = try Self.run(
            ["--mount", "/bin/sh", "-c", script, FleetMockProcess.binaryPath], executable: "/usr/bin/unshare")
        #expect(hidden.status == 0, "\(hidden.output) \(hidden.errors)")
        #expect(hidden.output.contains("FleetMock listening on http://127.0.0.1:"))
    }

    @Test func versionComesFromOnePlace() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output.range(of: #"^fleetmock \d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
        let source = try String(
            contentsOfFile: FleetMockProcess.packageRoot + "/Sources/FleetMockCLI/Version.swift", encoding: .utf8)
        #expect(source.contains("\"\(version.output.dropFirst("fleetmock ".count).dropLast())\""))
    }

    /// The ready file never holds a URL of an earlier run: removed before the bind (also when the
    /// start then fails) and again at exit.
    @Test func readyFileIsRemovedBeforeBindingAndAtExit() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let readyFile = folder + "/ready"
        try "http://127.0.0.1:1\n".write(toFile: readyFile, atomically: true, encoding: .utf8)
        let server = try FleetMockProcess(databasePath: ":memory:", extraArguments: ["--ready-file", readyFile])
        #expect(try String(contentsOfFile: readyFile, encoding: .utf8) == "http://127.0.0.1:\(server.port)\n")
        // A second server on the same port cannot bind: the stale file it was given is gone too.
        try "http://127.0.0.1:1\n".write(toFile: folder + "/ready2", atomically: true, encoding: .utf8)
        let refused = try Self.run([
            "serve", "--port", "\(server.port)", "--db", ":memory:", "--ready-file", folder + "/ready2",
        ])
        #expect(refused.status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder + "/ready2"))
        #expect(server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: readyFile))
    }

    /// A state is kept whatever it was made from, unless other fixtures or another seed are asked
    /// for explicitly: then the start is refused (exit 2) naming both and the two ways out.
    @Test func aStateMadeFromOtherFixturesOrSeedIsRefusedUntilFresh() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let database = folder + "/state.sqlite"
        let first = try FleetMockProcess(databasePath: database, fixtures: nil)
        #expect(try first.request("POST", "/__fleetmock/orgs").status == 201)
        #expect(first.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: database + ".orgs").count == 1)

        let otherSeed = try Self.run(["serve", "--port", "0", "--db", database, "--seed", "7"])
        #expect(otherSeed.status == 2)
        #expect(otherSeed.errors.contains("made from the bundled fleet with seed 20260101, not from seed 7"))
        #expect(otherSeed.errors.contains("--fresh"))
        #expect(otherSeed.errors.split(separator: "\n").count == 1)
        let otherEnvironmentSeed = try Self.run(
            ["serve", "--port", "0", "--db", database], environment: ["FLEETMOCK_SEED": "7"])
        #expect(otherEnvironmentSeed.status == 2)

        let generated = FleetMockProcess.temporaryFolder()
        #expect(try Self.run(["fixtures", "generate", "--hosts", "30", "--out", generated]).status == 0)
        let otherFixtures = try Self.run(["serve", "--port", "0", "--db", database, "--fixtures", generated])
        #expect(otherFixtures.status == 2)
        #expect(otherFixtures.errors.contains("not from fixtures \(generated)"))

        // The same seed given explicitly, or no flag at all: the state is kept, orgs and all.
        let kept = try FleetMockProcess(databasePath: database, extraArguments: ["--seed", "20260101"], fixtures: nil)
        #expect((try kept.json("GET", "/__fleetmock/orgs")["orgs"] as? [Any])?.count == 2)
        #expect(kept.stop() == 0)

        let fresh = try FleetMockProcess(databasePath: database, extraArguments: ["--fresh"], fixtures: generated)
        #expect(try fresh.json("GET", "/__fleetmock/ready")["hosts"] as? Int == 30)
        #expect((try fresh.json("GET", "/__fleetmock/orgs")["orgs"] as? [Any])?.count == 1)
        #expect(fresh.stop() == 0)
        #expect(fresh.standardError().contains("made from \(generated) with seed 20260101"))
        #expect(!FileManager.default.fileExists(atPath: database + ".orgs"))
    }

    /// A state file belongs to one process: a second server on it exits at once naming the file
    /// and the holder's pid, and simultaneous first starts on a new path leave exactly one server.
    @Test func aSecondServerOnOneStateFileIsRefused() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let database = folder + "/state.sqlite"
        let first = try FleetMockProcess(databasePath: database)
        let second = try Self.run(["serve", "--port", "0", "--db", database])
        #expect(second.status == 1)
        #expect(
            second.errors
                == "fleetmock: the state file \(database) is in use: process \(first.process.processIdentifier) holds it"
                + " (its lock is \(database).lock)\n")
        #expect(try first.request("GET", "/__fleetmock/ready").status == 200)
        #expect(first.stop() == 0)

        for trial in 0..<8 {
            let path = folder + "/race-\(trial).sqlite"
            let racers = (0..<2).map { _ in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
                process.arguments = ["serve", "--port", "0", "--db", path, "--log-level", "error"]
                process.standardOutput = Pipe()
                process.standardError = Pipe()
                return process
            }
            for racer in racers { try racer.run() }
            usleep(400_000)
            let running = racers.filter(\.isRunning)
            #expect(running.count == 1, "trial \(trial): \(running.count) servers running")
            for racer in racers where !racer.isRunning { #expect(racer.terminationStatus == 1) }
            for racer in running {
                kill(racer.processIdentifier, SIGTERM)
                racer.waitUntilExit()
                #expect(racer.terminationStatus == 0)
            }
            // The survivor seeded the file whole: it starts again with the fleet.
            let again = try FleetMockProcess(databasePath: path, extraArguments: [], fixtures: nil)
            #expect(try again.json("GET", "/__fleetmock/ready")["hosts"] as? Int == 120)
            #expect(again.stop() == 0)
        }
    }

    /// SIGTERM while a large fleet is being seeded: one line, exit 0, and the next start seeds the
    /// file whole (a seeding cut short never counts as seeded).
    @Test func aSignalDuringALongFirstStartEndsItCleanly() throws {
        let fixtures = FleetMockProcess.temporaryFolder()
        #expect(try Self.run(["fixtures", "generate", "--hosts", "60000", "--out", fixtures]).status == 0)
        let database = FleetMockProcess.temporaryFolder() + "/state.sqlite"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        process.arguments = ["serve", "--port", "0", "--db", database, "--fixtures", fixtures]
        let errors = Pipe()
        process.standardOutput = Pipe()
        process.standardError = errors
        try process.run()
        usleep(60_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(said.contains("stopped by a signal while starting") || said.contains("SIGTERM received"), "\(said)")
        let again = try FleetMockProcess(databasePath: database, extraArguments: [], fixtures: fixtures)
        #expect(try again.json("GET", "/__fleetmock/ready")["hosts"] as? Int == 60000)
        #expect(again.stop() == 0)
    }

    @Test func healthcheckTakesTheBaseURLTheReadyFileHolds() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let server = try FleetMockProcess(
            databasePath: ":memory:", extraArguments: ["--ready-file", folder + "/ready"])
        let base = try String(contentsOfFile: folder + "/ready", encoding: .utf8)
        #expect(try Self.run(["healthcheck", "--url", base]).status == 0)
        #expect(try Self.run(["healthcheck", "--url", "http://127.0.0.1:\(server.port)"]).status == 0)
        // FLEETMOCK_PORT, as in the container, picks the port of the default URL.
        #expect(try Self.run(["healthcheck"], environment: ["FLEETMOCK_PORT": "\(server.port)"]).status == 0)
        #expect(server.stop() == 0)
        #expect(try Self.run(["healthcheck", "--url", base]).status == 1)
    }

    /// Each is one line on stderr and a non-zero exit, with no SQL in it.
    @Test func everyRefusedStartIsOneClearLine() throws {
        let folder = FleetMockProcess.temporaryFolder()
        let noArguments = try Self.run([])
        #expect(noArguments.status == 2)
        #expect(noArguments.errors.contains("USAGE: fleetmock <command>"))

        let unknown = try Self.run(["serve", "--no-such-flag", "1"])
        #expect(unknown.status == 2)
        #expect(unknown.errors == "fleetmock serve: unknown option '--no-such-flag'; see fleetmock serve --help\n")

        let host = try Self.run(["serve", "--port", "0", "--db", ":memory:", "--host", "999.1.1.1"])
        #expect(host.status == 1)
        #expect(host.errors.hasPrefix("fleetmock: --host '999.1.1.1' is not an address to listen on"))
        #expect(host.errors.split(separator: "\n").count == 1)

        let junk = folder + "/junk.sqlite"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: junk))
        let notADatabase = try Self.run(["serve", "--port", "0", "--db", junk])
        #expect(notADatabase.status == 1)
        #expect(
            notADatabase.errors
                == "fleetmock: cannot open the state file \(junk): not a FleetMock state: not an SQLite database\n")

        // Another application's database: refused and left byte for byte as it was, no WAL beside it.
        let foreign = folder + "/foreign.sqlite"
        let sqlite = try Self.run(
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table notes(x)'); c.execute('insert into notes values (1)'); c.commit()",
                foreign,
            ], executable: "/usr/bin/env")
        #expect(sqlite.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: foreign))
        let foreignStart = try Self.run(["serve", "--port", "0", "--db", foreign])
        #expect(foreignStart.status == 1)
        #expect(foreignStart.errors.contains("not a FleetMock state: another application's SQLite database"))
        #expect(!foreignStart.errors.contains("SELECT") && !foreignStart.errors.contains("CREATE"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == before)
        #expect(!FileManager.default.fileExists(atPath: foreign + "-wal"))
    }

    /// The commit-mode flags retired in 0.3.0: the value that is still how FleetMock works is accepted
    /// (scripts that pinned the defaults go on working), any other is refused with the reason.
    @Test func retiredCommitFlagsAcceptOnlyWhatStillHolds() throws {
        let loops = try Self.run(["serve", "--port", "0", "--db", ":memory:", "--loops", "2"])
        #expect(loops.status == 2)
        #expect(loops.errors.hasPrefix("fleetmock serve: --loops (FLEETMOCK_LOOPS) was retired in 0.3.0"))
        #expect(loops.errors.contains("got '2'"))
        let perRequest = try Self.run(
            ["serve", "--port", "0", "--db", ":memory:"], environment: ["FLEETMOCK_GROUP_COMMIT": "off"])
        #expect(perRequest.status == 2)
        #expect(perRequest.errors.contains("--group-commit (FLEETMOCK_GROUP_COMMIT) was retired"))
        // Accepted: the start goes on to the bind, which this host makes fail.
        let pinned = try Self.run(
            [
                "serve", "--port", "0", "--db", ":memory:", "--loops", "1", "--group-commit=on", "--background-commit",
                "on",
                "--host", "999.1.1.1",
            ], environment: ["FLEETMOCK_BACKGROUND_COMMIT": "on"])
        #expect(pinned.status == 1)
        #expect(pinned.errors.hasPrefix("fleetmock: --host '999.1.1.1' is not an address to listen on"))
    }

    /// A state file the server may not write: the path and the system's reason. As root (CI) the
    /// server runs as nobody, for whom the folder is read-only.
    @Test func anUnwritableStateFileNamesThePathAndPermissionDenied() throws {
        let folder = FleetMockProcess.temporaryFolder()
        chmod(folder, 0o555)
        let database = folder + "/state.sqlite"
        let arguments = ["serve", "--port", "0", "--db", database]
        let refused =
            Self.isRoot
            ? try Self.run(
                ["--reuid=65534", "--regid=65534", "--clear-groups", FleetMockProcess.binaryPath] + arguments,
                executable: "/usr/bin/setpriv")
            : try Self.run(arguments)
        #expect(refused.status == 1)
        #expect(refused.errors == "fleetmock: cannot open the state file \(database): permission denied\n")
    }
}
