import Testing

@testable import FleetMockCLI

/// `fleetmock <command>`: which command the first argument names, the help and version it prints,
/// and the exit status of a refusal.
@Suite struct InvocationTests {
    @Test func commandsGetTheArgumentsAfterTheirName() {
        #expect(Invocation(arguments: ["serve"]) == .serve([]))
        #expect(Invocation(arguments: ["serve", "--port", "0"]) == .serve(["--port", "0"]))
        #expect(Invocation(arguments: ["healthcheck", "--url", "http://x/"]) == .healthcheck(["--url", "http://x/"]))
        #expect(Invocation(arguments: ["fixtures", "generate"]) == .fixtures(["generate"]))
    }

    @Test(arguments: ["--help", "-h"])
    func commandHelpAnywhereInItsArguments(help: String) {
        #expect(Invocation(arguments: ["serve", help]) == .output(ServeOptions.help, status: 0))
        #expect(Invocation(arguments: ["serve", "--port", "x", help]) == .output(ServeOptions.help, status: 0))
        #expect(Invocation(arguments: ["healthcheck", help]) == .output(HealthcheckCommand.help, status: 0))
        #expect(Invocation(arguments: ["fixtures", "generate", help]) == .output(FixturesCommand.help, status: 0))
    }

    @Test func bareFixturesPrintsItsHelpAndExitsTwo() {
        #expect(Invocation(arguments: ["fixtures"]) == .output(FixturesCommand.help, status: 2))
    }

    @Test(arguments: ["version", "--version"])
    func versionPrintsTheVersion(argument: String) {
        #expect(Invocation(arguments: [argument]) == .output("fleetmock \(fleetMockVersion)", status: 0))
        #expect(fleetMockVersion.split(separator: ".").count == 3)
        #expect(fleetMockVersion.split(separator: ".").allSatisfy { Int($0) != nil })
    }

    @Test(arguments: ["help", "--help", "-h"])
    func helpPrintsTheCommands(argument: String) {
        #expect(Invocation(arguments: [argument]) == .output(FleetMockCommand.topLevelHelp, status: 0))
        for command in ["serve", "healthcheck", "fixtures", "version"] {
            #expect(FleetMockCommand.topLevelHelp.contains("\n  \(command) "))
        }
    }

    @Test func noCommandRefusesWithTheHelp() {
        #expect(Invocation(arguments: []) == .refusal(FleetMockCommand.topLevelHelp, status: 2))
    }

    @Test(arguments: ["bogus", "Serve", "--port", "-v"])
    func unknownCommandRefusesWithItsName(command: String) {
        #expect(
            Invocation(arguments: [command, "serve"])
                == .refusal("fleetmock: unknown command '\(command)'\n\n\(FleetMockCommand.topLevelHelp)", status: 2))
    }

    /// The statuses main hands to exit; none of these starts a server.
    @Test(
        arguments: [
            (["bogus"], 2), ([], 2), (["--version"], 0), (["version"], 0), (["help"], 0), (["fixtures"], 2),
            (["serve", "--help"], 0), (["serve", "--port", "x"], 2), (["serve", "--loops", "2"], 2),
            (["healthcheck", "--bogus", "1"], 2), (["fixtures", "generate"], 2),
        ] as [([String], Int32)])
    func exitStatus(arguments: [String], status: Int32) {
        #expect(FleetMockCommand.main(arguments: arguments, environment: [:]) == status)
    }

    /// Usage errors of serve are read from the environment as well as the flags.
    @Test func serveRefusesABadVariableWithTwo() {
        #expect(FleetMockCommand.main(arguments: ["serve"], environment: ["FLEETMOCK_LOG_LEVEL": "loud"]) == 2)
    }
}
