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
    /// The requested page, and how many agents matched before paging. Each matching host's sort
    /// key is computed once and only the page's hosts are copied out: sorting 100,000 hosts by
    /// comparing whole values, lowercasing on every comparison, took most of a second.
    public func agents(_ request: AgentListRequest) -> (page: [SimulatedHost], filteredCount: Int) {
        let wanted = request.requiredTags.map { ($0.key.lowercased(), $0.value.lowercased()) }
        var keys: [AgentSortKey] = []
        var names: [String] = []
        var hostIndices: [Int] = []
        var parsedVersions: [String: AgentVersion?] = [:]  // a fleet runs a few versions: parse each once
        for index in hosts.indices {
            guard request.filter.matches(hosts[index]),
                wanted.allSatisfy({ key, value in
                    hosts[index].tags.contains { $0.key.lowercased() == key && $0.value.lowercased() == value }
                })
            else { continue }
            keys.append(hosts[index].sortKey(by: request.sort, parsedVersions: &parsedVersions))
            names.append(hosts[index].hostname.lowercased())
            hostIndices.append(index)
        }
        // Sorts positions into those arrays: moving plain integers, not values that hold strings.
        // Stable order: the attribute, then the hostname, so equal values never shuffle between pages.
        var order = Array(keys.indices)
        keys.withUnsafeBufferPointer { keys in
            names.withUnsafeBufferPointer { names in
                order.sort { left, right in
                    // Ordered by `<` alone: values neither less nor greater (7.53.0-rc.01 and
                    // 7.53.0-rc.1) tie and fall to the hostname, as equal ones do.
                    if keys[left] < keys[right] { return !request.descending }
                    if keys[right] < keys[left] { return request.descending }
                    return names[left] < names[right]
                }
            }
        }
        let start = request.pageNumber.multipliedReportingOverflow(by: request.pageSize)
        guard !start.overflow, start.partialValue < order.count else { return ([], order.count) }
        let end = min(start.partialValue + request.pageSize, order.count)
        return (order[start.partialValue..<end].map { hosts[hostIndices[$0]] }, order.count)
    }
}

/// One host's value of a sort attribute; absent values sort first.
enum AgentSortKey: Comparable {
    case text(String)
    case number(Int64)
    case version(AgentVersion?)

    static func < (left: AgentSortKey, right: AgentSortKey) -> Bool {
        switch (left, right) {
        case let (.text(left), .text(right)): return left < right
        case let (.number(left), .number(right)): return left < right
        case let (.version(left?), .version(right?)): return left < right
        case (.version(nil), .version(let right)): return right != nil
        default: return false  // one attribute gives one kind of key
        }
    }
}

extension SimulatedHost {
    /// The values of every tag with this key, in tag order (`env`, `service`...).
    public func tagValues(_ key: String) -> [String] {
        tags.filter { $0.key == key }.map(\.value)
    }

    public func attributeString(_ name: String) -> String? { attributes[name]?.stringValue }

    /// The value this host sorts by; `parsedVersions` remembers versions already parsed.
    func sortKey(by attribute: AgentSortAttribute, parsedVersions: inout [String: AgentVersion?]) -> AgentSortKey {
        switch attribute {
        // Hostnames are case-insensitive in Datadog, so "Win-1" sorts among the w's.
        case .hostname: return .text(hostname.lowercased())
        case .agentVersion:
            guard let text = agentVersion else { return .version(nil) }
            if let parsed = parsedVersions[text] { return .version(parsed) }
            let parsed = AgentVersion(text)
            parsedVersions[text] = .some(parsed)
            return .version(parsed)
        case .os: return .text(attributeString("os") ?? "")
        case .cloudProvider: return .text(attributeString("cloud_provider") ?? "")
        case .team: return .text(tagValues("team").first ?? "")
        case .firstSeenAt: return .number(attributes["first_seen_at"]?.intValue ?? 0)
        case .lastRestartAt: return .number(attributes["last_restart_at"]?.intValue ?? 0)
        case .remoteConfigStatus: return .text(attributeString("remote_config_status") ?? "")
        }
    }
}
