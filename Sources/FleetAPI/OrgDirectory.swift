import FleetDomain
import FleetJSON

/// Every org by id and by API key: the default one (the fixtures' keys) and those created on request,
/// so parallel test suites never share state. Opens, creates and deletes their stores; a store is
/// closed only once the store writer has committed what it was handed for it.
final class OrgDirectory {
    static let permissions = Route.Permission.allCases.map(\.rawValue)
    private static let hexDigits = Array("0123456789abcdef")

    private(set) var orgs: [String: Org] = [:]
    let defaultOrg: Org
    private var orgIDByAPIKey: [String: String] = [:]
    /// API keys of orgs whose state could not be opened at start: they answer 503, not 401.
    private var unavailableOrgIDByAPIKey: [String: String] = [:]
    private let hosting: OrgHosting?
    private let storeWriter: StoreWriter
    /// Draws new org ids and keys; seeded, so runs repeat.
    private var random: SeededRandom
    private let rateLimit: RateLimiter.Settings

    init(
        defaultOrg: Org, hosting: OrgHosting?, storeWriter: StoreWriter, records: [OrgRecord], seed: UInt64,
        rateLimit: RateLimiter.Settings, log: (String) -> Void
    ) {
        self.defaultOrg = defaultOrg
        self.hosting = hosting
        self.storeWriter = storeWriter
        self.random = SeededRandom(seed: seed ^ 0x6F72_6773)  // "orgs": apart from the fleet's draws
        self.rateLimit = rateLimit
        register(defaultOrg)
        for record in records {
            do {
                register(try open(record))
            } catch {
                log("org \(record.id) could not be opened and is left out: \(error)")
                for key in record.credentials.apiKeyValues { unavailableOrgIDByAPIKey[key] = record.id }
            }
        }
    }

    func org(id: String) -> Org? { orgs[id] }

    /// The org a request's API key belongs to; the default org when the key is missing or unknown
    /// (its credentials then answer the 401).
    func org(forAPIKey apiKey: String?) -> Org {
        apiKey.flatMap { orgIDByAPIKey[$0] }.flatMap { orgs[$0] } ?? defaultOrg
    }

    /// The id of the org that owns `apiKey` but could not be opened at start, if any.
    func unavailableOrg(forAPIKey apiKey: String) -> String? { unavailableOrgIDByAPIKey[apiKey] }

    /// A fresh org seeded from the fixtures (or `fixture`), with an API key and an application key
    /// holding every permission, plus any `app_keys` asked for. `configure` runs on the new org with
    /// the `progress` asked for before it is saved; if anything fails, no trace of it is left.
    func create(
        _ body: JSONFields?, wallNow: Instant, configure: (Org, ProgressPolicy?) throws(FleetError) -> Void
    ) throws(FleetError) -> Org {
        guard let hosting else { throw FleetError.storageFailure(reason: "orgs are not available") }
        let record = try newRecord(body, wallNow: wallNow)
        // Read the fixtures before anything is written, so a bad document changes nothing.
        _ = try fixtureLoader(for: record.fixture, org: record.id)()
        let progress = try body?.enumeration("progress", as: ProgressPolicy.self)
        let org: Org
        do {
            org = try open(record)
        } catch {
            // Seeding its file failed (a full disk): no empty org file is left behind.
            hosting.removeStore(org: record.id)
            throw error
        }
        do {
            try configure(org, progress)
            try hosting.saveRecord(record)
        } catch {
            storeWriter.commit()
            hosting.removeStore(org: record.id)
            throw error
        }
        register(org)
        return org
    }

    /// Forgets the org and removes its store.
    func delete(_ org: Org) throws(FleetError) {
        guard let hosting else { throw FleetError.orgNotFound(id: org.id) }
        // Its store closes below: what the pass wrote to it is committed first.
        storeWriter.commit()
        try hosting.deleteRecord(org: org.id)
        unregister(org)
        hosting.removeStore(org: org.id)
    }

    private func register(_ org: Org) {
        orgs[org.id] = org
        for key in org.credentials.apiKeyValues { orgIDByAPIKey[key] = org.id }
    }

    private func unregister(_ org: Org) {
        orgs[org.id] = nil
        for key in org.credentials.apiKeyValues where orgIDByAPIKey[key] == org.id { orgIDByAPIKey[key] = nil }
    }

    /// An org's state from its store, seeded from its fixtures the first time.
    private func open(_ record: OrgRecord) throws(FleetError) -> Org {
        guard let hosting else { throw FleetError.storageFailure(reason: "orgs are not available") }
        let loadFixtures = fixtureLoader(for: record.fixture, org: record.id)
        let (persistence, stored) = try hosting.openStore(org: record.id)
        var snapshot: FleetSnapshot
        if let stored {
            snapshot = stored
        } else {
            snapshot = try loadFixtures()
            try persistence.replaceAll(with: snapshot)
        }
        return Org(
            id: record.id, createdAt: record.createdAt, credentials: record.credentials,
            simulation: FleetSimulation(snapshot: snapshot, settings: defaultOrg.simulation.standardSettings),
            persistence: persistence, rateLimit: rateLimit, fixtureDocument: record.fixture,
            loadFixtures: loadFixtures)
    }

    private func newRecord(_ body: JSONFields?, wallNow: Instant) throws(FleetError) -> OrgRecord {
        let id = "org-" + uniqueToken(length: 12)
        let apiKey = "fm-api-" + uniqueToken(length: 32)
        let name = try body?.string("name") ?? id
        var applicationKeys = [
            Credentials.ApplicationKey(
                key: "fm-app-" + uniqueToken(length: 32), name: name, owner: "\(id)@fleetmock.example",
                permissions: Set(Self.permissions))
        ]
        for (index, item) in (try body?.array("app_keys") ?? []).enumerated() {
            let fields = try JSONFields(item, path: "app_keys[\(index)]")
            let permissions = try fields.stringArray("permissions", required: true) ?? []
            for permission in permissions where !Self.permissions.contains(permission) {
                throw FleetError.invalidField(
                    path: fields.path("permissions"),
                    reason: "'\(permission)' is not one of \(Self.permissions.joined(separator: ", "))")
            }
            applicationKeys.append(
                Credentials.ApplicationKey(
                    key: "fm-app-" + uniqueToken(length: 32), name: try fields.string("name") ?? "\(name) \(index + 1)",
                    owner: "\(id)@fleetmock.example", permissions: Set(permissions)))
        }
        return OrgRecord(
            id: id, createdAt: wallNow,
            credentials: Credentials(apiKeys: [.init(key: apiKey, name: name)], applicationKeys: applicationKeys),
            fixture: try body?.value("fixture"))
    }

    /// The server's fixtures, or a document given when the org was created. Each org's generator
    /// starts from the seed mixed with its id, so no two orgs draw the same deployment ids.
    private func fixtureLoader(for document: JSONValue?, org id: String) -> () throws(FleetError) -> FleetSnapshot {
        let serverFixtures = defaultOrg.loadFixtures
        let mix = Self.stableHash(id)
        guard let document else {
            return { () throws(FleetError) -> FleetSnapshot in
                var snapshot = try serverFixtures()
                snapshot.randomState ^= mix
                return snapshot
            }
        }
        return { () throws(FleetError) -> FleetSnapshot in
            var base = try serverFixtures()
            base.randomState ^= mix
            do throws(FixtureError) {
                var snapshot = try FleetSnapshot(
                    document: document, defaultClock: base.clock, defaultSeed: base.randomState)
                if snapshot.progressPolicy == nil { snapshot.progressPolicy = base.progressPolicy }
                return snapshot
            } catch {
                throw FleetError.invalidField(
                    path: "fixture" + error.path.dropFirst("snapshot".count), reason: error.reason)
            }
        }
    }

    /// FNV-1a: the same on every run and platform, unlike Hasher.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Lowercase hex, drawn from the org generator, never a key or id already in use.
    private func uniqueToken(length: Int) -> String {
        while true {
            var token = ""
            while token.count < length {
                let draw = random.next()
                for shift in stride(from: 60, through: 0, by: -4) where token.count < length {
                    token.append(Self.hexDigits[Int((draw >> UInt64(shift)) & 0xF)])
                }
            }
            let inUse =
                orgs["org-" + token] != nil
                || orgs.values.contains { org in
                    org.credentials.apiKeyValues.contains { $0.hasSuffix(token) }
                        || org.credentials.document["application_keys"]?.arrayValue?.contains {
                            $0["key"]?.stringValue?.hasSuffix(token) == true
                        } == true
                }
            if !inUse { return token }
        }
    }
}

@available(*, unavailable)
extension OrgDirectory: Sendable {}
