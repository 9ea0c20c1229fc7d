import FleetDomain
import FleetJSON

/// Typed, validated access to a request's path parameters, query string and body.
struct RequestInput {
    let parameters: [String: String?]
    private let query: [String: String?]
    private let body: [UInt8]

    init(match: Router.Match, queryString: Substring, body: [UInt8]) {
        parameters = match.parameters
        var query: [String: String?] = [:]
        for pair in queryString.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusAsSpace: true) else { continue }
            // The first occurrence wins, like most frameworks; a malformed value is kept as nil.
            if query[name] == nil {
                query[name] = parts.count > 1 ? PercentDecoding.decode(parts[1], plusAsSpace: true) : ""
            }
        }
        self.query = query
        self.body = body
    }

    /// A path id. FleetMock's ids are UUIDs; any id is hex digits and dashes, anything else is a 400.
    func identifier(_ name: String) throws(FleetError) -> String {
        guard let found = parameters[name], let value = found else {
            throw FleetError.invalidPathSegment(reason: "the \(name) path segment is not valid percent-encoding")
        }
        let isIdentifier =
            !value.isEmpty
            && value.utf8.allSatisfy { byte in
                byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
            }
        guard isIdentifier else { throw FleetError.invalidIdentifier(parameter: name, value: value) }
        return value.lowercased()
    }

    /// An integer query parameter within `range`, or `defaultValue` when absent.
    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(FleetError) -> Int {
        guard let found = query[name] else { return defaultValue }
        guard let text = found, let value = Int(text) else {
            throw FleetError.invalidParameter(name: name, reason: "must be an integer, got '\(found ?? "")'")
        }
        guard range.contains(value) else {
            let bounds =
                range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw FleetError.invalidParameter(name: name, reason: "must be \(bounds), got \(value)")
        }
        return value
    }

    func has(_ name: String) -> Bool { query[name] != nil }

    var hasBody: Bool { !body.isEmpty }

    /// A string query parameter; nil when absent.
    func string(_ name: String) throws(FleetError) -> String? {
        guard let found = query[name] else { return nil }
        guard let text = found else {
            throw FleetError.invalidParameter(name: name, reason: "is not valid percent-encoding")
        }
        return text
    }

    /// `true` or `false`, as Datadog's clients send booleans.
    func boolean(_ name: String, default defaultValue: Bool) throws(FleetError) -> Bool {
        guard let text = try string(name) else { return defaultValue }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw FleetError.invalidParameter(name: name, reason: "must be true or false, got '\(text)'")
        }
    }

    /// One of an enumeration's raw values, or `defaultValue` when absent.
    func enumeration<Value: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: Value)
        throws(FleetError) -> Value where Value.RawValue == String
    {
        guard let text = try string(name) else { return defaultValue }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw FleetError.invalidParameter(name: name, reason: "must be one of \(allowed), got '\(text)'")
        }
        return value
    }

    /// A Datadog query; `.all` when absent or empty. With `allowedKeys`, any other field is a 400.
    func query(_ name: String, allowedKeys: [String]? = nil) throws(FleetError) -> HostQuery {
        guard let text = try string(name), !text.isEmpty else { return .all }
        let parsed = try HostQuery.parse(text)
        if let allowedKeys {
            if parsed.hasBareTerm {
                throw FleetError.invalidParameter(
                    name: name, reason: "must use field:value terms with fields \(allowedKeys.joined(separator: ", "))")
            }
            if let unsupported = parsed.keys.first(where: { !allowedKeys.contains($0) }) {
                throw FleetError.invalidParameter(
                    name: name,
                    reason:
                        "uses the unsupported field '\(unsupported)'; supported: \(allowedKeys.joined(separator: ", "))"
                )
            }
        }
        return parsed
    }

    /// A comma-separated list; empty items dropped.
    func list(_ name: String) throws(FleetError) -> [String] {
        guard let text = try string(name) else { return [] }
        return text.split(separator: ",").map { String($0.trimmingCharacters()) }.filter { !$0.isEmpty }
    }

    /// v2 agent keys are exactly 32 lowercase hexadecimal digits.
    func agentKeyV2(_ name: String) throws(FleetError) -> String {
        guard let found = parameters[name], let value = found else {
            throw FleetError.invalidPathSegment(reason: "the \(name) path segment is not valid percent-encoding")
        }
        let isKey =
            value.utf8.count == 32
            && value.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            }
        guard isKey else { throw FleetError.invalidAgentKey(value: value) }
        return value
    }

    /// The body as a JSON object.
    func jsonObject() throws(FleetError) -> JSONValue {
        guard !body.isEmpty else { throw FleetError.invalidBody(reason: "a JSON object is required") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw FleetError.invalidBody(reason: "malformed JSON: \(error.description)")
        }
        guard value.objectValue != nil else {
            throw FleetError.invalidBody(reason: "expected a JSON object, got \(value.typeName)")
        }
        return value
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        guard let first = firstIndex(where: { $0 != " " }), let last = lastIndex(where: { $0 != " " }) else {
            return ""
        }
        return self[first...last]
    }
}
