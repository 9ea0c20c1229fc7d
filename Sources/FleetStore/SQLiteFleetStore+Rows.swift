import FleetDomain
import FleetJSON

/// The rows of schedules, deployments, cancellations and host operations, as seeding and changes write them.
extension SQLiteFleetStore {
    func encodeRule(_ rule: RecurrenceRule) -> String {
        JSONValue.object([
            "days_of_week": .array(rule.daysOfWeek.map(JSONValue.string)),
            "start_maintenance_window": .string(rule.startMaintenanceWindow),
            "maintenance_window_duration": .int(rule.maintenanceWindowDuration),
            "timezone": .string(rule.timezone),
        ]).serializedString
    }

    func insert(_ schedule: Schedule, position: Int) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO schedules (id, position, name, query, rule, status, version_to_latest, created_at_ms,
                                   created_by, updated_at_ms, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run(
            .text(schedule.id), .integer(Int64(position)), .text(schedule.name), .text(schedule.query),
            .text(encodeRule(schedule.rule)), .text(schedule.status.rawValue),
            .integer(Int64(schedule.versionToLatest)),
            .integer(schedule.createdAt.milliseconds), .text(schedule.createdBy),
            .integer(schedule.updatedAt.milliseconds),
            .text(schedule.updatedBy))
    }

    func insert(_ deployment: Deployment) throws(SQLiteError) {
        let (kind, payload) = DeploymentKindCoding.encode(deployment.kind)
        try connection.statement(
            """
            INSERT INTO deployments (id, sequence, kind, payload, filter_query, created_at_ms,
                                     schedule_id, concurrency, start_delay_ms, author, plan)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run(
            .text(deployment.id), .integer(deployment.sequence), .text(kind), .text(payload.serializedString),
            .text(deployment.filterQuery), .integer(deployment.createdAt.milliseconds),
            .optional(deployment.scheduleID),
            .integer(Int64(deployment.concurrency)), .integer(deployment.startDelayMilliseconds),
            .text(deployment.author),
            .blob(OperationPlanCoding.encode(deployment.operations)))
        if let canceledAt = deployment.canceledAt { try writeCancellation(of: deployment.id, at: canceledAt) }
        // A new deployment's hosts are all pending or skipped (the plan holds both); a restored one
        // may have progressed. By position (see HostOperation).
        for position in deployment.operations.indices
        where deployment.operations[position].state != .pending && deployment.operations[position].state != .skipped {
            try upsert(deployment.operations[position], deploymentID: deployment.id, position: position)
        }
    }

    /// Appended, never updated: a deployment is canceled once, and loading takes the last row.
    func writeCancellation(of deploymentID: String, at time: Instant) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO deployment_cancellations (deployment_id, canceled_at_ms) VALUES (?, ?)
            """
        ).run(.text(deploymentID), .integer(time.milliseconds))
    }

    func upsert(_ operation: HostOperation, deploymentID: String, position: Int) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO host_operations (deployment_id, position, host_key, hostname, state, started_at_ms,
                finished_at_ms, planned_duration_ms, planned_to_fail, error, initial_versions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (deployment_id, position) DO UPDATE SET
                state = excluded.state, started_at_ms = excluded.started_at_ms,
                finished_at_ms = excluded.finished_at_ms, error = excluded.error
            """
        ).run(
            .text(deploymentID), .integer(Int64(position)), .text(operation.hostKey), .text(operation.hostname),
            .text(operation.state.rawValue), .optional(operation.startedAt?.milliseconds),
            .optional(operation.finishedAt?.milliseconds), .integer(operation.plannedDurationMilliseconds),
            .integer(operation.plannedToFail ? 1 : 0), .text(operation.error),
            .text(JSONValue.array(operation.initialVersions.map(JSONValue.string)).serializedString))
    }
}
