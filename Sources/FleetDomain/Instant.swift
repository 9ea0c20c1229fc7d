/// A point in simulated time, in milliseconds since the Unix epoch.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public init(seconds: Int64) {
        self.milliseconds = seconds * 1000
    }

    /// Whole seconds since the epoch, rounded down, as the API's `*_unix` fields use.
    public var unixSeconds: Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    public func adding(milliseconds delta: Int64) -> Instant {
        Instant(milliseconds: milliseconds + delta)
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    public var description: String { ISO8601.format(self) }
}

/// RFC 3339 formatting in UTC without Foundation (civil-from-days, Howard Hinnant's algorithm).
public enum ISO8601 {
    /// `2026-01-05T02:00:00Z`: whole seconds, as v2 schedules show times.
    public static func formatSeconds(_ instant: Instant) -> String {
        let full = format(Instant(seconds: instant.unixSeconds))
        return String(full.dropLast(5)) + "Z"
    }

    public static func format(_ instant: Instant) -> String {
        let totalSeconds = instant.unixSeconds
        let millis = Int(instant.milliseconds - totalSeconds * 1000)
        var days = totalSeconds / 86_400
        var secondsOfDay = totalSeconds % 86_400
        if secondsOfDay < 0 {
            secondsOfDay += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(Int64(millis), 3))Z"
    }
}
