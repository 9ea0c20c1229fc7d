import FleetDomain
import FleetJSON

/// Reads the bodies of CreateFleetSchedule and UpdateFleetSchedule into a `ScheduleDraft`.
enum ScheduleRequests {
    static func draft(from input: RequestInput) throws(FleetError) -> ScheduleDraft {
        let data = try input.dataObject()
        try data.resourceType("schedule")
        guard let attributes = try data.object("attributes") else { return ScheduleDraft() }
        var draft = ScheduleDraft()
        draft.name = try attributes.string("name")
        draft.query = try attributes.string("query")
        draft.status = try attributes.enumeration("status", as: ScheduleStatus.self)
        if let versionToLatest = try attributes.integer("version_to_latest") {
            draft.versionToLatest = Int(clamping: versionToLatest)
        }
        if let rule = try attributes.object("rule") {
            draft.rule = RecurrenceRule(
                daysOfWeek: try rule.stringArray("days_of_week", required: true) ?? [],
                startMaintenanceWindow: try rule.string("start_maintenance_window", required: true) ?? "",
                maintenanceWindowDuration: try rule.integer("maintenance_window_duration", required: true) ?? 0,
                timezone: try rule.string("timezone", required: true) ?? "")
        }
        return draft
    }
}
