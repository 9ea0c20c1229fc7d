import FleetDomain
import FleetJSON
import Glibc

/// Structured logs on stderr: one line per request (method, path, operation, status, latency,
/// org, a masked key) and the server's own messages, as text or JSON lines. Keys are never written
/// in full: only their last four characters.
final class RequestLog {
    enum Format: String, CaseIterable {
        case text, json
    }

    enum Level: Int, Comparable, CaseIterable {
        case debug, info, warn, error

        var name: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .warn: return "warn"
            case .error: return "error"
            }
        }

        init?(name: String) {
            guard let level = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = level
        }

        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    let format: Format
    let minimumLevel: Level
    /// Lines waiting for `flush()` while `holdsLines` is on: a loop pass's lines go out in one
    /// write instead of one each. Held lines stay under `flushThreshold` bytes.
    private var pending: [UInt8] = []
    var holdsLines = false {
        didSet { if !holdsLines { flush() } }
    }
    private static let flushThreshold = 64 << 10

    init(format: Format, minimumLevel: Level) {
        self.format = format
        self.minimumLevel = minimumLevel
    }

    var hasPendingLines: Bool { !pending.isEmpty }

    func message(_ level: Level, _ text: String) {
        guard level >= minimumLevel else { return }
        write(level, "message", [("text", text)])
    }

    func request(
        method: String, target: String, operation: String?, status: Int, durationMicroseconds: Int64, org: String,
        apiKey: String?
    ) {
        guard minimumLevel <= .info else { return }
        write(
            .info, "request",
            [
                ("method", method), ("path", target), ("operation", operation ?? "-"), ("status", String(status)),
                ("duration_ms", Self.milliseconds(durationMicroseconds)), ("org", org), ("api_key", Self.mask(apiKey)),
            ])
    }

    /// Microseconds as milliseconds with up to three decimals and at least one (`0.042`, `12.5`,
    /// `3.0`): what printing the Double would show, in integer arithmetic.
    static func milliseconds(_ microseconds: Int64) -> String {
        let microseconds = max(0, microseconds)
        var fraction = microseconds % 1000
        var decimals = 3
        while decimals > 1, fraction % 10 == 0 {
            fraction /= 10
            decimals -= 1
        }
        let digits = String(fraction)
        return String(microseconds / 1000) + "." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    /// `…-key` for `fleetmock-api-key`: enough to tell keys apart, never enough to use one.
    static func mask(_ key: String?) -> String {
        guard let key, !key.isEmpty else { return "-" }
        let utf8 = key.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {  // the usual key: its last four bytes are its last four characters
            return utf8.count <= 4 ? "…" : "…" + String(decoding: utf8.suffix(4), as: UTF8.self)
        }
        return key.count <= 4 ? "…" : "…" + key.suffix(4)
    }

    /// Writes the held lines, if any.
    func flush() {
        guard !pending.isEmpty else { return }
        SystemIO.writeAll(2, pending)
        pending.removeAll(keepingCapacity: pending.capacity <= Self.flushThreshold * 2)
    }

    private func write(_ level: Level, _ event: String, _ fields: [(String, String)]) {
        // Bytes appended straight to the held lines (or a line buffer): building a String piece
        // by piece was most of a GET's logging time.
        var line: [UInt8] = []
        if holdsLines { swap(&line, &pending) } else { line.reserveCapacity(256) }
        let time = ISO8601.format(SystemIO.wallNow())
        switch format {
        case .text:
            line.appendUTF8(of: time)
            for piece in [" ", level.name, " ", event] { line.appendUTF8(of: piece) }
            for (name, value) in fields {
                let needsQuotes =
                    value.isEmpty
                    || value.utf8.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") }
                line.append(UInt8(ascii: " "))
                line.appendUTF8(of: name)
                line.append(UInt8(ascii: "="))
                line.appendUTF8(of: (needsQuotes ? JSONString.quote(value) : value))
            }
        case .json:
            for piece in ["{\"time\":\"", time, "\",\"level\":\"", level.name, "\",\"event\":\"", event, "\""] {
                line.appendUTF8(of: piece)
            }
            for (name, value) in fields {
                for piece in [",\"", name, "\":"] { line.appendUTF8(of: piece) }
                let raw = Int(value) != nil || Double(value) != nil && name == "duration_ms"
                line.appendUTF8(of: (raw ? value : JSONString.quote(value)))
            }
            line.append(UInt8(ascii: "}"))
        }
        line.append(UInt8(ascii: "\n"))
        guard holdsLines else {
            SystemIO.writeAll(2, line)
            return
        }
        swap(&line, &pending)
        if pending.count >= Self.flushThreshold { flush() }
    }
}

/// A JSON string literal, for log values.
enum JSONString {
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
