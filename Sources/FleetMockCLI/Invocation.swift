/// What `fleetmock` is asked to do, decided from its arguments alone: a command to run with the
/// arguments after its name, or a text to print (help, version, a refusal) and the exit status.
enum Invocation: Equatable {
    case serve([String])
    case healthcheck([String])
    case fixtures([String])
    /// Printed on stdout.
    case output(String, status: Int32)
    /// Printed on stderr.
    case refusal(String, status: Int32)

    init(arguments: [String]) {
        let rest = Array(arguments.dropFirst())
        let asksForHelp = rest.contains("--help") || rest.contains("-h")
        switch arguments.first {
        case "serve":
            self = asksForHelp ? .output(ServeOptions.help, status: 0) : .serve(rest)
        case "healthcheck":
            self = asksForHelp ? .output(HealthcheckCommand.help, status: 0) : .healthcheck(rest)
        case "fixtures":
            // A bare `fixtures` prints the help too, but exits 2: no generation was asked for.
            if asksForHelp || rest.isEmpty {
                self = .output(FixturesCommand.help, status: rest.isEmpty ? 2 : 0)
            } else {
                self = .fixtures(rest)
            }
        case "version", "--version":
            self = .output("fleetmock \(fleetMockVersion)", status: 0)
        case "help", "--help", "-h":
            self = .output(FleetMockCommand.topLevelHelp, status: 0)
        case nil:
            self = .refusal(FleetMockCommand.topLevelHelp, status: 2)
        case let command?:
            self = .refusal("fleetmock: unknown command '\(command)'\n\n\(FleetMockCommand.topLevelHelp)", status: 2)
        }
    }
}
