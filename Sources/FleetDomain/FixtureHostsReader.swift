import FleetJSON

extension Fixture {
    /// The `hosts` array of a fleet document, read from its text. See `FixtureHostsReader`.
    static func hosts(
        in bytes: [UInt8], at offset: Int, depth: Int, path: String
    ) throws(FixtureError) -> [SimulatedHost] {
        var reader = FixtureHostsReader()
        var hosts: [SimulatedHost] = []
        try reader.read(bytes, at: offset, depth: depth, path: path, into: &hosts)
        return hosts
    }
}

/// Reads arrays of host objects (fixture form: `agent_key`, `hostname`, `tags`, `packages`,
/// `config_files`, `attributes`) from JSON text with a scanner: no `JSONValue` tree of the fleet,
/// and hosts whose tags, packages or configuration files have the same text share one decoded
/// value, across every array this reader reads (a fixture's one, or a store's chunks). Checks and
/// messages are those of the other fixture fields; an agent key seen twice is refused.
///
/// A member named twice in one host keeps its last value, as in `JSONParser.parse`, but each
/// occurrence is checked as it is read.
public struct FixtureHostsReader {
    private var scanner = JSONScanner([])
    private var path = ""
    private var seenKeys = Set<String>()
    private var sharedTags = SharedDecodings<[Tag]>()
    private var sharedPackages = SharedDecodings<[String: String]>()
    private var sharedConfigFiles = SharedDecodings<[String: JSONValue]>()

    /// Whether an agent key seen twice is refused. A store reading back what it wrote (checked
    /// when it was written) turns it off: hashing 100,000 keys was a tenth of a restart.
    private let checksUniqueKeys: Bool

    public init(checksUniqueKeys: Bool = true) {
        self.checksUniqueKeys = checksUniqueKeys
    }

    /// Appends the hosts of the array at `offset` in `bytes` (`depth` containers deep) to `hosts`;
    /// `path` names the array in errors, its elements numbered from `hosts.count`.
    public mutating func read(
        _ bytes: [UInt8], at offset: Int, depth: Int, path: String, into hosts: inout [SimulatedHost]
    ) throws(FixtureError) {
        scanner = JSONScanner(bytes, at: offset, depth: depth)
        self.path = path
        // A fleet.json host is 300-500 bytes: room for all of them in one go, instead of growing
        // (and rehashing) the set of keys seen a dozen times; doubling at least, when a store's
        // hundred chunks come one after another.
        let needed = seenKeys.count + bytes.count / 256
        if checksUniqueKeys, needed > seenKeys.capacity { seenKeys.reserveCapacity(max(needed, 2 * seenKeys.capacity)) }
        do {
            try readHosts(into: &hosts)
        } catch let error as FixtureError {
            throw error
        } catch {
            throw FixtureError(path: path, reason: "is not valid JSON: \(error)")
        }
    }

    private mutating func readHosts(into hosts: inout [SimulatedHost]) throws {
        guard let kind = scanner.kind, kind == .array else {
            throw FixtureError(path: path, reason: "must be an array, not \(try kindName())")
        }
        guard try scanner.enterArray() else { return }
        repeat {
            let host = try readHost(at: hosts.count)
            guard !checksUniqueKeys || seenKeys.insert(host.agentKey).inserted else {
                throw FixtureError(path: hostPath(hosts.count), reason: "agent_key '\(host.agentKey)' appears twice")
            }
            hosts.append(host)
        } while try scanner.nextElement()
    }

    /// Made only for a message: 100,000 hosts' paths were a tenth of reading them.
    private func hostPath(_ index: Int) -> String { "\(path)[\(index)]" }

    private mutating func readHost(at index: Int) throws -> SimulatedHost {
        guard scanner.kind == .object else { throw FixtureError(path: hostPath(index), reason: "must be an object") }
        var agentKey: String?
        var hostname: String?
        var tags: [Tag]?
        var packages: [String: String] = [:]
        var configFiles: [String: JSONValue] = [:]
        var attributes: [String: JSONValue] = [:]
        let hostsPath = path  // the messages below are made while self is being read into
        if try scanner.enterObject() {
            repeat {
                let name = try scanner.key()
                switch name {
                case "agent_key": agentKey = try readString(path: "\(hostsPath)[\(index)].\(name)")
                case "hostname": hostname = try readString(path: "\(hostsPath)[\(index)].\(name)")
                case "tags": tags = try readTags(path: "\(hostsPath)[\(index)].\(name)")
                case "packages": packages = try readPackages(path: "\(hostsPath)[\(index)].\(name)")
                case "config_files": configFiles = try readObject(path: "\(hostsPath)[\(index)].\(name)", sharing: true)
                case "attributes": attributes = try readObject(path: "\(hostsPath)[\(index)].\(name)", sharing: false)
                default: try scanner.skip()
                }
            } while try scanner.nextMember()
        }
        guard let agentKey else { throw FixtureError(path: hostPath(index) + ".agent_key", reason: "is required") }
        guard let hostname else { throw FixtureError(path: hostPath(index) + ".hostname", reason: "is required") }
        guard let tags else { throw FixtureError(path: hostPath(index) + ".tags", reason: "is required") }
        return SimulatedHost(
            agentKey: agentKey, hostname: hostname, tags: tags, packages: packages, configFiles: configFiles,
            attributes: .object(attributes))
    }

    private mutating func readString(path: @autoclosure () -> String) throws -> String {
        guard scanner.kind == .string else {
            throw FixtureError(path: path(), reason: "must be a string, not \(try kindName())")
        }
        return try scanner.string()
    }

    private mutating func readTags(path: @autoclosure () -> String) throws -> [Tag] {
        guard scanner.kind == .array else {
            throw FixtureError(path: path(), reason: "must be an array, not \(try kindName())")
        }
        return try sharedDecoding(\.sharedTags) { (items) throws -> [Tag] in
            var tags: [Tag] = []
            guard try items.enterArray() else { return tags }
            repeat {
                guard items.kind == .string else {
                    throw FixtureError(path: "\(path())[\(tags.count)]", reason: "must be a string")
                }
                tags.append(Tag(parsing: try items.string()))
            } while try items.nextElement()
            return tags
        }
    }

    /// An object of strings; null reads as empty.
    private mutating func readPackages(path: @autoclosure () -> String) throws -> [String: String] {
        if scanner.kind == .null { try scanner.skip(); return [:] }
        guard scanner.kind == .object else {
            throw FixtureError(path: path(), reason: "must be an object, not \(try kindName())")
        }
        return try sharedDecoding(\.sharedPackages) { (members) throws -> [String: String] in
            var packages: [String: String] = [:]
            guard try members.enterObject() else { return packages }
            repeat {
                let name = try members.key()
                guard members.kind == .string else {
                    throw FixtureError(path: "\(path()).\(name)", reason: "must be a string")
                }
                packages[name] = try members.string()
            } while try members.nextMember()
            return packages
        }
    }

    /// Any object; null reads as empty. Shared among hosts with the same text when `sharing`
    /// (configuration files repeat; attributes, with their addresses and dates, mostly do not).
    private mutating func readObject(path: @autoclosure () -> String, sharing: Bool) throws -> [String: JSONValue] {
        if scanner.kind == .null { try scanner.skip(); return [:] }
        guard scanner.kind == .object else {
            throw FixtureError(path: path(), reason: "must be an object, not \(try kindName())")
        }
        guard sharing else { return try scanner.value().objectValue ?? [:] }
        return try sharedDecoding(\.sharedConfigFiles) { (value) throws -> [String: JSONValue] in
            try value.value().objectValue ?? [:]
        }
    }

    /// The value here, stepped over: decoded by `decode` from a scanner of its own the first time
    /// its text is met, and the same value again for the same text.
    private mutating func sharedDecoding<Value>(
        _ table: WritableKeyPath<FixtureHostsReader, SharedDecodings<Value>>,
        decode: (inout JSONScanner) throws -> Value
    ) throws -> Value {
        let start = scanner.offset
        let text = JSONText(scanner.bytes[try scanner.skip()])
        let (bytes, depth) = (scanner.bytes, scanner.nestingDepth)
        return try self[keyPath: table].value(for: text) { () throws -> Value in
            var value = JSONScanner(bytes, at: start, depth: depth)
            return try decode(&value)
        }
    }

    /// The type name of the value here for a message; a byte no value starts with is a JSON error.
    private mutating func kindName() throws -> String {
        guard let kind = scanner.kind else {
            try scanner.skip()
            return "nothing"
        }
        return kind.typeName
    }
}
