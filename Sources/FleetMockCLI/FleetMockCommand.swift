/// `fleetmock <command> [options]`: which command the arguments name, and the exit status it ends
/// with. The executable's main only hands over the process's arguments and environment.
public enum FleetMockCommand {
    static let topLevelHelp = """
        USAGE: fleetmock <command> [options]

        COMMANDS:
          serve        Serve the Fleet Automation API (see fleetmock serve --help).
          healthcheck  Exit 0 when a FleetMock answers its health check (see fleetmock healthcheck --help).
          fixtures     Generate a fleet of any size: fixtures generate --hosts N (see fleetmock fixtures --help).
          version      Print the version.

        """

    /// Runs the command `arguments` (without the executable's name) name; the exit status.
    public static func main(arguments: [String], environment: [String: String]) -> Int32 {
        switch Invocation(arguments: arguments) {
        case .serve(let rest): return serve(arguments: rest, environment: environment)
        case .healthcheck(let rest): return HealthcheckCommand.run(arguments: rest, environment: environment)
        case .fixtures(let rest): return FixturesCommand.run(arguments: rest)
        case .output(let text, let status):
            SystemIO.printLine(text)
            return status
        case .refusal(let text, let status):
            SystemIO.printError(text)
            return status
        }
    }

    /// The environment variables of this process.
    public static func processEnvironment() -> [String: String] {
        SystemIO.environment()
    }

    /// `fleetmock serve`: 2 for a usage error, the start-up error's code, else 0 once stopped.
    static func serve(arguments: [String], environment: [String: String]) -> Int32 {
        do {
            let options = try ServeOptions.parse(arguments: arguments, environment: environment)
            try ServeCommand(options: options).run()
            return 0
        } catch let error as UsageError {
            SystemIO.printError("fleetmock serve: \(error); see fleetmock serve --help")
            return 2
        } catch let error as StartupError {
            SystemIO.printError("fleetmock: \(error)")
            return error.exitCode
        } catch {
            SystemIO.printError("fleetmock: \(error)")
            return 1
        }
    }
}
