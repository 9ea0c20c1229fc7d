import FleetDomain
import Glibc

/// Structured logs on stderr: one line per request (method, path, operation, status, latency,
/// org, a masked key) and the server's own messages, as text or JSON lines. Keys are never written
/// in full: only their last four characters.
struct RequestLog {
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

    func message(_ level: Level, _ text: String) {
        guard level >= minimumLevel else { return }
        write(level, "message", [("text", text)])
    }

    func request(
        method: String, target: String, operation: String?, status: Int, durationMicroseconds: Int64, org: String,
        apiKey: String?
    ) {
        guard minimumLevel <= .info else { return }
        let milliseconds = Double(durationMicroseconds) / 1000
        write(.info, "request", [
            ("method", method), ("path", target), ("operation", operation ?? "-"), ("status", String(status)),
            ("duration_ms", String(Double(Int(milliseconds * 1000)) / 1000)), ("org", org),
            ("api_key", Self.mask(apiKey)),
        ])
    }

    /// `…-key` for `fleetmock-api-key`: enough to tell keys apart, never enough to use one.
    static func mask(_ key: String?) -> String {
        guard let key, !key.isEmpty else { return "-" }
        return key.count <= 4 ? "…" : "…" + key.suffix(4)
    }

    private func write(_ level: Level, _ event: String, _ fields: [(String, String)]) {
        let time = ISO8601.format(SystemIO.wallNow())
        var line: String
        switch format {
        case .text:
            line = "\(time) \(level.name) \(event)"
            for (name, value) in fields {
                let needsQuotes = value.isEmpty
                    || value.utf8.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") }
                line += " \(name)=" + (needsQuotes ? JSONString.quote(value) : value)
            }
        case .json:
            line = "{\"time\":\"\(time)\",\"level\":\"\(level.name)\",\"event\":\"\(event)\""
            for (name, value) in fields {
                line += ",\"\(name)\":" + (Int(value) != nil || Double(value) != nil && name == "duration_ms"
                    ? value : JSONString.quote(value))
            }
            line += "}"
        }
        SystemIO.printError(line)
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
