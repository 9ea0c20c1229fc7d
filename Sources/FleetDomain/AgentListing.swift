import FleetJSON

/// The attributes agents can be sorted by, on both surfaces.
public enum AgentSortAttribute: String, Sendable, CaseIterable {
    case hostname
    case agentVersion = "agent_version"
    case os
    case cloudProvider = "cloud_provider"
    case team
    case firstSeenAt = "first_seen_at"
    case lastRestartAt = "last_restart_at"
    case remoteConfigStatus = "remote_config_status"
}

/// A page of agents: which hosts, in which order.
public struct AgentListRequest: Sendable {
    public var filter: HostQuery = .all
    /// Tags every listed agent must carry (the unstable surface's `tags`).
    public var requiredTags: [Tag] = []
    public var sort: AgentSortAttribute = .hostname
    public var descending = false
    public var pageNumber = 0
    public var pageSize = 10

    public init() {}
}

extension FleetSimulation {
    /// The requested page, and how many agents matched before paging.
    public func agents(_ request: AgentListRequest) -> (page: [SimulatedHost], filteredCount: Int) {
        let wanted = request.requiredTags.map { ($0.key.lowercased(), $0.value.lowercased()) }
        var matching = hosts.filter { host in
            request.filter.matches(host)
                && wanted.allSatisfy { key, value in
                    host.tags.contains { $0.key.lowercased() == key && $0.value.lowercased() == value }
                }
        }
        // Stable order: the attribute, then the hostname, so equal values never shuffle between pages.
        matching.sort { left, right in
            let order = left.compare(right, by: request.sort)
            if order != 0 { return request.descending ? order > 0 : order < 0 }
            return left.hostname.lowercased() < right.hostname.lowercased()
        }
        let start = request.pageNumber.multipliedReportingOverflow(by: request.pageSize)
        guard !start.overflow, start.partialValue < matching.count else { return ([], matching.count) }
        let end = min(start.partialValue + request.pageSize, matching.count)
        return (Array(matching[start.partialValue..<end]), matching.count)
    }
}

extension SimulatedHost {
    /// The values of every tag with this key, in tag order (`env`, `service`...).
    public func tagValues(_ key: String) -> [String] {
        tags.filter { $0.key == key }.map(\.value)
    }

    public func attributeString(_ name: String) -> String? { attributes[name]?.stringValue }

    /// -1, 0 or 1, comparing one attribute; absent values sort first.
    func compare(_ other: SimulatedHost, by attribute: AgentSortAttribute) -> Int {
        switch attribute {
        // Hostnames are case-insensitive in Datadog, so "Win-1" sorts among the w's.
        case .hostname: return Self.compare(hostname.lowercased(), other.hostname.lowercased())
        case .agentVersion:
            let left = agentVersion.flatMap(AgentVersion.init)
            let right = other.agentVersion.flatMap(AgentVersion.init)
            switch (left, right) {
            case let (left?, right?): return left < right ? -1 : (right < left ? 1 : 0)
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            }
        case .os: return Self.compare(attributeString("os") ?? "", other.attributeString("os") ?? "")
        case .cloudProvider:
            return Self.compare(attributeString("cloud_provider") ?? "", other.attributeString("cloud_provider") ?? "")
        case .team: return Self.compare(tagValues("team").first ?? "", other.tagValues("team").first ?? "")
        case .firstSeenAt:
            return Self.compare(attributes["first_seen_at"]?.intValue ?? 0, other.attributes["first_seen_at"]?.intValue ?? 0)
        case .lastRestartAt:
            return Self.compare(
                attributes["last_restart_at"]?.intValue ?? 0, other.attributes["last_restart_at"]?.intValue ?? 0)
        case .remoteConfigStatus:
            return Self.compare(
                attributeString("remote_config_status") ?? "", other.attributeString("remote_config_status") ?? "")
        }
    }

    private static func compare<Value: Comparable>(_ left: Value, _ right: Value) -> Int {
        left < right ? -1 : (right < left ? 1 : 0)
    }
}
