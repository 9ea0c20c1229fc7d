import FleetDomain
import FleetJSON

/// A small fleet for domain tests: 12 hosts, three majors in the catalogue, one failing host.
public enum TestFleet {
    public static let start = Instant(seconds: 1_767_225_600)

    public static func host(
        _ name: String, _ tags: [String], version: String = "7.51.0", attributes: JSONValue = .object([:])
    ) -> SimulatedHost {
        SimulatedHost(
            agentKey: key(name), hostname: name, tags: tags.map(Tag.init(parsing:)),
            packages: [SimulatedHost.agentPackage: version],
            configFiles: ["/datadog.yaml": .object(["log_level": .string("info")])], attributes: attributes)
    }

    /// A host's agent key: 32 lowercase hex digits, as real keys are (its name's bytes, zero-padded).
    public static func key(_ name: String) -> String {
        let hex = name.utf8.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        return String((hex + String(repeating: "0", count: 32)).prefix(32))
    }

    /// Attributes of a host running one APM tracer.
    public static func tracerAttributes(service: String, env: String, language: String) -> JSONValue {
        .object([
            "os": .string("linux"), "first_seen_at": .int(1_760_000_000_000),
            "tracers": .array([
                .object([
                    "service": .string(service), "env": .string(env), "language": .string(language),
                    "tracer_version": .string("1.0.0"), "runtime_ids": .array([.string("r-\(service)")]),
                ])
            ]),
        ])
    }

    public static let hosts: [SimulatedHost] = {
        var hosts: [SimulatedHost] = []
        for index in 1...8 {
            let attributes =
                index == 1
                ? tracerAttributes(service: "web-frontend", env: "prod", language: "nodejs") : .object([:])
            hosts.append(
                host(
                    "web-prod-\(index)", ["env:prod", "service:web-frontend", "region:us-east-1"],
                    attributes: attributes))
        }
        hosts.append(host("db-prod-1", ["env:prod", "service:postgres", "region:eu-west-1"], version: "6.53.0"))
        hosts.append(host("bad-prod-1", ["env:prod", "service:checkout", "fleetmock_fail:true"]))
        hosts.append(
            host(
                "web-staging-1", ["env:staging", "service:web-api", "region:us-west-2"],
                attributes: tracerAttributes(service: "web-api", env: "staging", language: "python")))
        hosts.append(host("Win-Staging-2", ["env:staging", "service:web-api", "os:windows"], version: "5.32.9"))
        return hosts
    }()

    public static let catalog = AgentVersionCatalog(
        ["7.53.0", "7.52.1", "7.51.0", "6.53.1", "6.53.0", "5.32.9", "7.54.0-rc.1"].compactMap(AgentVersion.init))

    public static let prodSchedule = Schedule(
        id: "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10", name: "prod", query: "env:prod",
        rule: RecurrenceRule(
            daysOfWeek: ["Mon"], startMaintenanceWindow: "02:00", maintenanceWindowDuration: 60, timezone: "UTC"),
        status: .active, versionToLatest: 0, createdAt: start, createdBy: "t@example.com", updatedAt: start,
        updatedBy: "t@example.com")

    public static let stagingSchedule = Schedule(
        id: "b7e4d2a9-1c3f-4a8e-8d25-6f9b0c1e3a27", name: "staging", query: "env:staging",
        rule: RecurrenceRule(
            daysOfWeek: ["Fri"], startMaintenanceWindow: "22:00", maintenanceWindowDuration: 60, timezone: "UTC"),
        status: .inactive, versionToLatest: 1, createdAt: start, createdBy: "t@example.com", updatedAt: start,
        updatedBy: "t@example.com")

    public static let settings = SimulationSettings(
        concurrency: 3, failureRate: 0, startDelayMilliseconds: 5_000, operationDuration: 20_000...120_000)

    public static func simulation(seed: UInt64 = 42, settings: SimulationSettings = settings) -> FleetSimulation {
        FleetSimulation(
            snapshot: FleetSnapshot(
                catalog: catalog, hosts: hosts, schedules: [prodSchedule, stagingSchedule], deployments: [],
                clock: SimulationClock(mode: .manual, manualNow: start), randomState: seed),
            settings: settings)
    }
}

extension FleetSimulation {
    /// Plans and applies a trigger, returning the new deployment's id.
    public mutating func trigger(_ scheduleID: String = TestFleet.prodSchedule.id, at now: Instant) throws -> String {
        let changes = try planTrigger(scheduleID: scheduleID, now: now)
        apply(changes)
        guard case .deploymentCreated(let deployment) = changes.first else { fatalError("no deployment") }
        return deployment.id
    }

    public mutating func cancel(_ id: String, at now: Instant) throws {
        apply(try planCancel(deploymentID: id, now: now))
    }
}

extension Instant {
    public func plus(seconds: Int64) -> Instant { adding(milliseconds: seconds * 1000) }
}
