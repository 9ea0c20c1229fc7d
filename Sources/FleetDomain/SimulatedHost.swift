import FleetJSON

/// A host in the simulated fleet: what queries match (hostname, tags) and what deployments change
/// (installed packages, configuration files). Descriptive facts ride along in `attributes`.
public struct SimulatedHost: Equatable, Sendable {
    public static let agentPackage = "datadog-agent"
    /// Hosts carrying this tag fail every operation, so demos always show failures.
    public static let failureTag = Tag(key: "fleetmock_fail", value: "true")

    public let agentKey: String
    public let hostname: String
    public let tags: [Tag]
    /// Package name to installed version.
    public var packages: [String: String] {
        didSet { agentVersion = packages[Self.agentPackage] }
    }
    /// The installed Agent's version, kept beside `packages`: every host entry of a deployment reads
    /// it, and this saves a hash of the package name each time.
    public private(set) var agentVersion: String?
    /// Configuration file path to its content.
    public var configFiles: [String: JSONValue]
    /// Descriptive facts from the fixtures (OS, IPs, cloud provider...), passed through untouched.
    public let attributes: JSONValue

    public init(
        agentKey: String, hostname: String, tags: [Tag], packages: [String: String],
        configFiles: [String: JSONValue] = [:], attributes: JSONValue = .object([:])
    ) {
        self.agentKey = agentKey
        self.hostname = hostname
        self.tags = tags
        self.packages = packages
        self.configFiles = configFiles
        self.attributes = attributes
        failsEveryOperation = tags.contains(Self.failureTag)
        agentVersion = packages[Self.agentPackage]
    }

    /// Tagged `fleetmock_fail:true`. Stored, worked out once: a computed property read through
    /// `hosts[i]` copied the whole host (a dozen references) on every trigger, host by host.
    public let failsEveryOperation: Bool

}

/// A `key:value` tag, the unit Datadog queries match on. A tag without a colon has an empty key.
public struct Tag: Hashable, Sendable, CustomStringConvertible {
    public let key: String
    public let value: String
    /// Lowercased once here, because queries match case-insensitively against every host.
    let foldedKey: String
    let foldedValue: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
        foldedKey = Self.folded(key)
        foldedValue = Self.folded(value)
    }

    /// Lowercased; most tags already are (and ASCII), and then share the original's storage instead
    /// of allocating a copy: a 100,000-host fleet has half a million tags to load.
    private static func folded(_ text: String) -> String {
        let alreadyFolded = text.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        return alreadyFolded ? text : text.lowercased()
    }

    public init(parsing text: String) {
        // A byte search: ':' is ASCII, so its UTF-8 index is a valid String index.
        if let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) {
            self.init(key: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
        } else {
            self.init(key: "", value: text)
        }
    }

    public static func == (lhs: Tag, rhs: Tag) -> Bool { lhs.key == rhs.key && lhs.value == rhs.value }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(value)
    }

    public var description: String { key.isEmpty ? value : "\(key):\(value)" }
}
