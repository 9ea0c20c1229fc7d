import FleetDomain

/// `fleetmock serve` settings: each from its flag, else its environment variable, else the default.
/// The flags and variables are a contract that users' scripts depend on: extend, never rename.
struct ServeOptions: Equatable {
    var host = "127.0.0.1"
    var port: UInt16 = 8585
    var databasePath = ".fleetmock/fleetmock.sqlite"
    var fixturesPath: String?
    var clockMode = ClockMode.wall
    var seed = SimulationSettings.defaultSeed
    var failureRate = 0.0
    var rateLimit = 100_000
    var rateLimitPeriodSeconds = 60
    var concurrency = SimulationSettings.standard.concurrency
    var readyFile: String?
    /// Whether --clock or FLEETMOCK_CLOCK was given (then it overrides the stored clock mode).
    var clockModeGiven = false
    /// Whether --seed or FLEETMOCK_SEED was given (then a state made with another seed is refused).
    var seedGiven = false
    /// Start again from the fixtures, replacing the state file and its orgs' files.
    var fresh = false
    var progress: ProgressPolicy?
    var journalSize = 1_000
    var logFormat = RequestLog.Format.text
    var logLevel = RequestLog.Level.info

    /// The clock a new state starts with: stepped progress freezes it, timed runs it.
    var initialClockMode: ClockMode { clockModeAsked ?? clockMode }

    /// The clock mode the flags ask for, by the same rule on a first start and a restart: stepped
    /// progress freezes time, timed runs it, else --clock when given; nil leaves a stored state's mode.
    var clockModeAsked: ClockMode? {
        switch progress {
        case .stepped?: return .manual
        case .timed?: return .wall
        default: return clockModeGiven ? clockMode : nil
        }
    }

    struct Flag: Sendable {
        let name: String
        let environment: String
        let valueName: String
        let help: String
        /// A switch takes no value on the command line (`--fresh`); its variable is 1/true/on or 0/false/off.
        var isSwitch = false
        let apply: @Sendable (inout ServeOptions, String) throws(UsageError) -> Void
    }

    static let flags: [Flag] = [
        Flag(
            name: "host", environment: "FLEETMOCK_HOST", valueName: "ADDRESS",
            help: "Address to listen on (default 127.0.0.1)."
        ) { (options, value) throws(UsageError) in
            options.host = value
        },
        Flag(
            name: "port", environment: "FLEETMOCK_PORT", valueName: "N",
            help: "Port to listen on; 0 picks a free one (default 8585)."
        ) { (options, value) throws(UsageError) in
            guard let port = UInt16(value) else { throw UsageError("--port must be 0...65535, got '\(value)'") }
            options.port = port
        },
        Flag(
            name: "db", environment: "FLEETMOCK_DB", valueName: "PATH",
            help: "SQLite file holding the state (default .fleetmock/fleetmock.sqlite; :memory: keeps nothing)."
        ) {
            (options, value) throws(UsageError) in
            guard !value.isEmpty else { throw UsageError("--db needs a path") }
            options.databasePath = value
        },
        Flag(
            name: "fixtures", environment: "FLEETMOCK_FIXTURES", valueName: "DIR",
            help: "Folder with fleet.json and credentials.json (default: the bundled Fixtures/)."
        ) {
            (options, value) throws(UsageError) in
            options.fixturesPath = value
        },
        Flag(
            name: "clock", environment: "FLEETMOCK_CLOCK", valueName: "wall|manual",
            help:
                "wall: simulated time follows the wall clock (default); manual: it moves only through POST /__fleetmock/clock/advance."
        ) {
            (options, value) throws(UsageError) in
            guard let mode = ClockMode(rawValue: value) else {
                throw UsageError("--clock must be wall or manual, got '\(value)'")
            }
            options.clockMode = mode
            options.clockModeGiven = true
        },
        Flag(
            name: "seed", environment: "FLEETMOCK_SEED", valueName: "N",
            help:
                "Seed of every random draw: ids, durations, failures (default \(SimulationSettings.defaultSeed)). Used when a new state is created."
        ) {
            (options, value) throws(UsageError) in
            guard let seed = UInt64(value) else {
                throw UsageError("--seed must be a non-negative integer, got '\(value)'")
            }
            options.seed = seed
            options.seedGiven = true
        },
        Flag(
            name: "fresh", environment: "FLEETMOCK_FRESH", valueName: "",
            help:
                "Start again from the fixtures and seed given: delete the state file (and its WAL and orgs' files) first.",
            isSwitch: true
        ) { (options, value) throws(UsageError) in
            switch value {
            case "1", "true", "on": options.fresh = true
            case "0", "false", "off", "": options.fresh = false
            default: throw UsageError("FLEETMOCK_FRESH must be 1 or 0, got '\(value)'")
            }
        },
        Flag(
            name: "failure-rate", environment: "FLEETMOCK_FAILURE_RATE", valueName: "P",
            help: "Probability 0...1 that a host operation fails at random (default 0)."
        ) {
            (options, value) throws(UsageError) in
            guard let rate = Double(value), rate >= 0, rate <= 1 else {
                throw UsageError("--failure-rate must be a number from 0 to 1, got '\(value)'")
            }
            options.failureRate = rate
        },
        Flag(
            name: "rate-limit", environment: "FLEETMOCK_RATE_LIMIT", valueName: "N",
            help: "Calls allowed per API key and operation in each period (default 100000)."
        ) {
            (options, value) throws(UsageError) in
            guard let limit = Int(value), limit >= 1 else {
                throw UsageError("--rate-limit must be a positive integer, got '\(value)'")
            }
            options.rateLimit = limit
        },
        Flag(
            name: "rate-limit-period", environment: "FLEETMOCK_RATE_LIMIT_PERIOD", valueName: "SECONDS",
            help: "Length of a rate-limit window (default 60)."
        ) { (options, value) throws(UsageError) in
            guard let period = Int(value), period >= 1 else {
                throw UsageError("--rate-limit-period must be a positive integer, got '\(value)'")
            }
            options.rateLimitPeriodSeconds = period
        },
        Flag(
            name: "concurrency", environment: "FLEETMOCK_CONCURRENCY", valueName: "N",
            help: "Hosts of one deployment in progress at once (default \(SimulationSettings.standard.concurrency))."
        ) {
            (options, value) throws(UsageError) in
            guard let count = Int(value), count >= 1, count <= 10_000 else {
                throw UsageError("--concurrency must be an integer from 1 to 10000, got '\(value)'")
            }
            options.concurrency = count
        },
        Flag(
            name: "ready-file", environment: "FLEETMOCK_READY_FILE", valueName: "PATH",
            help: "Once ready, write the bound URL (http://HOST:PORT) and a newline to PATH (written whole, by rename)."
        ) {
            (options, value) throws(UsageError) in
            guard !value.isEmpty else { throw UsageError("--ready-file needs a path") }
            options.readyFile = value
        },
        Flag(
            name: "log-format", environment: "FLEETMOCK_LOG_FORMAT", valueName: "text|json",
            help: "Logs on stderr as text (default) or JSON lines."
        ) { (options, value) throws(UsageError) in
            guard let format = RequestLog.Format(rawValue: value) else {
                throw UsageError("--log-format must be text or json, got '\(value)'")
            }
            options.logFormat = format
        },
        Flag(
            name: "log-level", environment: "FLEETMOCK_LOG_LEVEL", valueName: "LEVEL",
            help: "debug, info (default: one line per request), warn or error."
        ) { (options, value) throws(UsageError) in
            guard let level = RequestLog.Level(name: value) else {
                throw UsageError("--log-level must be debug, info, warn or error, got '\(value)'")
            }
            options.logLevel = level
        },
        Flag(
            name: "journal-size", environment: "FLEETMOCK_JOURNAL_SIZE", valueName: "N",
            help: "Requests kept in the journal at GET /__fleetmock/requests (default 1000; bodies cut at 4 KB)."
        ) {
            (options, value) throws(UsageError) in
            guard let size = Int(value), (1...1_000_000).contains(size) else {
                throw UsageError("--journal-size must be an integer from 1 to 1000000, got '\(value)'")
            }
            options.journalSize = size
        },
        Flag(
            name: "progress", environment: "FLEETMOCK_PROGRESS", valueName: "immediate|stepped|timed",
            help:
                "How host operations progress: immediate (complete at once), stepped (only when the clock is advanced), timed (with the clock; the default, or stepped with --clock manual)."
        ) {
            (options, value) throws(UsageError) in
            guard let policy = ProgressPolicy(rawValue: value) else {
                throw UsageError("--progress must be immediate, stepped or timed, got '\(value)'")
            }
            options.progress = policy
        },
    ]

    /// Flags retired in 0.3.0 with what they chose between: writes are always group-committed on the
    /// writer thread, by one event loop (BENCHMARKS.md, "One way to commit"). Given the one value
    /// that is still how FleetMock works, each is accepted and ignored; any other value is refused.
    static let retiredFlags: [(name: String, environment: String, stillTrue: String)] = [
        ("loops", "FLEETMOCK_LOOPS", "1"),
        ("group-commit", "FLEETMOCK_GROUP_COMMIT", "on"),
        ("background-commit", "FLEETMOCK_BACKGROUND_COMMIT", "on"),
    ]

    private static func checkRetired(_ name: String, value: String) throws(UsageError) {
        guard let retired = retiredFlags.first(where: { $0.name == name }), value != retired.stillTrue else { return }
        throw UsageError(
            "--\(name) (\(retired.environment)) was retired in 0.3.0: one event loop always group-commits the"
                + " writes of each pass on a writer thread; only '\(retired.stillTrue)' is accepted, got '\(value)'")
    }

    /// What parsing accepts: the documented flags, then the retired ones, read like the others (a
    /// value from the command line or the environment) and checked by `checkRetired`.
    private static let accepted: [Flag] =
        flags
        + retiredFlags.map { retired in
            Flag(name: retired.name, environment: retired.environment, valueName: retired.stillTrue, help: "") {
                (_, value) throws(UsageError) in try checkRetired(retired.name, value: value)
            }
        }

    /// Environment first, then flags, so a flag always wins.
    static func parse(arguments: [String], environment: [String: String]) throws(UsageError) -> ServeOptions {
        var options = ServeOptions()
        for flag in accepted {
            if let value = environment[flag.environment] { try flag.apply(&options, value) }
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw UsageError("unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let flag = accepted.first(where: { $0.name == name }) else {
                throw UsageError("unknown option '--\(name)'")
            }
            if flag.isSwitch {
                guard value == nil else { throw UsageError("--\(name) takes no value") }
                value = "1"
            } else if value == nil {
                index += 1
                guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                value = arguments[index]
            }
            try flag.apply(&options, value!)
            index += 1
        }
        return options
    }

    static var help: String {
        var lines = [
            "USAGE: fleetmock serve [options]",
            "",
            "Serves Datadog's Fleet Automation API over a simulated fleet kept in SQLite.",
            "Prints one line containing http://HOST:PORT to stdout once it accepts connections.",
            "",
            "OPTIONS (each also read from the environment variable shown):",
        ]
        for flag in flags {
            let left = flag.isSwitch ? "  --\(flag.name)" : "  --\(flag.name) \(flag.valueName)"
            lines.append(left.padding(toLength: 34) + flag.help)
            lines.append(String(repeating: " ", count: 34) + "env: \(flag.environment)")
        }
        lines.append("  -h, --help".padding(toLength: 34) + "Show this help.")
        return lines.joined(separator: "\n")
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
