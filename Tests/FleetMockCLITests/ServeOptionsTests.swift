import FleetDomain
import Testing

@testable import FleetMockCLI

/// One flag of `fleetmock serve`, a value it accepts, and what that value sets.
struct AcceptedFlag: Sendable, CustomTestStringConvertible {
    let name: String
    let environment: String
    let value: String
    let sets: @Sendable (inout ServeOptions) -> Void

    var testDescription: String { "--\(name) \(value)" }

    /// The options the defaults and this flag's value make.
    var expected: ServeOptions {
        var options = ServeOptions()
        sets(&options)
        return options
    }

    static let all: [AcceptedFlag] = [
        AcceptedFlag(name: "host", environment: "FLEETMOCK_HOST", value: "0.0.0.0") { $0.host = "0.0.0.0" },
        AcceptedFlag(name: "port", environment: "FLEETMOCK_PORT", value: "0") { $0.port = 0 },
        AcceptedFlag(name: "db", environment: "FLEETMOCK_DB", value: ":memory:") { $0.databasePath = ":memory:" },
        AcceptedFlag(name: "fixtures", environment: "FLEETMOCK_FIXTURES", value: "/srv/fleet") {
            $0.fixturesPath = "/srv/fleet"
        },
        AcceptedFlag(name: "clock", environment: "FLEETMOCK_CLOCK", value: "manual") {
            $0.clockMode = .manual
            $0.clockModeGiven = true
        },
        AcceptedFlag(name: "seed", environment: "FLEETMOCK_SEED", value: "42") {
            $0.seed = 42
            $0.seedGiven = true
        },
        AcceptedFlag(name: "failure-rate", environment: "FLEETMOCK_FAILURE_RATE", value: "0.25") {
            $0.failureRate = 0.25
        },
        AcceptedFlag(name: "rate-limit", environment: "FLEETMOCK_RATE_LIMIT", value: "7") { $0.rateLimit = 7 },
        AcceptedFlag(name: "rate-limit-period", environment: "FLEETMOCK_RATE_LIMIT_PERIOD", value: "5") {
            $0.rateLimitPeriodSeconds = 5
        },
        AcceptedFlag(name: "concurrency", environment: "FLEETMOCK_CONCURRENCY", value: "10000") {
            $0.concurrency = 10_000
        },
        AcceptedFlag(name: "ready-file", environment: "FLEETMOCK_READY_FILE", value: "/tmp/ready") {
            $0.readyFile = "/tmp/ready"
        },
        AcceptedFlag(name: "log-format", environment: "FLEETMOCK_LOG_FORMAT", value: "json") { $0.logFormat = .json },
        AcceptedFlag(name: "log-level", environment: "FLEETMOCK_LOG_LEVEL", value: "debug") { $0.logLevel = .debug },
        AcceptedFlag(name: "journal-size", environment: "FLEETMOCK_JOURNAL_SIZE", value: "1000000") {
            $0.journalSize = 1_000_000
        },
        AcceptedFlag(name: "progress", environment: "FLEETMOCK_PROGRESS", value: "stepped") { $0.progress = .stepped },
    ]
}

/// `ServeOptions.parse`: each setting from its flag, else its variable, else the default.
@Suite struct ServeOptionsTests {
    @Test func noFlagsAndNoVariablesGiveTheDefaults() throws {
        let options = try ServeOptions.parse(arguments: [], environment: [:])
        #expect(options == ServeOptions())
        #expect(options.host == "127.0.0.1")
        #expect(options.port == 8585)
        #expect(options.databasePath == ".fleetmock/fleetmock.sqlite")
        #expect(options.fixturesPath == nil)
        #expect(options.clockMode == .wall)
        #expect(options.seed == SimulationSettings.defaultSeed)
        #expect(options.failureRate == 0)
        #expect(options.rateLimit == 100_000)
        #expect(options.rateLimitPeriodSeconds == 60)
        #expect(options.concurrency == SimulationSettings.standard.concurrency)
        #expect(options.readyFile == nil)
        #expect(!options.clockModeGiven && !options.seedGiven && !options.fresh)
        #expect(options.progress == nil)
        #expect(options.journalSize == 1_000)
        #expect(options.logFormat == .text)
        #expect(options.logLevel == .info)
    }

    /// A flag left out of the table below would go untested.
    @Test func everyValuedFlagIsInTheTable() {
        let valued = ServeOptions.flags.filter { !$0.isSwitch }
        #expect(Set(AcceptedFlag.all.map(\.name)) == Set(valued.map(\.name)))
        for flag in valued {
            #expect(AcceptedFlag.all.first { $0.name == flag.name }?.environment == flag.environment)
        }
    }

    @Test(arguments: AcceptedFlag.all)
    func flagWithItsValueAfterIt(_ flag: AcceptedFlag) throws {
        #expect(try ServeOptions.parse(arguments: ["--\(flag.name)", flag.value], environment: [:]) == flag.expected)
    }

    @Test(arguments: AcceptedFlag.all)
    func flagWithItsValueAfterAnEqualsSign(_ flag: AcceptedFlag) throws {
        #expect(try ServeOptions.parse(arguments: ["--\(flag.name)=\(flag.value)"], environment: [:]) == flag.expected)
    }

    @Test(arguments: AcceptedFlag.all)
    func variableAlone(_ flag: AcceptedFlag) throws {
        #expect(try ServeOptions.parse(arguments: [], environment: [flag.environment: flag.value]) == flag.expected)
    }

    @Test func flagBeatsItsVariable() throws {
        let options = try ServeOptions.parse(
            arguments: ["--port", "9000", "--clock=wall", "--log-level", "warn"],
            environment: ["FLEETMOCK_PORT": "7000", "FLEETMOCK_CLOCK": "manual", "FLEETMOCK_LOG_LEVEL": "debug"])
        #expect(options.port == 9000)
        #expect(options.clockMode == .wall)
        #expect(options.clockModeGiven)
        #expect(options.logLevel == .warn)
    }

    @Test func variablesAndFlagsCombine() throws {
        let options = try ServeOptions.parse(
            arguments: ["--port", "9000"], environment: ["FLEETMOCK_DB": ":memory:", "FLEETMOCK_SEED": "3"])
        var expected = ServeOptions()
        expected.port = 9000
        expected.databasePath = ":memory:"
        expected.seed = 3
        expected.seedGiven = true
        #expect(options == expected)
    }

    @Test func theLastOfARepeatedFlagWins() throws {
        #expect(try ServeOptions.parse(arguments: ["--port", "1", "--port=2"], environment: [:]).port == 2)
    }

    @Test func valueThatLooksLikeAFlagIsTakenAsTheValue() throws {
        #expect(try ServeOptions.parse(arguments: ["--host", "--port"], environment: [:]).host == "--port")
    }

    @Test func anEqualsSignInsideTheValueIsKept() throws {
        #expect(try ServeOptions.parse(arguments: ["--db=a=b.sqlite"], environment: [:]).databasePath == "a=b.sqlite")
    }

    @Test func freshIsASwitch() throws {
        #expect(try ServeOptions.parse(arguments: ["--fresh"], environment: [:]).fresh)
        // It takes no value, so the next argument is a flag of its own.
        let options = try ServeOptions.parse(arguments: ["--fresh", "--port", "1"], environment: [:])
        #expect(options.fresh && options.port == 1)
    }

    @Test(arguments: [
        ("1", true), ("true", true), ("on", true), ("0", false), ("false", false), ("off", false), ("", false),
    ])
    func freshVariable(value: String, fresh: Bool) throws {
        #expect(try ServeOptions.parse(arguments: [], environment: ["FLEETMOCK_FRESH": value]).fresh == fresh)
    }

    @Test func freshFlagBeatsItsVariable() throws {
        #expect(try ServeOptions.parse(arguments: ["--fresh"], environment: ["FLEETMOCK_FRESH": "0"]).fresh)
    }

    /// Read before any flag: a bad variable is refused even when its flag is given.
    @Test func aBadVariableIsRefusedEvenWithItsFlag() {
        #expect(throws: UsageError.self) {
            try ServeOptions.parse(arguments: ["--port", "9000"], environment: ["FLEETMOCK_PORT": "x"])
        }
    }

    @Test func unknownVariablesAreIgnored() throws {
        #expect(
            try ServeOptions.parse(arguments: [], environment: ["FLEETMOCK_NOPE": "1", "PATH": "/bin"])
                == ServeOptions())
    }
}
