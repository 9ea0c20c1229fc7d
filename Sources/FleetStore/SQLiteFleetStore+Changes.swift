import FleetDomain

/// Writing a pass's changes: one transaction per `persist`, or joined into the open batch.
extension SQLiteFleetStore {
    public func persist(_ changes: [FleetChange]) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try connection.transaction { () throws(SQLiteError) in
                for change in changes { try write(change) }
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func persistInBatch(_ changes: [FleetChange]) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try connection.beginBatch()
            // One statement needs no savepoint (a cancel, a host's progress): see
            // `SQLiteConnection.singleStatement`.
            if changes.count == 1, Self.writesOneStatement(changes[0]) {
                try connection.singleStatement { () throws(SQLiteError) in try write(changes[0]) }
                return
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
        try persist(changes)
    }

    /// Whether `write(change)` runs exactly one writing statement (kept beside `write`'s cases:
    /// a change listed here runs in a batch with no savepoint of its own).
    private static func writesOneStatement(_ change: FleetChange) -> Bool {
        switch change {
        case .deploymentCanceled, .operationUpdated, .hostUpdated, .scheduleUpdated, .scheduleDeleted,
            .randomStateUpdated, .progressPolicyUpdated:
            return true
        case .deploymentCreated, .scheduleCreated, .clockUpdated:
            return false
        }
    }

    public func commitBatch() throws(FleetError) {
        do {
            try connection.commitBatch()
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func rollbackBatch() {
        connection.rollbackBatch()
    }

    public func loadCommitted() throws(FleetError) -> FleetSnapshot? {
        do {
            return try load(clockMode: nil)
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    /// Each change's statements. `writesOneStatement` lists the changes written by exactly one:
    /// a change here that comes to need a second statement must leave that list.
    private func write(_ change: FleetChange) throws(SQLiteError) {
        switch change {
        case .deploymentCreated(let deployment):
            try insert(deployment)
        case .deploymentCanceled(let id, let time):
            // One row, the instant: see `loadDeployments`.
            try writeCancellation(of: id, at: time)
        case .operationUpdated(let id, let position, let operation):
            try upsert(operation, deploymentID: id, position: position)
        case .hostUpdated(let host):
            var json = HostsJSONWriter()
            try connection.statement(
                """
                INSERT INTO host_states (agent_key, packages, config_files) VALUES (?, ?, ?)
                ON CONFLICT(agent_key) DO UPDATE SET packages = excluded.packages, config_files = excluded.config_files
                """
            ).run(.text(host.agentKey), .utf8(json.packages(host.packages)), .utf8(json.configFiles(host.configFiles)))
        case .scheduleCreated(let schedule):
            let position =
                try connection.statement("SELECT COALESCE(MAX(position), -1) + 1 FROM schedules")
                .firstRow { $0.int64(at: 0) } ?? 0
            try insert(schedule, position: Int(position))
        case .scheduleUpdated(let schedule):
            try connection.statement(
                """
                UPDATE schedules SET name = ?, query = ?, rule = ?, status = ?, version_to_latest = ?,
                    updated_at_ms = ?, updated_by = ?
                WHERE id = ?
                """
            ).run(
                .text(schedule.name), .text(schedule.query), .text(encodeRule(schedule.rule)),
                .text(schedule.status.rawValue), .integer(Int64(schedule.versionToLatest)),
                .integer(schedule.updatedAt.milliseconds), .text(schedule.updatedBy), .text(schedule.id))
        case .scheduleDeleted(let id):
            try connection.statement("DELETE FROM schedules WHERE id = ?").run(.text(id))
        case .clockUpdated(let clock):
            try writeClock(clock)
        case .randomStateUpdated(let state):
            try writeMeta("random_state", Int64(bitPattern: state))
        case .progressPolicyUpdated(let policy):
            try writeMeta("progress_policy", Int64(ProgressPolicy.allCases.firstIndex(of: policy)!))
        }
    }
}
