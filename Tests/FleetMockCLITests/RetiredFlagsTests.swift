import Testing

@testable import FleetMockCLI

/// --loops, --group-commit and --background-commit were retired in 0.3.0: the one value that is
/// still how FleetMock works is accepted and changes nothing; any other is refused.
@Suite struct RetiredFlagsTests {
    static let stillTrue = [
        ("loops", "FLEETMOCK_LOOPS", "1"),
        ("group-commit", "FLEETMOCK_GROUP_COMMIT", "on"),
        ("background-commit", "FLEETMOCK_BACKGROUND_COMMIT", "on"),
    ]

    static func retirement(_ name: String, _ variable: String, only: String, got: String) -> String {
        "--\(name) (\(variable)) was retired in 0.3.0: one event loop always group-commits the writes of each"
            + " pass on a writer thread; only '\(only)' is accepted, got '\(got)'"
    }

    @Test func theTableIsTheRetiredFlags() {
        #expect(ServeOptions.retiredFlags.map(\.name) == Self.stillTrue.map(\.0))
        #expect(ServeOptions.retiredFlags.map(\.environment) == Self.stillTrue.map(\.1))
        #expect(ServeOptions.retiredFlags.map(\.stillTrue) == Self.stillTrue.map(\.2))
    }

    @Test(arguments: stillTrue)
    func stillTrueValueIsAcceptedAndIgnored(name: String, variable: String, value: String) throws {
        #expect(try ServeOptions.parse(arguments: ["--\(name)", value], environment: [:]) == ServeOptions())
        #expect(try ServeOptions.parse(arguments: ["--\(name)=\(value)"], environment: [:]) == ServeOptions())
        #expect(try ServeOptions.parse(arguments: [], environment: [variable: value]) == ServeOptions())
    }

    @Test(arguments: stillTrue)
    func otherFlagsAfterItStillApply(name: String, variable: String, value: String) throws {
        let options = try ServeOptions.parse(arguments: ["--\(name)", value, "--port", "1"], environment: [:])
        #expect(options.port == 1)
    }

    @Test(arguments: [
        ("loops", "FLEETMOCK_LOOPS", "1", "2"),
        ("group-commit", "FLEETMOCK_GROUP_COMMIT", "on", "off"),
        ("background-commit", "FLEETMOCK_BACKGROUND_COMMIT", "on", "off"),
        ("group-commit", "FLEETMOCK_GROUP_COMMIT", "on", "1"),
    ])
    func anyOtherValueIsRefused(name: String, variable: String, only: String, given: String) {
        let message = Self.retirement(name, variable, only: only, got: given)
        for (arguments, environment) in [
            (["--\(name)", given], [:]), (["--\(name)=\(given)"], [:]), ([], [variable: given]),
        ] as [([String], [String: String])] {
            #expect(throws: UsageError.self) { try ServeOptions.parse(arguments: arguments, environment: environment) }
            #expect(ServeOptionsErrorTests.message(arguments, environment: environment) == message)
        }
    }

    @Test(arguments: ["loops", "group-commit", "background-commit"])
    func retiredFlagWithoutAValueIsRefused(name: String) {
        #expect(ServeOptionsErrorTests.message(["--\(name)"]) == "--\(name) needs a value")
    }

    /// No longer in the help: only accepted for the scripts that still pass them.
    @Test func retiredFlagsAreNotInTheHelp() {
        for (name, variable, _) in Self.stillTrue {
            #expect(!ServeOptions.help.contains("--\(name)"))
            #expect(!ServeOptions.help.contains(variable))
        }
    }
}
