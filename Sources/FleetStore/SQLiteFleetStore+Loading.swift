import FleetDomain
import FleetJSON

/// Reading the stored state back into a snapshot.
extension SQLiteFleetStore {
    /// The stored state, or nil when the database has never been seeded. `clockMode` overrides the
    /// stored mode (an explicit --clock); nil keeps what was stored.
    public func load(clockMode: ClockMode?) throws(SQLiteError) -> FleetSnapshot? {
        guard try readMeta("seeded") == 1 else { return nil }
        var versions: [AgentVersion] = []
        let versionRows = try connection.statement("SELECT version FROM agent_versions")
        while try versionRows.step() {
            if let version = AgentVersion(versionRows.string(at: 0)) { versions.append(version) }
        }
        let hosts = try loadHosts()
        var schedules: [Schedule] = []
        let scheduleRows = try connection.statement(
            """
            SELECT id, name, query, rule, status, version_to_latest, created_at_ms, created_by, updated_at_ms,
                   updated_by
            FROM schedules ORDER BY position
            """)
        while try scheduleRows.step() {
            let rule = try decode(scheduleRows.string(at: 3))
            schedules.append(
                Schedule(
                    id: scheduleRows.string(at: 0), name: scheduleRows.string(at: 1), query: scheduleRows.string(at: 2),
                    rule: RecurrenceRule(
                        daysOfWeek: rule["days_of_week"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                        startMaintenanceWindow: rule["start_maintenance_window"]?.stringValue ?? "",
                        maintenanceWindowDuration: rule["maintenance_window_duration"]?.intValue ?? 0,
                        timezone: rule["timezone"]?.stringValue ?? ""),
                    status: ScheduleStatus(rawValue: scheduleRows.string(at: 4)) ?? .inactive,
                    versionToLatest: Int(scheduleRows.int64(at: 5)),
                    createdAt: Instant(milliseconds: scheduleRows.int64(at: 6)), createdBy: scheduleRows.string(at: 7),
                    updatedAt: Instant(milliseconds: scheduleRows.int64(at: 8)), updatedBy: scheduleRows.string(at: 9)))
        }
        let storedFrozen = try readMeta("clock_frozen")
        let storedPolicy = try readMeta("progress_policy").flatMap { index in
            ProgressPolicy.allCases.indices.contains(Int(index)) ? ProgressPolicy.allCases[Int(index)] : nil
        }
        return FleetSnapshot(
            catalog: AgentVersionCatalog(versions), hosts: hosts, schedules: schedules,
            deployments: try loadDeployments(hosts: hosts),
            clock: SimulationClock(
                mode: clockMode ?? storedFrozen.map { $0 == 1 ? ClockMode.manual : .wall } ?? .wall,
                offsetMilliseconds: try readMeta("clock_offset_ms") ?? 0,
                manualNow: Instant(
                    milliseconds: try readMeta("clock_manual_now_ms") ?? SimulationClock.defaultManualStart.milliseconds
                ),
                speed: Double(try readMeta("clock_speed_micro") ?? 1_000_000) / 1_000_000,
                anchorWallMilliseconds: try readMeta("clock_anchor_wall_ms") ?? 0),
            randomState: UInt64(bitPattern: try readMeta("random_state") ?? 0), progressPolicy: storedPolicy)
    }

    private func loadDeployments(hosts: [SimulatedHost]) throws(SQLiteError) -> [Deployment] {
        // Rows of hosts whose state changed, by deployment and position; they override the plan.
        var changedByDeployment: [String: [Int: HostOperation]] = [:]
        let operationRows = try connection.statement(
            """
            SELECT deployment_id, position, host_key, hostname, state, started_at_ms, finished_at_ms,
                   planned_duration_ms, planned_to_fail, error, initial_versions
            FROM host_operations
            """)
        while try operationRows.step() {
            let operation = HostOperation(
                hostKey: operationRows.string(at: 2), hostname: operationRows.string(at: 3),
                state: HostOperationState(rawValue: operationRows.string(at: 4)) ?? .pending,
                startedAt: operationRows.optionalInt64(at: 5).map(Instant.init(milliseconds:)),
                finishedAt: operationRows.optionalInt64(at: 6).map(Instant.init(milliseconds:)),
                plannedDurationMilliseconds: operationRows.int64(at: 7), plannedToFail: operationRows.int64(at: 8) != 0,
                error: operationRows.string(at: 9),
                initialVersions: try decode(operationRows.string(at: 10)).arrayValue?.compactMap(\.stringValue) ?? [])
            changedByDeployment[operationRows.string(at: 0), default: [:]][Int(operationRows.int64(at: 1))] = operation
        }
        var canceledAtByDeployment: [String: Instant] = [:]
        let cancellationRows = try connection.statement(
            "SELECT deployment_id, canceled_at_ms FROM deployment_cancellations ORDER BY rowid")
        while try cancellationRows.step() {
            let canceledAt = Instant(milliseconds: cancellationRows.int64(at: 1))
            canceledAtByDeployment[cancellationRows.string(at: 0)] = canceledAt
        }
        var deployments: [Deployment] = []
        var sharedTexts = OperationPlanCoding.SharedTexts(hosts: hosts)
        let rows = try connection.statement(
            """
            SELECT id, sequence, kind, payload, filter_query, created_at_ms, schedule_id, concurrency,
                   start_delay_ms, author, plan
            FROM deployments ORDER BY sequence
            """)
        while try rows.step() {
            let id = rows.string(at: 0)
            let changed = changedByDeployment[id] ?? [:]
            // Deployments stored before schema 3 have no plan: every host has its own row.
            let plan = rows.bytes(at: 10)
            var operations =
                plan.isEmpty
                ? changed.keys.sorted().map { changed[$0]! }
                : try OperationPlanCoding.decode(plan, sharing: &sharedTexts)
            if !plan.isEmpty {
                for (position, operation) in changed where position < operations.count {
                    operations[position] = operations[position].withProgress(of: operation)
                }
            }
            var deployment = Deployment(
                id: id, sequence: rows.int64(at: 1),
                kind: try DeploymentKindCoding.decode(kind: rows.string(at: 2), payload: decode(rows.string(at: 3))),
                filterQuery: rows.string(at: 4), createdAt: Instant(milliseconds: rows.int64(at: 5)),
                canceledAt: nil, scheduleID: rows.optionalString(at: 6), author: rows.string(at: 9),
                concurrency: Int(rows.int64(at: 7)), startDelayMilliseconds: rows.int64(at: 8), operations: operations)
            // Cancel stores only the instant: the hosts still pending then are canceled, as the
            // domain defines it.
            if let canceledAt = canceledAtByDeployment[id] { deployment.markCanceled(at: canceledAt) }
            deployments.append(deployment)
        }
        return deployments
    }
}
