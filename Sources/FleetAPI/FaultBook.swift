import FleetDomain
import FleetJSON

/// Faults a test asks for: rules that shape the answers to matching requests (a status, a body,
/// latency, a dropped connection) and host faults (a simulated host fails its next operations).
/// Kept in memory: a restart clears them, as a test's setup would expect.
public struct FaultBook: Sendable {
    public struct Rule: Sendable {
        public let id: String
        public let operation: String?
        public let method: String?
        public let pathPattern: String?
        public let apiKey: String?
        public let status: Int?
        public let body: JSONValue?
        public let latencyMilliseconds: Int64
        public let drop: Bool
        /// Matches left; nil until removed.
        public var remaining: Int?
        public var hits = 0

        func matches(operation: Operation?, method: String, path: String, apiKey: String?) -> Bool {
            if let wanted = self.operation, wanted != operation?.rawValue { return false }
            if let wanted = self.method, wanted != method { return false }
            if let pattern = pathPattern, !PathPattern.matches(pattern, path) { return false }
            if let wanted = self.apiKey, wanted != apiKey { return false }
            return true
        }
    }

    public struct HostFault: Sendable {
        public let agentKey: String
        public let hostname: String
        public let error: String
        public var remaining: Int
    }

    public private(set) var rules: [Rule] = []
    /// Host faults by org id, then agent key: orgs seeded from the same fixtures share agent keys,
    /// and a fault set up for one org's host must never strike another's.
    private var hostFaultsByOrg: [String: [String: HostFault]] = [:]
    private var nextID = 1

    public init() {}

    mutating func makeID() -> String {
        defer { nextID += 1 }
        return "fault-\(nextID)"
    }

    mutating func add(_ rule: Rule) { rules.append(rule) }

    mutating func add(_ fault: HostFault, inOrg org: String) {
        hostFaultsByOrg[org, default: [:]][fault.agentKey] = fault
    }

    /// The org's host faults by agent key.
    public func hostFaults(inOrg org: String) -> [String: HostFault] { hostFaultsByOrg[org] ?? [:] }

    /// The first rule matching the request, counted as used (and dropped once used up).
    mutating func take(operation: Operation?, method: String, path: String, apiKey: String?) -> Rule? {
        guard
            let index = rules.firstIndex(where: {
                $0.matches(operation: operation, method: method, path: path, apiKey: apiKey)
            })
        else { return nil }
        rules[index].hits += 1
        let rule = rules[index]
        if let remaining = rule.remaining {
            if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
        }
        return rule
    }

    /// Forced failures for the hosts a new deployment of the org targets: agent key to error text.
    func forcedFailures(inOrg org: String) -> [String: String] {
        hostFaults(inOrg: org).mapValues(\.error)
    }

    /// One operation of each of these hosts of the org was planned to fail: count it.
    mutating func consumeHostFaults(inOrg org: String, for agentKeys: [String]) {
        guard var faults = hostFaultsByOrg[org], !faults.isEmpty else { return }
        for key in agentKeys {
            guard var fault = faults[key] else { continue }
            fault.remaining -= 1
            faults[key] = fault.remaining > 0 ? fault : nil
        }
        hostFaultsByOrg[org] = faults.isEmpty ? nil : faults
    }

    /// Removes a rule, or a host fault of the org (`host-AGENTKEY`).
    @discardableResult
    mutating func remove(id: String, inOrg org: String) -> Bool {
        if let index = rules.firstIndex(where: { $0.id == id }) {
            rules.remove(at: index)
            return true
        }
        if id.hasPrefix("host-"), hostFaultsByOrg[org]?.removeValue(forKey: String(id.dropFirst(5))) != nil {
            return true
        }
        return false
    }

    mutating func clear() {
        rules.removeAll()
        hostFaultsByOrg.removeAll()
    }

    /// One org's faults: its host faults and the rules scoped to one of its API keys. Rules for
    /// every key stay: they belong to no org.
    mutating func clear(inOrg org: String, apiKeys: Set<String>) {
        hostFaultsByOrg[org] = nil
        rules.removeAll { rule in rule.apiKey.map(apiKeys.contains) ?? false }
    }
}

/// `*` matches within a segment, `**` across segments: `/api/*/fleet/schedules/*`.
enum PathPattern {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        let patternSegments = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        return match(patternSegments[...], pathSegments[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            for split in path.startIndex...path.endIndex where match(pattern.dropFirst(), path[split...]) {
                return true
            }
            return false
        }
        guard let segment = path.first, WildcardPattern(first).matches(segment) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}

/// A per-request override in the `Prefer` header, as Prism reads it: `Prefer: code=503`,
/// `Prefer: code=429, latency=200`, `Prefer: drop`. It shapes that request's answer alone.
struct PreferHeader {
    var status: Int?
    var latencyMilliseconds: Int64 = 0
    var drop = false

    init?(_ value: String?) {
        guard let value else { return nil }
        var found = false
        for token in value.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let parts = token.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters() }
            switch (parts.first.map(String.init), parts.count > 1 ? Int(parts[1]) : nil) {
            case ("code"?, let code?), ("status"?, let code?):
                if (100...599).contains(code) { status = code; found = true }
            case ("latency"?, let milliseconds?):
                latencyMilliseconds = Int64(min(max(0, milliseconds), 60_000))
                found = true
            case ("drop"?, _):
                drop = true
                found = true
            default:
                continue
            }
        }
        guard found else { return nil }
    }
}
