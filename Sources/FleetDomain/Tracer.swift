import FleetJSON

/// An APM tracer running on a simulated host, from the host's fixture `attributes.tracers`.
public struct Tracer: Equatable, Sendable {
    public let hostname: String
    public let service: String
    public let env: String
    public let language: String
    public let languageVersion: String
    public let tracerVersion: String
    public let serviceVersion: String
    public let runtimeIDs: [String]
    public let remoteConfigStatus: String

    init(hostname: String, json: JSONValue) {
        self.hostname = hostname
        service = json["service"]?.stringValue ?? ""
        env = json["env"]?.stringValue ?? ""
        language = json["language"]?.stringValue ?? ""
        languageVersion = json["language_version"]?.stringValue ?? ""
        tracerVersion = json["tracer_version"]?.stringValue ?? ""
        serviceVersion = json["service_version"]?.stringValue ?? ""
        runtimeIDs = json["runtime_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        remoteConfigStatus = json["remote_config_status"]?.stringValue ?? ""
    }

    /// What a tracer filter matches: `service:`, `env:`, `language:`, `version:`, and the hostname.
    var queryFields: [Tag] {
        [
            Tag(key: "service", value: service), Tag(key: "env", value: env), Tag(key: "language", value: language),
            Tag(key: "version", value: tracerVersion),
        ]
    }
}

public enum TracerSortAttribute: String, Sendable, CaseIterable {
    case service, hostname, language, env
    case tracerVersion = "tracer_version"
}

public struct TracerListRequest: Sendable {
    public var filter: HostQuery = .all
    public var sort: TracerSortAttribute = .service
    /// The tracers' default order is descending (Datadog's clients default `sort_descending` to true).
    public var descending = true
    public var pageNumber = 0
    public var pageSize = 10

    public init() {}
}

extension SimulatedHost {
    public var tracers: [Tracer] {
        (attributes["tracers"]?.arrayValue ?? []).map { Tracer(hostname: hostname, json: $0) }
    }
}

extension FleetSimulation {
    /// A page of the tracers on `host` (every host when nil), and how many matched before paging.
    public func tracers(on host: SimulatedHost? = nil, _ request: TracerListRequest) -> (
        page: [Tracer], filteredCount: Int
    ) {
        let all = host.map(\.tracers) ?? hosts.flatMap(\.tracers)
        var matching = all.filter { request.filter.matches(name: $0.hostname, fields: $0.queryFields) }
        matching.sort { left, right in
            let (a, b) = (left.sortKey(request.sort), right.sortKey(request.sort))
            if a != b { return request.descending ? a > b : a < b }
            return (left.hostname, left.service) < (right.hostname, right.service)
        }
        let start = request.pageNumber.multipliedReportingOverflow(by: request.pageSize)
        guard !start.overflow, start.partialValue < matching.count else { return ([], matching.count) }
        return (
            Array(matching[start.partialValue..<min(start.partialValue + request.pageSize, matching.count)]),
            matching.count
        )
    }
}

extension Tracer {
    func sortKey(_ attribute: TracerSortAttribute) -> String {
        switch attribute {
        case .service: return service
        case .hostname: return hostname
        case .language: return language
        case .env: return env
        case .tracerVersion: return tracerVersion
        }
    }
}
