import FleetDomain
import FleetJSON

/// JSON for the v2 surface (`/api/v2/fleet/...`), field for field as datadog-api-client 2.62.0's
/// `FleetDeploymentV2*`, `FleetScheduleV2*` and `FleetAgentVersionsV2Response` models read it.
enum V2Rendering {
    // MARK: Deployments

    /// The create response and each list item: `FleetDeploymentV2`.
    static func deploymentResponse(_ deployment: Deployment) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024)
        writer.beginObject()
        writer.key("data")
        writeDeployment(deployment, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    static func deploymentsResponse(_ page: [Deployment], totalCount: Int, filteredCount: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 768 * max(1, page.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for deployment in page { writeDeployment(deployment, into: &writer) }
        writer.endArray()
        writer.key("meta")
        writer.beginObject()
        writer.key("page")
        writer.beginObject()
        writer.field("total_count", totalCount)
        writer.field("total_filtered_count", filteredCount)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func writeDeployment(_ deployment: Deployment, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writeCommonAttributes(deployment, into: &writer)
        let started = deployment.startedAt?.unixSeconds ?? 0
        let finished = deployment.finishedAt?.unixSeconds ?? 0
        writer.field("finished_at", finished)
        writer.field("started_at", started)
        writer.field("status", deployment.status.rawValue)
        writer.endObject()
        writer.field("id", deployment.id)
        writer.field("type", "deployment")
        writer.endObject()
    }

    /// Fields the list item and the detail share, in key order with the rest.
    private static func writeCommonAttributes(_ deployment: Deployment, into writer: inout JSONWriter) {
        writer.field("author", deployment.author)
        if case .configure(let operations) = deployment.kind {
            writer.key("config_operations")
            UnstableRendering.writeConfigOperations(operations, into: &writer)
        }
        let started = deployment.startedAt?.unixSeconds
        let finished = deployment.finishedAt?.unixSeconds
        writer.field("duration_seconds", started.flatMap { start in finished.map { $0 - start } } ?? 0)
        if let summary = deployment.errorSummary { writer.field("error_summary", summary) }
        writer.field("estimated_finished_at", deployment.estimatedEndTime.unixSeconds)
        writer.field("is_scheduled", deployment.scheduleID != nil)
        writer.field("query", deployment.filterQuery)
        writer.field("schedule_id", deployment.scheduleID ?? "")
        writer.key("target_versions")
        writer.beginArray()
        var seen: Set<String> = []
        for target in deployment.packages where seen.insert(target.version).inserted { writer.string(target.version) }
        writer.endArray()
        writer.field("total_hosts", deployment.operations.count)
        writer.field("update_type", deployment.updateType)
    }

    /// `FleetDeploymentV2DetailResponse`: every host, and per-state counts.
    static func deploymentDetailResponse(_ deployment: Deployment, fleet: FleetSimulation) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024 + 256 * deployment.operations.count)
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writeCommonAttributes(deployment, into: &writer)
        writer.field("canceled_hosts", deployment.count(of: .canceled))
        writer.field("failed_hosts", deployment.count(of: .failed))
        writer.field("high_level_status", deployment.status.rawValue)
        writer.key("hosts")
        writer.beginArray()
        let packages = deployment.packages
        for operation in deployment.operations {
            writer.beginObject()
            writer.field("error", operation.error)
            writer.field("hostname", operation.hostname)
            writer.field("running_step", operation.runningStep(in: deployment))
            writer.field("status", operation.state.rawValue)
            writer.field("status_details", operation.skipReason(in: deployment))
            writer.key("versions")
            UnstableRendering.writeVersions(
                initialVersions: operation.initialVersions, packages: packages, into: &writer
            ) { fleet.packageVersion(agentKey: operation.hostKey, package: packages[$0].name) }
            writer.endObject()
        }
        writer.endArray()
        writer.field("running_hosts", deployment.count(of: .running))
        writer.field("skipped_hosts", deployment.count(of: .skipped))
        writer.field("succeeded_hosts", deployment.count(of: .succeeded))
        writer.endObject()
        writer.field("id", deployment.id)
        writer.field("type", "deployment")
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func cancelResponse(_ deployment: Deployment, interrupted: Int, stopped: Int, finishing: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        var message = "Deployment canceled: \(stopped) pending host operation\(stopped == 1 ? "" : "s") stopped"
        if interrupted > 0 { message += ", \(interrupted) interrupted" }
        if finishing > 0 { message += ", \(finishing) in progress will finish" }
        writer.field("message", message + "; nothing already applied was rolled back.")
        writer.field("status", deployment.status.rawValue)
        writer.endObject()
        writer.field("id", deployment.id)
        writer.field("type", "deployment")
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func dryRunResponse(query: String, totalHosts: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.key("dry_run")
        writer.beginObject()
        writer.field("config_validated", true)
        writer.field("non_upgradable_hosts", 0)
        writer.endObject()
        writer.field("query", query)
        writer.field("total_hosts", totalHosts)
        writer.endObject()
        writer.field("id", "dry-run")
        writer.field("type", "deployment")
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    // MARK: Schedules

    static func scheduleResponse(_ schedule: Schedule) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writer.beginObject()
        writer.key("data")
        writeSchedule(schedule, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    static func schedulesResponse(_ schedules: [Schedule]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * max(1, schedules.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for schedule in schedules { writeSchedule(schedule, into: &writer) }
        writer.endArray()
        writer.key("meta")
        writer.beginObject()
        writer.key("page")
        writer.beginObject()
        writer.field("total_count", schedules.count)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func writeSchedule(_ schedule: Schedule, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.field("created_at", ISO8601.formatSeconds(schedule.createdAt))
        writer.field("created_by", schedule.createdBy)
        writer.field("is_default", false)
        writer.field("name", schedule.name)
        writer.field("query", schedule.query)
        writer.key("rule")
        writer.beginObject()
        writer.key("days_of_week")
        writer.beginArray()
        for day in schedule.rule.daysOfWeek { writer.string(day) }
        writer.endArray()
        writer.field("interval", 1)
        writer.field("maintenance_window_duration", schedule.rule.maintenanceWindowDuration)
        writer.field("start_maintenance_window", schedule.rule.startMaintenanceWindow)
        writer.field("timezone", schedule.rule.timezone)
        writer.endObject()
        writer.field("status", schedule.status.rawValue)
        writer.field("updated_at", ISO8601.formatSeconds(schedule.updatedAt))
        writer.field("updated_by", schedule.updatedBy)
        writer.field("version_to_latest", schedule.versionToLatest)
        writer.endObject()
        writer.field("id", schedule.id)
        writer.field("type", "schedule")
        writer.endObject()
    }

    // MARK: Agent versions

    static func agentVersionsResponse(_ catalog: AgentVersionCatalog) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 64 * max(1, catalog.versions.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for version in catalog.versions {
            writer.beginObject()
            writer.key("attributes")
            writer.beginObject()
            writer.field("version", version.text)
            writer.endObject()
            writer.field("id", version.text)
            writer.field("type", "agent_version")
            writer.endObject()
        }
        writer.endArray()
        writer.key("meta")
        writer.beginObject()
        writer.key("page")
        writer.beginObject()
        writer.field("total_count", catalog.versions.count)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
