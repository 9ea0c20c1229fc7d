import FleetJSON

/// Why a fixture document was refused, with where in it.
public struct FixtureError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Reads the bundled (or a user's) fixture documents into domain values. See Fixtures/README.md.
public enum Fixture {
    /// `credentials.json`: `{"api_keys": [{"key", "name"}], "application_keys": [{"key", "name", "owner", "permissions"}]}`.
    public static func credentials(from document: JSONValue) throws(FixtureError) -> Credentials {
        var reader = Reader(document, path: "credentials")
        let apiKeys = try reader.array("api_keys").map { (item) throws(FixtureError) -> Credentials.APIKey in
            var key = item
            return Credentials.APIKey(key: try key.string("key"), name: try key.optionalString("name") ?? "")
        }
        let applicationKeys = try reader.array("application_keys").map {
            (item) throws(FixtureError) -> Credentials.ApplicationKey in
            var key = item
            return Credentials.ApplicationKey(
                key: try key.string("key"), name: try key.optionalString("name") ?? "",
                owner: try key.optionalString("owner") ?? "fleetmock@example.com",
                permissions: Set(try key.stringArray("permissions")))
        }
        guard !apiKeys.isEmpty else {
            throw FixtureError(path: "credentials.api_keys", reason: "needs at least one key")
        }
        return Credentials(apiKeys: apiKeys, applicationKeys: applicationKeys)
    }

    /// `fleet.json` as it is on disk: agent versions, hosts and schedules. Deployments start empty.
    public static func fleet(fromJSON bytes: [UInt8], clock: SimulationClock, seed: UInt64) throws(FixtureError)
        -> FleetSnapshot
    {
        try fleet(from: FixtureDocument(json: bytes), clock: clock, seed: seed)
    }

    /// The fleet of a checked `fleet.json`; its hosts keep their text (`FleetSnapshot.hostsText`).
    public static func fleet(from document: FixtureDocument, clock: SimulationClock, seed: UInt64) throws(FixtureError)
        -> FleetSnapshot
    {
        let path = FixtureDocument.path
        var snapshot = try fleet(Reader(.object(document.members), path: path), clock: clock, seed: seed) {
            () throws(FixtureError) in
            guard let hostsOffset = document.hostsOffset else {
                throw FixtureError(path: path + ".hosts", reason: "is required")
            }
            return try hosts(in: document.bytes, at: hostsOffset, depth: 1, path: path + ".hosts")
        }
        snapshot.hostsText = document.hostsText
        return snapshot
    }

    /// A fleet document already parsed (an org's fixture, a snapshot); `path` names it in errors.
    public static func fleet(
        from document: JSONValue, clock: SimulationClock, seed: UInt64, path: String = "fleet"
    ) throws(FixtureError) -> FleetSnapshot {
        var reader = Reader(document, path: path)
        return try fleet(reader, clock: clock, seed: seed) { () throws(FixtureError) in
            // One reader of hosts for both forms: a parsed document's hosts are written out again.
            let items = try reader.array("hosts")
            let text = JSONValue.array(items.map(\.value)).serialized
            return try hosts(in: text, at: 0, depth: 1, path: path + ".hosts")
        }
    }

    private static func fleet(
        _ reader: Reader, clock: SimulationClock, seed: UInt64,
        hosts readHosts: () throws(FixtureError) -> [SimulatedHost]
    ) throws(FixtureError) -> FleetSnapshot {
        var reader = reader
        var versions: [AgentVersion] = []
        for (offset, text) in try reader.stringArray("agent_versions").enumerated() {
            guard let version = AgentVersion(text) else {
                throw FixtureError(
                    path: "\(reader.path).agent_versions[\(offset)]",
                    reason: "'\(text)' is not a MAJOR.MINOR.PATCH version")
            }
            versions.append(version)
        }
        let hosts = try readHosts()
        let schedules = try reader.array("schedules").map { (item) throws(FixtureError) -> Schedule in
            var schedule = item
            var rule = try schedule.object("rule")
            // Snapshots carry milliseconds; hand-written fixtures give seconds.
            let createdSeconds = try schedule.optionalInt("created_at_unix") ?? 0
            let created =
                try schedule.optionalInt("created_at_ms").map(Instant.init(milliseconds:))
                ?? Instant(seconds: createdSeconds)
            let updatedSeconds = try schedule.optionalInt("updated_at_unix")
            let updated =
                try schedule.optionalInt("updated_at_ms").map(Instant.init(milliseconds:))
                ?? updatedSeconds.map { Instant(seconds: $0) } ?? created
            let createdBy = try schedule.optionalString("created_by") ?? "fleetmock@example.com"
            let statusText = try schedule.optionalString("status") ?? "active"
            guard let status = ScheduleStatus(rawValue: statusText) else {
                throw FixtureError(path: schedule.path + ".status", reason: "must be active or inactive")
            }
            return Schedule(
                id: try schedule.string("id"), name: try schedule.string("name"), query: try schedule.string("query"),
                rule: RecurrenceRule(
                    daysOfWeek: try rule.stringArray("days_of_week"),
                    startMaintenanceWindow: try rule.string("start_maintenance_window"),
                    maintenanceWindowDuration: try rule.int("maintenance_window_duration"),
                    timezone: try rule.string("timezone")),
                status: status, versionToLatest: Int(try schedule.optionalInt("version_to_latest") ?? 0),
                createdAt: created, createdBy: createdBy,
                updatedAt: updated,
                updatedBy: try schedule.optionalString("updated_by") ?? createdBy)
        }
        return FleetSnapshot(
            catalog: AgentVersionCatalog(versions), hosts: hosts, schedules: schedules, deployments: [], clock: clock,
            randomState: seed)
    }

    /// A cursor over one JSON object that names the path of whatever is missing or mistyped.
    struct Reader {
        let path: String
        /// The value read, as it is.
        let value: JSONValue
        private let members: [String: JSONValue]
        private let isObject: Bool

        init(_ value: JSONValue, path: String) {
            self.path = path
            self.value = value
            self.members = value.objectValue ?? [:]
            self.isObject = value.objectValue != nil
        }

        private func fail(_ key: String, _ reason: String) -> FixtureError {
            FixtureError(path: "\(path).\(key)", reason: reason)
        }

        private func value(_ key: String) throws(FixtureError) -> JSONValue {
            guard isObject else { throw FixtureError(path: path, reason: "must be an object") }
            guard let value = members[key] else { throw fail(key, "is required") }
            return value
        }

        mutating func string(_ key: String) throws(FixtureError) -> String {
            let found = try value(key)
            guard let text = found.stringValue else { throw fail(key, "must be a string, not \(found.typeName)") }
            return text
        }

        mutating func optionalString(_ key: String) throws(FixtureError) -> String? {
            guard members[key] != nil, members[key] != .null else { return nil }
            return try string(key)
        }

        mutating func int(_ key: String) throws(FixtureError) -> Int64 {
            let found = try value(key)
            guard let number = found.intValue else { throw fail(key, "must be an integer, not \(found.typeName)") }
            return number
        }

        mutating func optionalBool(_ key: String) throws(FixtureError) -> Bool? {
            guard let found = members[key], found != .null else { return nil }
            guard let flag = found.boolValue else { throw fail(key, "must be a boolean, not \(found.typeName)") }
            return flag
        }

        /// The member as it is, nil when absent or null.
        func raw(_ key: String) -> JSONValue? {
            guard let found = members[key], found != .null else { return nil }
            return found
        }

        mutating func optionalInt(_ key: String) throws(FixtureError) -> Int64? {
            guard members[key] != nil, members[key] != .null else { return nil }
            return try int(key)
        }

        mutating func object(_ key: String) throws(FixtureError) -> Reader {
            let found = try value(key)
            guard found.objectValue != nil else { throw fail(key, "must be an object, not \(found.typeName)") }
            return Reader(found, path: "\(path).\(key)")
        }

        mutating func optionalObject(_ key: String) throws(FixtureError) -> [String: JSONValue]? {
            guard let found = members[key], found != .null else { return nil }
            guard let object = found.objectValue else { throw fail(key, "must be an object, not \(found.typeName)") }
            return object
        }

        mutating func array(_ key: String) throws(FixtureError) -> [Reader] {
            let found = try value(key)
            guard let items = found.arrayValue else { throw fail(key, "must be an array, not \(found.typeName)") }
            return items.enumerated().map { Reader($0.element, path: "\(path).\(key)[\($0.offset)]") }
        }

        mutating func stringArray(_ key: String) throws(FixtureError) -> [String] {
            let found = try value(key)
            guard let items = found.arrayValue else { throw fail(key, "must be an array, not \(found.typeName)") }
            var texts: [String] = []
            for (offset, item) in items.enumerated() {
                guard let text = item.stringValue else { throw fail("\(key)[\(offset)]", "must be a string") }
                texts.append(text)
            }
            return texts
        }

        mutating func stringDictionary(_ key: String) throws(FixtureError) -> [String: String] {
            guard let object = try optionalObject(key) else { return [:] }
            var result: [String: String] = [:]
            for (name, item) in object {
                guard let text = item.stringValue else { throw fail("\(key).\(name)", "must be a string") }
                result[name] = text
            }
            return result
        }
    }
}
