import FleetJSON

/// A whole state as one JSON document, for `/__fleetmock/snapshot` and `/restore`: the fixture
/// format (`agent_versions`, `hosts`, `schedules`, so a snapshot also serves as a `fleet.json`)
/// plus `deployments` with every host operation, the `clock`, the generator's `random_state` and
/// the `progress_policy`. Decoding checks every field and names the first wrong one.
extension FleetSnapshot {
    public static let documentFormat = "fleetmock-snapshot/1"

    public var document: JSONValue {
        .object([
            "format": .string(Self.documentFormat),
            "agent_versions": .array(catalog.versions.map { .string($0.text) }),
            "hosts": .array(
                hosts.map { host in
                    .object([
                        "agent_key": .string(host.agentKey), "hostname": .string(host.hostname),
                        "tags": .array(host.tags.map { .string($0.description) }),
                        "packages": .object(host.packages.mapValues(JSONValue.string)),
                        "config_files": .object(host.configFiles), "attributes": host.attributes,
                    ])
                }),
            "schedules": .array(
                schedules.map { schedule in
                    .object([
                        "id": .string(schedule.id), "name": .string(schedule.name), "query": .string(schedule.query),
                        "status": .string(schedule.status.rawValue),
                        "version_to_latest": .int(Int64(schedule.versionToLatest)),
                        "rule": .object([
                            "days_of_week": .array(schedule.rule.daysOfWeek.map(JSONValue.string)),
                            "start_maintenance_window": .string(schedule.rule.startMaintenanceWindow),
                            "maintenance_window_duration": .int(schedule.rule.maintenanceWindowDuration),
                            "timezone": .string(schedule.rule.timezone),
                        ]),
                        "created_at_ms": .int(schedule.createdAt.milliseconds),
                        "created_by": .string(schedule.createdBy),
                        "updated_at_ms": .int(schedule.updatedAt.milliseconds),
                        "updated_by": .string(schedule.updatedBy),
                    ])
                }),
            "deployments": .array(deployments.map(Self.document(of:))),
            "clock": .object([
                "frozen": .bool(clock.mode == .manual), "offset_ms": .int(clock.offsetMilliseconds),
                "now_ms": .int(clock.manualNow.milliseconds), "speed": .double(clock.speed),
                "anchor_wall_ms": .int(clock.anchorWallMilliseconds),
            ]),
            // A string: the generator's state uses all 64 bits, beyond what JSON numbers keep exactly.
            "random_state": .string(String(randomState)),
            "progress_policy": progressPolicy.map { .string($0.rawValue) } ?? .null,
        ])
    }

    private static func document(of deployment: Deployment) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(deployment.id), "sequence": .int(deployment.sequence),
            "filter_query": .string(deployment.filterQuery), "created_at_ms": .int(deployment.createdAt.milliseconds),
            "author": .string(deployment.author), "concurrency": .int(Int64(deployment.concurrency)),
            "start_delay_ms": .int(deployment.startDelayMilliseconds),
        ]
        if let canceled = deployment.canceledAt { members["canceled_at_ms"] = .int(canceled.milliseconds) }
        if let schedule = deployment.scheduleID { members["schedule_id"] = .string(schedule) }
        switch deployment.kind {
        case .upgrade(let targets):
            members["kind"] = .string("upgrade")
            members["packages"] = .array(
                targets.map { .object(["name": .string($0.name), "version": .string($0.version)]) })
        case .configure(let operations):
            members["kind"] = .string("configure")
            members["config_operations"] = .array(
                operations.map { operation in
                    var fields: [String: JSONValue] = [
                        "file_op": .string(operation.fileOp.rawValue), "file_path": .string(operation.filePath),
                    ]
                    if let patch = operation.patch { fields["patch"] = patch }
                    return .object(fields)
                })
        }
        members["hosts"] = .array(
            deployment.operations.map { operation in
                var fields: [String: JSONValue] = [
                    "agent_key": .string(operation.hostKey), "hostname": .string(operation.hostname),
                    "state": .string(operation.state.rawValue), "error": .string(operation.error),
                    "planned_duration_ms": .int(operation.plannedDurationMilliseconds),
                    "planned_to_fail": .bool(operation.plannedToFail),
                    "initial_versions": .array(operation.initialVersions.map(JSONValue.string)),
                ]
                if let started = operation.startedAt { fields["started_at_ms"] = .int(started.milliseconds) }
                if let finished = operation.finishedAt { fields["finished_at_ms"] = .int(finished.milliseconds) }
                if let planned = operation.plannedError { fields["planned_error"] = .string(planned) }
                return .object(fields)
            })
        return .object(members)
    }

    /// Reads a snapshot document (or a plain fixture document: no deployments, the given clock).
    public init(document: JSONValue, defaultClock: SimulationClock, defaultSeed: UInt64) throws(FixtureError) {
        var reader = Fixture.Reader(document, path: "snapshot")
        var clock = defaultClock
        if reader.raw("clock") != nil {
            var fields = try reader.object("clock")
            let speed = fields.raw("speed")?.doubleValue ?? 1
            guard SimulationClock.speeds.contains(speed) else {
                throw FixtureError(path: "snapshot.clock.speed", reason: "must be from 0.001 to 10000")
            }
            clock = SimulationClock(
                mode: try fields.optionalBool("frozen") ?? false ? .manual : .wall,
                offsetMilliseconds: try fields.optionalInt("offset_ms") ?? 0,
                manualNow: Instant(
                    milliseconds: try fields.optionalInt("now_ms") ?? defaultClock.manualNow.milliseconds),
                speed: speed, anchorWallMilliseconds: try fields.optionalInt("anchor_wall_ms") ?? 0)
            guard clock.hasFieldsInRange else {
                throw FixtureError(
                    path: "snapshot.clock",
                    reason: "now_ms must be from 0 to \(SimulationClock.instants.upperBound.milliseconds) "
                        + "and offset_ms and anchor_wall_ms at most that far from 0")
            }
        }
        var seed = defaultSeed
        if let text = try reader.optionalString("random_state") {
            guard let state = UInt64(text) else {
                throw FixtureError(path: "snapshot.random_state", reason: "must be a decimal 64-bit unsigned integer")
            }
            seed = state
        }
        var snapshot = try Fixture.fleet(from: document, clock: clock, seed: seed, path: "snapshot")
        if let text = try reader.optionalString("progress_policy") {
            guard let policy = ProgressPolicy(rawValue: text) else {
                throw FixtureError(path: "snapshot.progress_policy", reason: "must be immediate, stepped or timed")
            }
            snapshot.progressPolicy = policy
        }
        if reader.raw("deployments") != nil {
            var sequences = Set<Int64>()
            var ids = Set<String>()
            snapshot.deployments = try reader.array("deployments").map { (item) throws(FixtureError) -> Deployment in
                let deployment = try Self.deployment(item)
                guard ids.insert(deployment.id).inserted, sequences.insert(deployment.sequence).inserted else {
                    throw FixtureError(path: item.path, reason: "id or sequence appears twice")
                }
                return deployment
            }
        }
        self = snapshot
    }

    /// A host operation's times must fit its state, as the rollout leaves them: the simulation
    /// reasons from them (when a running host finishes, what a cancel interrupts).
    private static func checkTimes(
        of state: HostOperationState, startedAt: Instant?, finishedAt: Instant?, at path: String
    ) throws(FixtureError) {
        let startedRequired = state == .running || state == .succeeded || state == .failed
        if startedRequired, startedAt == nil {
            throw FixtureError(path: path + ".started_at_ms", reason: "is required for a \(state.rawValue) host")
        }
        if state == .pending, startedAt != nil {
            throw FixtureError(path: path + ".started_at_ms", reason: "must be absent for a pending host")
        }
        if state.isFinished, finishedAt == nil {
            throw FixtureError(path: path + ".finished_at_ms", reason: "is required for a \(state.rawValue) host")
        }
        if !state.isFinished, finishedAt != nil {
            throw FixtureError(path: path + ".finished_at_ms", reason: "must be absent for a \(state.rawValue) host")
        }
        if let startedAt, let finishedAt, finishedAt < startedAt {
            throw FixtureError(path: path + ".finished_at_ms", reason: "must not be before started_at_ms")
        }
    }

    private static func deployment(_ item: Fixture.Reader) throws(FixtureError) -> Deployment {
        var reader = item
        let kind: DeploymentKind
        switch try reader.string("kind") {
        case "upgrade":
            kind = .upgrade(
                try reader.array("packages").map { (package) throws(FixtureError) -> PackageTarget in
                    var fields = package
                    return PackageTarget(name: try fields.string("name"), version: try fields.string("version"))
                })
        case "configure":
            kind = .configure(
                try reader.array("config_operations").map { (operation) throws(FixtureError) -> ConfigOperation in
                    var fields = operation
                    guard let fileOp = ConfigOperation.FileOp(rawValue: try fields.string("file_op")) else {
                        throw FixtureError(path: fields.path + ".file_op", reason: "must be merge-patch or delete")
                    }
                    return ConfigOperation(
                        fileOp: fileOp, filePath: try fields.string("file_path"), patch: fields.raw("patch"))
                })
        default:
            throw FixtureError(path: reader.path + ".kind", reason: "must be upgrade or configure")
        }
        let operations = try reader.array("hosts").map { (host) throws(FixtureError) -> HostOperation in
            var fields = host
            guard let state = HostOperationState(rawValue: try fields.string("state")) else {
                throw FixtureError(
                    path: fields.path + ".state", reason: "must be pending, running, succeeded, failed or canceled")
            }
            let startedAt = try fields.optionalInt("started_at_ms").map(Instant.init(milliseconds:))
            let finishedAt = try fields.optionalInt("finished_at_ms").map(Instant.init(milliseconds:))
            try checkTimes(of: state, startedAt: startedAt, finishedAt: finishedAt, at: fields.path)
            let plannedDuration = try fields.int("planned_duration_ms")
            guard plannedDuration >= 0 else {
                throw FixtureError(path: fields.path + ".planned_duration_ms", reason: "must not be negative")
            }
            return HostOperation(
                hostKey: try fields.string("agent_key"), hostname: try fields.string("hostname"), state: state,
                startedAt: startedAt, finishedAt: finishedAt, plannedDurationMilliseconds: plannedDuration,
                plannedToFail: try fields.optionalBool("planned_to_fail") ?? false,
                plannedError: try fields.optionalString("planned_error"),
                error: try fields.optionalString("error") ?? "",
                initialVersions: try fields.stringArray("initial_versions"))
        }
        let concurrency = try reader.int("concurrency")
        guard (1...10_000).contains(concurrency) else {
            throw FixtureError(path: reader.path + ".concurrency", reason: "must be from 1 to 10000")
        }
        return Deployment(
            id: try reader.string("id"), sequence: try reader.int("sequence"), kind: kind,
            filterQuery: try reader.string("filter_query"),
            createdAt: Instant(milliseconds: try reader.int("created_at_ms")),
            canceledAt: try reader.optionalInt("canceled_at_ms").map(Instant.init(milliseconds:)),
            scheduleID: try reader.optionalString("schedule_id"), author: try reader.optionalString("author") ?? "",
            concurrency: Int(concurrency), startDelayMilliseconds: try reader.optionalInt("start_delay_ms") ?? 0,
            operations: operations)
    }
}
