import Glibc

// fleetmock: a local emulator of Datadog's Fleet Automation API. See README.md.

let arguments = Array(CommandLine.arguments.dropFirst())
let topLevelHelp = """
    USAGE: fleetmock <command> [options]

    COMMANDS:
      serve        Serve the Fleet Automation API (see fleetmock serve --help).
      healthcheck  Exit 0 when a FleetMock answers its health check (see fleetmock healthcheck --help).
      fixtures     Generate a fleet of any size: fixtures generate --hosts N (see fleetmock fixtures --help).
      version      Print the version.

    """

switch arguments.first {
case "serve":
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        SystemIO.printLine(ServeOptions.help)
        exit(0)
    }
    do {
        let options = try ServeOptions.parse(arguments: rest, environment: SystemIO.environment())
        try ServeCommand(options: options).run()
        exit(0)
    } catch let error as UsageError {
        SystemIO.printError("fleetmock serve: \(error); see fleetmock serve --help")
        exit(2)
    } catch let error as StartupError {
        SystemIO.printError("fleetmock: \(error)")
        exit(error.exitCode)
    } catch {
        SystemIO.printError("fleetmock: \(error)")
        exit(1)
    }
case "healthcheck":
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        SystemIO.printLine(HealthcheckCommand.help)
        exit(0)
    }
    exit(HealthcheckCommand.run(arguments: rest, environment: SystemIO.environment()))
case "fixtures":
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") || rest.isEmpty {
        SystemIO.printLine(FixturesCommand.help)
        exit(rest.isEmpty ? 2 : 0)
    }
    exit(FixturesCommand.run(arguments: rest))
case "version", "--version":
    SystemIO.printLine("fleetmock \(fleetMockVersion)")
case "help", "--help", "-h":
    SystemIO.printLine(topLevelHelp)
case nil:
    SystemIO.printError(topLevelHelp)
    exit(2)
default:
    SystemIO.printError("fleetmock: unknown command '\(arguments[0])'\n\n\(topLevelHelp)")
    exit(2)
}
