/// Renders a JSON value as block-style YAML, keys sorted, so an Agent's configuration files read
/// as they would on the host (`datadog.yaml`). Strings are quoted only where plain YAML would
/// change their meaning.
public enum YAMLWriter {
    public static func render(_ value: JSONValue) -> String {
        var lines: [String] = []
        switch value {
        case .object(let members) where !members.isEmpty:
            writeMembers(members, indent: "", into: &lines)
        case .array(let items) where !items.isEmpty:
            writeItems(items, indent: "", into: &lines)
        default:
            lines.append(scalar(value))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func writeMembers(_ members: [String: JSONValue], indent: String, into lines: inout [String]) {
        for key in members.keys.sorted() {
            let value = members[key]!
            let label = indent + quoted(key) + ":"
            switch value {
            case .object(let nested) where !nested.isEmpty:
                lines.append(label)
                writeMembers(nested, indent: indent + "  ", into: &lines)
            case .array(let items) where !items.isEmpty:
                lines.append(label)
                writeItems(items, indent: indent + "  ", into: &lines)
            default:
                lines.append(label + " " + scalar(value))
            }
        }
    }

    private static func writeItems(_ items: [JSONValue], indent: String, into lines: inout [String]) {
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                // The first member shares the dash's line; the rest align under it.
                var nested: [String] = []
                writeMembers(members, indent: indent + "  ", into: &nested)
                nested[0] = indent + "- " + nested[0].dropFirst(indent.count + 2)
                lines.append(contentsOf: nested)
            case .array(let inner) where !inner.isEmpty:
                lines.append(indent + "-")
                writeItems(inner, indent: indent + "  ", into: &lines)
            default:
                lines.append(indent + "- " + scalar(item))
            }
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int, .double: return value.serializedString
        case .string(let text): return quoted(text)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    private static let reservedWords: Set<String> = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ]

    /// A plain scalar when YAML reads it back as the same string, else a JSON-style quoted one
    /// (JSON strings are valid YAML double-quoted scalars).
    private static func quoted(_ text: String) -> String {
        let needsQuotes =
            reservedWords.contains(text.lowercased())
            || text.first.map { " -?:,[]{}#&*!|>'\"%@`".contains($0) } ?? true
            || text.last == " " || text.contains(": ") || text.contains(" #") || text.hasSuffix(":")
            || text.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" }
            || looksNumeric(text)
        return needsQuotes ? JSONValue.string(text).serializedString : text
    }

    private static func looksNumeric(_ text: String) -> Bool {
        let allowed = Set("0123456789+-.eE_xXoOabcdefABCDEF:")
        return text.first.map { $0.isNumber || $0 == "." || $0 == "+" } == true
            && text.allSatisfy { allowed.contains($0) }
            || [".inf", "-.inf", "+.inf", ".nan"].contains(text.lowercased())
    }
}
