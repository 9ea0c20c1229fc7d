import FleetMockCLI
import Glibc

// fleetmock: a local emulator of Datadog's Fleet Automation API. See README.md.
exit(
    FleetMockCommand.main(
        arguments: Array(CommandLine.arguments.dropFirst()), environment: FleetMockCommand.processEnvironment()))
