/// A recurring upgrade policy. FleetMock stores and serves schedules; deployments come from them
/// only through an explicit trigger (the recurrence itself is not simulated).
public struct Schedule: Equatable, Sendable {
    public let id: String
    public var name: String
    public var query: String
    public var rule: RecurrenceRule
    public var status: ScheduleStatus
    public var versionToLatest: Int
    public let createdAt: Instant
    public let createdBy: String
    public var updatedAt: Instant
    public var updatedBy: String

    public init(
        id: String, name: String, query: String, rule: RecurrenceRule, status: ScheduleStatus, versionToLatest: Int,
        createdAt: Instant, createdBy: String, updatedAt: Instant, updatedBy: String
    ) {
        self.id = id
        self.name = name
        self.query = query
        self.rule = rule
        self.status = status
        self.versionToLatest = versionToLatest
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

public enum ScheduleStatus: String, Sendable, CaseIterable {
    case active
    case inactive
}

/// When a schedule's maintenance window opens: days, local start time, length and time zone.
public struct RecurrenceRule: Equatable, Sendable {
    public var daysOfWeek: [String]
    /// "HH:MM", 24-hour clock.
    public var startMaintenanceWindow: String
    /// Minutes.
    public var maintenanceWindowDuration: Int64
    /// IANA time zone name.
    public var timezone: String

    public init(
        daysOfWeek: [String], startMaintenanceWindow: String, maintenanceWindowDuration: Int64, timezone: String
    ) {
        self.daysOfWeek = daysOfWeek
        self.startMaintenanceWindow = startMaintenanceWindow
        self.maintenanceWindowDuration = maintenanceWindowDuration
        self.timezone = timezone
    }
}
