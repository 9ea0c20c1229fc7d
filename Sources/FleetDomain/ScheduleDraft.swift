/// The schedule fields a create or patch request sets; nil means "not given". Types are already
/// checked by the API's decoding; `validated` checks what the values mean.
public struct ScheduleDraft: Equatable, Sendable {
    public var name: String?
    public var query: String?
    public var rule: RecurrenceRule?
    public var status: ScheduleStatus?
    public var versionToLatest: Int?

    public init(
        name: String? = nil, query: String? = nil, rule: RecurrenceRule? = nil, status: ScheduleStatus? = nil,
        versionToLatest: Int? = nil
    ) {
        self.name = name
        self.query = query
        self.rule = rule
        self.status = status
        self.versionToLatest = versionToLatest
    }

    /// Field paths in errors are those of the request body.
    static let attributesPath = "data.attributes"

    /// Checks every given field; throws `invalidField` naming the first one that is wrong.
    func validate() throws(FleetError) {
        if let name, name.trimmingWhitespace().isEmpty {
            throw FleetError.invalidField(path: Self.attributesPath + ".name", reason: "must not be empty")
        }
        if let query {
            _ = try HostQuery.parse(query)
        }
        if let versionToLatest, !(0...2).contains(versionToLatest) {
            throw FleetError.invalidField(
                path: Self.attributesPath + ".version_to_latest", reason: "must be 0, 1 or 2, got \(versionToLatest)")
        }
        if let rule { try rule.validate(path: Self.attributesPath + ".rule") }
    }
}

extension RecurrenceRule {
    public static let weekDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    /// Minutes; a window is at most a day long.
    public static let maximumWindowMinutes: Int64 = 1_440

    func validate(path: String) throws(FleetError) {
        if daysOfWeek.isEmpty {
            throw FleetError.invalidField(path: path + ".days_of_week", reason: "must name at least one day")
        }
        for day in daysOfWeek where !Self.weekDays.contains(day) {
            throw FleetError.invalidField(
                path: path + ".days_of_week",
                reason: "'\(day)' is not one of \(Self.weekDays.joined(separator: ", "))")
        }
        if Set(daysOfWeek).count != daysOfWeek.count {
            throw FleetError.invalidField(path: path + ".days_of_week", reason: "names a day more than once")
        }
        if !Self.isClockTime(startMaintenanceWindow) {
            throw FleetError.invalidField(
                path: path + ".start_maintenance_window",
                reason: "must be a 24-hour time HH:MM, got '\(startMaintenanceWindow)'")
        }
        if !(1...Self.maximumWindowMinutes).contains(maintenanceWindowDuration) {
            throw FleetError.invalidField(
                path: path + ".maintenance_window_duration",
                reason: "must be from 1 to \(Self.maximumWindowMinutes) minutes, got \(maintenanceWindowDuration)")
        }
        if !IANATimeZones.names.contains(timezone) {
            throw FleetError.invalidField(
                path: path + ".timezone",
                reason: "'\(timezone)' is not an IANA time zone name (like Europe/Paris or UTC)")
        }
    }

    /// "HH:MM" with HH 00-23 and MM 00-59, exactly five characters.
    static func isClockTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":") else { return false }
        let digits = [bytes[0], bytes[1], bytes[3], bytes[4]]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
        let value = digits.map { Int($0 - UInt8(ascii: "0")) }
        return value[0] * 10 + value[1] < 24 && value[2] * 10 + value[3] < 60
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return Substring()
        }
        return self[first...last]
    }
}
