import Testing

@testable import FleetMockCLI

/// `fleetmock healthcheck [--url URL] [--timeout SECONDS]`: what it asks, and what it refuses.
@Suite struct HealthcheckArgumentsTests {
    static func check(_ arguments: [String], environment: [String: String] = [:]) throws -> HealthcheckCommand.Check {
        try HealthcheckCommand.Check.parse(arguments: arguments, environment: environment)
    }

    static func message(_ arguments: [String], environment: [String: String] = [:]) -> String? {
        do {
            _ = try HealthcheckCommand.Check.parse(arguments: arguments, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func defaultsToTheDefaultPortsHealthEndpointWithinTwoSeconds() throws {
        let check = try Self.check([])
        #expect(check.url == "http://127.0.0.1:8585/__fleetmock/health")
        #expect(check.url == HealthcheckCommand.defaultURL)
        #expect(check.target == HTTPURL("http://127.0.0.1:8585/__fleetmock/health"))
        #expect(check.target.host == "127.0.0.1" && check.target.port == 8585)
        #expect(check.target.path == "/__fleetmock/health")
        #expect(check.timeoutSeconds == 2)
    }

    /// In the container FLEETMOCK_PORT is the port the server was told to use.
    @Test func followsTheServersPortVariable() throws {
        let check = try Self.check([], environment: ["FLEETMOCK_PORT": "9000"])
        #expect(check.url == "http://127.0.0.1:9000/__fleetmock/health")
        #expect(check.target.port == 9000)
    }

    @Test func urlVariableBeatsThePort() throws {
        let environment = ["FLEETMOCK_PORT": "9000", "FLEETMOCK_HEALTHCHECK_URL": "http://db.internal:7000/ping"]
        let check = try Self.check([], environment: environment)
        #expect(check.url == "http://db.internal:7000/ping")
        #expect(check.target == HTTPURL("http://db.internal:7000/ping"))
    }

    @Test func urlFlagBeatsBothVariables() throws {
        let environment = ["FLEETMOCK_PORT": "9000", "FLEETMOCK_HEALTHCHECK_URL": "http://db.internal:7000/ping"]
        let check = try Self.check(["--url", "http://[::1]:8000/"], environment: environment)
        #expect(check.url == "http://[::1]:8000/")
        #expect(check.target.host == "::1" && check.target.port == 8000)
        #expect(check.target.path == "/__fleetmock/health")
    }

    /// What --ready-file holds, its newline included.
    @Test func aBaseURLChecksTheHealthEndpoint() throws {
        let check = try Self.check(["--url", "http://127.0.0.1:43210\n"])
        #expect(check.target.port == 43210)
        #expect(check.target.path == "/__fleetmock/health")
    }

    @Test func timeoutAndURLInEitherOrder() throws {
        let first = try Self.check(["--timeout", "5", "--url", "http://localhost/"])
        let second = try Self.check(["--url", "http://localhost/", "--timeout", "5"])
        #expect(first == second)
        #expect(first.timeoutSeconds == 5)
        #expect(first.target.host == "localhost" && first.target.port == 80)
    }

    @Test(arguments: [
        (["--url"], "--url needs a value\n\n\(HealthcheckCommand.help)"),
        (["--timeout"], "--timeout needs a value\n\n\(HealthcheckCommand.help)"),
        (["--timeout", "0"], "--timeout must be a positive integer"),
        (["--timeout", "soon"], "--timeout must be a positive integer"),
        (["--url=http://localhost/"], "--url=http://localhost/ needs a value\n\n\(HealthcheckCommand.help)"),
        (["--bogus", "1"], "unknown option '--bogus'\n\n\(HealthcheckCommand.help)"),
        (["--url", "https://localhost/"], "'https://localhost/' is not an http://HOST:PORT/PATH URL"),
        (["--url", "http://localhost:0/"], "'http://localhost:0/' is not an http://HOST:PORT/PATH URL"),
        (["--url", "http://:80/"], "'http://:80/' is not an http://HOST:PORT/PATH URL"),
        (["--url", "http://[::1/"], "'http://[::1/' is not an http://HOST:PORT/PATH URL"),
    ])
    func refused(arguments: [String], message: String) {
        #expect(Self.message(arguments) == message)
    }

    @Test func aBadURLVariableIsRefusedToo() {
        #expect(
            Self.message([], environment: ["FLEETMOCK_HEALTHCHECK_URL": "localhost:8585"])
                == "'localhost:8585' is not an http://HOST:PORT/PATH URL")
    }

    /// A usage error exits 2 before any connection is tried.
    @Test func usageErrorExitsTwo() {
        #expect(HealthcheckCommand.run(arguments: ["--timeout", "0"], environment: [:]) == 2)
    }
}
