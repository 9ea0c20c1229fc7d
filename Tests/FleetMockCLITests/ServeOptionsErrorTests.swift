import Testing

@testable import FleetMockCLI

/// The exact message of each refusal `fleetmock serve` prints after "fleetmock serve: ".
@Suite struct ServeOptionsErrorTests {
    static func message(_ arguments: [String], environment: [String: String] = [:]) -> String? {
        do {
            _ = try ServeOptions.parse(arguments: arguments, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        (["--port", "65536"], "--port must be 0...65535, got '65536'"),
        (["--port", "-1"], "--port must be 0...65535, got '-1'"),
        (["--port=x"], "--port must be 0...65535, got 'x'"),
        (["--db", ""], "--db needs a path"),
        (["--db="], "--db needs a path"),
        (["--clock", "fast"], "--clock must be wall or manual, got 'fast'"),
        (["--seed", "-1"], "--seed must be a non-negative integer, got '-1'"),
        (["--failure-rate", "1.5"], "--failure-rate must be a number from 0 to 1, got '1.5'"),
        (["--failure-rate", "-0.1"], "--failure-rate must be a number from 0 to 1, got '-0.1'"),
        (["--failure-rate", "half"], "--failure-rate must be a number from 0 to 1, got 'half'"),
        (["--rate-limit", "0"], "--rate-limit must be a positive integer, got '0'"),
        (["--rate-limit-period", "0"], "--rate-limit-period must be a positive integer, got '0'"),
        (["--concurrency", "0"], "--concurrency must be an integer from 1 to 10000, got '0'"),
        (["--concurrency", "10001"], "--concurrency must be an integer from 1 to 10000, got '10001'"),
        (["--ready-file", ""], "--ready-file needs a path"),
        (["--log-format", "xml"], "--log-format must be text or json, got 'xml'"),
        (["--log-level", "trace"], "--log-level must be debug, info, warn or error, got 'trace'"),
        (["--journal-size", "0"], "--journal-size must be an integer from 1 to 1000000, got '0'"),
        (["--journal-size", "1000001"], "--journal-size must be an integer from 1 to 1000000, got '1000001'"),
        (["--progress", "fast"], "--progress must be immediate, stepped or timed, got 'fast'"),
        (["--fresh=1"], "--fresh takes no value"),
        (["--port"], "--port needs a value"),
        (["--bogus", "1"], "unknown option '--bogus'"),
        (["-p", "1"], "unexpected argument '-p'"),
        (["serve"], "unexpected argument 'serve'"),
    ])
    func flagRefused(arguments: [String], message: String) {
        #expect(Self.message(arguments) == message)
    }

    @Test(arguments: [
        ("FLEETMOCK_PORT", "x", "--port must be 0...65535, got 'x'"),
        ("FLEETMOCK_DB", "", "--db needs a path"),
        ("FLEETMOCK_CLOCK", "fast", "--clock must be wall or manual, got 'fast'"),
        ("FLEETMOCK_SEED", "x", "--seed must be a non-negative integer, got 'x'"),
        ("FLEETMOCK_FRESH", "yes", "FLEETMOCK_FRESH must be 1 or 0, got 'yes'"),
        ("FLEETMOCK_FAILURE_RATE", "2", "--failure-rate must be a number from 0 to 1, got '2'"),
        ("FLEETMOCK_RATE_LIMIT", "-3", "--rate-limit must be a positive integer, got '-3'"),
        ("FLEETMOCK_RATE_LIMIT_PERIOD", "x", "--rate-limit-period must be a positive integer, got 'x'"),
        ("FLEETMOCK_CONCURRENCY", "0", "--concurrency must be an integer from 1 to 10000, got '0'"),
        ("FLEETMOCK_READY_FILE", "", "--ready-file needs a path"),
        ("FLEETMOCK_LOG_FORMAT", "xml", "--log-format must be text or json, got 'xml'"),
        ("FLEETMOCK_LOG_LEVEL", "trace", "--log-level must be debug, info, warn or error, got 'trace'"),
        ("FLEETMOCK_JOURNAL_SIZE", "0", "--journal-size must be an integer from 1 to 1000000, got '0'"),
        ("FLEETMOCK_PROGRESS", "fast", "--progress must be immediate, stepped or timed, got 'fast'"),
    ])
    func variableRefused(variable: String, value: String, message: String) {
        #expect(Self.message([], environment: [variable: value]) == message)
    }
}
