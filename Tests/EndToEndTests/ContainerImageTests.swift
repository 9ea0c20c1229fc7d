import Foundation
import Glibc
import Testing

/// No Docker engine runs here, so the image's shape is checked from its files, and what it runs
/// (the executable, with the image's environment and health check) is run for real.
@Suite struct ContainerImageTests {
    static let dockerfile = try! String(
        contentsOfFile: FleetMockProcess.packageRoot + "/docker/Dockerfile", encoding: .utf8)

    /// The instructions, comments and continuation lines folded.
    static var instructions: [(keyword: String, argument: String)] {
        var result: [(String, String)] = []
        var pending = ""
        for line in dockerfile.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, text.hasPrefix("#") || text.isEmpty { continue }
            pending += text.hasSuffix("\\") ? String(text.dropLast()) + " " : text
            if text.hasSuffix("\\") { continue }
            let parts = pending.split(separator: " ", maxSplits: 1)
            result.append((String(parts[0]).uppercased(), parts.count > 1 ? String(parts[1]) : ""))
            pending = ""
        }
        return result
    }

    static func arguments(of keyword: String) -> [String] {
        instructions.filter { $0.keyword == keyword }.map(\.argument)
    }

    @Test func oneSlimStageThatCopiesTheDistTarballAndCompilesNothing() {
        #expect(Self.arguments(of: "FROM") == ["debian:bookworm-slim"])
        #expect(Self.arguments(of: "COPY") == ["dist/fleetmock-*-linux-*.tar.gz /tmp/"])
        #expect(!Self.dockerfile.contains("swift build"))
        #expect(!Self.dockerfile.contains("apt-get install"), "the executable needs nothing beyond glibc")
        let ignore =
            (try? String(contentsOfFile: FleetMockProcess.packageRoot + "/.dockerignore", encoding: .utf8)) ?? ""
        #expect(ignore.contains("!dist/fleetmock-*-linux-*.tar.gz"))
    }

    @Test func runsAsAnUnprivilegedUserWithItsStateInAVolume() throws {
        let user = try #require(Self.arguments(of: "USER").last)
        #expect(user != "root" && user != "0")
        #expect(Self.arguments(of: "VOLUME") == [#"["/var/lib/fleetmock"]"#])
        #expect(Self.environment["FLEETMOCK_DB"]?.hasPrefix("/var/lib/fleetmock/") == true)
        #expect(Self.arguments(of: "ENTRYPOINT") == [#"["fleetmock"]"#])
        #expect(Self.arguments(of: "CMD") == [#"["serve"]"#])
    }

    static var environment: [String: String] {
        var values: [String: String] = [:]
        for argument in arguments(of: "ENV") {
            for pair in argument.split(separator: " ") where pair.contains("=") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
        }
        return values
    }

    /// The image's environment with another port, as `docker run -e FLEETMOCK_PORT=…` gives it: the
    /// server listens there and the image's health check, which names no URL, finds it.
    @Test func theHealthCheckFollowsFleetmockPort() throws {
        let healthcheck = try #require(Self.arguments(of: "HEALTHCHECK").last)
        let command = try #require(healthcheck.range(of: "CMD ")).upperBound
        #expect(healthcheck[command...] == #"["fleetmock", "healthcheck"]"#)

        let folder = FleetMockProcess.temporaryFolder()
        var environment = Self.environment
        environment["FLEETMOCK_DB"] = folder + "/fleetmock.sqlite"
        environment["FLEETMOCK_HOST"] = "127.0.0.1"
        // A port nothing holds: bind one, let it go, and hand it over.
        let probe = try FleetMockProcess(databasePath: ":memory:")
        let port = probe.port
        #expect(probe.stop() == 0)
        environment["FLEETMOCK_PORT"] = "\(port)"

        let server = Process()
        server.executableURL = URL(fileURLWithPath: FleetMockProcess.binaryPath)
        server.arguments = ["serve"]
        server.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        server.standardOutput = Pipe()
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
        var healthy = false
        for _ in 0..<100 where !healthy {
            healthy = try StartupEndToEndTests.run(["healthcheck"], environment: environment).status == 0
            if !healthy { usleep(50_000) }
        }
        #expect(healthy)
    }

    @Test func composeNamesTheDashboard() throws {
        let compose = try String(contentsOfFile: FleetMockProcess.packageRoot + "/docker/compose.yaml", encoding: .utf8)
        #expect(compose.contains("http://127.0.0.1:8585/__fleetmock/ui"))
        #expect(compose.contains("dockerfile: docker/Dockerfile"))
    }
}
