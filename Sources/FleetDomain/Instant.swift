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
    /// Reads `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only); nil for anything else.
    public static func parse(_ text: String) -> Instant? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"),
            bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month),
            (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds: Int64 = 0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count - 21 >= 1, bytes.count - 21 <= 9,
                let fraction = number(20..<(bytes.count - 1))
            else { return nil }
            var scale = bytes.count - 21
            var value = fraction
            while scale > 3 { value /= 10; scale -= 1 }
            while scale < 3 { value *= 10; scale += 1 }
            milliseconds = value
        } else if bytes.count != 20 {
            return nil
        }
        // Days from civil (Howard Hinnant's algorithm), the inverse of `format`.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Instant(milliseconds: ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + milliseconds)
    }

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
        if (0...9999).contains(year) {
            // Digits written in place: every log line and many replies format a time, and the
            // padded pieces below cost a dozen small strings each.
            return String(unsafeUninitializedCapacity: 24) { buffer in
                func put(_ value: Int64, width: Int, at offset: Int) {
                    var value = value
                    for index in stride(from: offset + width - 1, through: offset, by: -1) {
                        buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                    }
                }
                put(year, width: 4, at: 0)
                put(month, width: 2, at: 5)
                put(day, width: 2, at: 8)
                put(secondsOfDay / 3600, width: 2, at: 11)
                put(secondsOfDay / 60 % 60, width: 2, at: 14)
                put(secondsOfDay % 60, width: 2, at: 17)
                put(Int64(millis), width: 3, at: 20)
                buffer[4] = UInt8(ascii: "-")
                buffer[7] = UInt8(ascii: "-")
                buffer[10] = UInt8(ascii: "T")
                buffer[13] = UInt8(ascii: ":")
                buffer[16] = UInt8(ascii: ":")
                buffer[19] = UInt8(ascii: ".")
                buffer[23] = UInt8(ascii: "Z")
                return 24
            }
        }
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(Int64(millis), 3))Z"
    }
}
