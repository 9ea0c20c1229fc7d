import Glibc

/// `fleetmock fixtures generate --hosts N [--seed S] [--out DIR]`: a fleet of any size for scale
/// tests, in the bundled fixtures' format, the same bytes for the same N and seed. Writes
/// DIR/fleet.json and DIR/credentials.json (the demo keys), or the fleet to stdout without --out.
enum FixturesCommand {
    static let help = """
        USAGE: fleetmock fixtures generate --hosts N [--seed S] [--out DIR]

        Writes a simulated fleet of N hosts (1 to 1000000) in the format of Fixtures/fleet.json:
        envs prod/staging/dev/qa, seven services, three regions, Agents from three majors, one in
        fifty hosts tagged fleetmock_fail:true, and two schedules (env:prod, service:web-*).
          --hosts N   how many hosts
          --seed S    generator seed (default 2026): the same N and seed give the same bytes
          --out DIR   write DIR/fleet.json and DIR/credentials.json (the demo keys); else stdout
        Then: fleetmock serve --fixtures DIR
        """

    /// The credentials.json written beside a generated fleet: the demo keys.
    static let demoCredentials = """
        {"api_keys": [{"key": "fleetmock-api-key", "name": "FleetMock demo API key"}],
         "application_keys": [
          {"key": "fleetmock-app-key", "name": "FleetMock demo (all permissions)", "owner": "demo@fleetmock.example",
           "permissions": ["hosts_read", "agent_upgrade_write", "fleet_policies_write"]},
          {"key": "fleetmock-readonly-app-key", "name": "FleetMock read-only", "owner": "readonly@fleetmock.example",
           "permissions": ["hosts_read"]},
          {"key": "fleetmock-upgrade-app-key", "name": "FleetMock upgrades only", "owner": "upgrader@fleetmock.example",
           "permissions": ["hosts_read", "agent_upgrade_write"]}]}

        """

    static func run(arguments: [String]) -> Int32 {
        guard arguments.first == "generate" else {
            SystemIO.printError("fleetmock fixtures: expected 'generate'\n\n\(help)")
            return 2
        }
        let options: Options
        do {
            options = try Options.parse(arguments: Array(arguments.dropFirst()))
        } catch {
            SystemIO.printError("fleetmock fixtures generate: \(error)")
            return 2
        }
        let fleet = generate(hosts: options.hosts, seed: options.seed)
        guard let out = options.out else {
            var text = String(decoding: fleet, as: UTF8.self)
            text.withUTF8 { buffer in _ = write(1, buffer.baseAddress, buffer.count) }
            return 0
        }
        mkdir(out, 0o755)
        guard SystemIO.writeFileAtomically(out + "/fleet.json", contents: String(decoding: fleet, as: UTF8.self)),
            SystemIO.writeFileAtomically(out + "/credentials.json", contents: demoCredentials)
        else {
            SystemIO.printError("fleetmock fixtures generate: cannot write to \(out)")
            return 1
        }
        SystemIO.printError("fleetmock fixtures generate: \(options.hosts) hosts in \(out)/fleet.json")
        return 0
    }

    /// `generate`'s options, the arguments after it: flag and value pairs, --hosts required.
    struct Options: Equatable {
        static let defaultSeed: UInt64 = 2026

        var hosts: Int
        var seed = defaultSeed
        var out: String?

        static func parse(arguments: [String]) throws(UsageError) -> Options {
            var hosts: Int?
            var seed = defaultSeed
            var out: String?
            var index = 0
            while index < arguments.count {
                let name = arguments[index]
                guard index + 1 < arguments.count else { throw UsageError("\(name) needs a value") }
                let value = arguments[index + 1]
                switch name {
                case "--hosts":
                    guard let count = Int(value), (1...1_000_000).contains(count) else {
                        throw UsageError("--hosts must be from 1 to 1000000, got '\(value)'")
                    }
                    hosts = count
                case "--seed":
                    guard let parsed = UInt64(value) else {
                        throw UsageError("--seed must be a non-negative integer, got '\(value)'")
                    }
                    seed = parsed
                case "--out": out = value
                default: throw UsageError("unknown option '\(name)'\n\n\(help)")
                }
                index += 2
            }
            guard let hosts else { throw UsageError("--hosts is required\n\n\(help)") }
            return Options(hosts: hosts, seed: seed, out: out)
        }
    }
}
