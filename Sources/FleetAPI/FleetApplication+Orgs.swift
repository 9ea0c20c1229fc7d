import FleetDomain
import FleetJSON

/// Orgs: isolated tenants created on request, so parallel test suites never share state.
extension FleetApplication {
    static let permissions = ["hosts_read", "agent_upgrade_write", "fleet_policies_write"]
    private static let hexDigits = Array("0123456789abcdef")

    /// An org's state from its store, seeded from its fixtures the first time.
    func openOrg(_ record: OrgRecord) throws(FleetError) -> Org {
        guard let orgHosting else { throw FleetError.storageFailure(reason: "orgs are not available") }
        let loadFixtures = fixtureLoader(for: record.fixture, org: record.id)
        let (persistence, stored) = try orgHosting.openStore(org: record.id)
        var snapshot: FleetSnapshot
        if let stored {
            snapshot = stored
        } else {
            snapshot = try loadFixtures()
            try persistence.replaceAll(with: snapshot)
        }
        return Org(
            id: record.id, createdAt: record.createdAt, credentials: record.credentials,
            simulation: FleetSimulation(snapshot: snapshot, settings: orgs[Org.defaultID]!.simulation.standardSettings),
            persistence: persistence, rateLimit: rateLimitSettings, fixtureDocument: record.fixture,
            loadFixtures: loadFixtures)
    }

    /// The server's fixtures, or a document given when the org was created. Each org's generator
    /// starts from the seed mixed with its id, so no two orgs draw the same deployment ids.
    private func fixtureLoader(for document: JSONValue?, org id: String) -> () throws(FleetError) -> FleetSnapshot {
        let serverFixtures = orgs[Org.defaultID]!.loadFixtures
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
                var snapshot = try FleetSnapshot(document: document, defaultClock: base.clock, defaultSeed: base.randomState)
                if snapshot.progressPolicy == nil { snapshot.progressPolicy = base.progressPolicy }
                return snapshot
            } catch {
                throw FleetError.invalidField(path: "fixture" + error.path.dropFirst("snapshot".count), reason: error.reason)
            }
        }
    }

    /// `POST /__fleetmock/orgs`: a fresh org seeded from the fixtures (or `fixture`), with an API
    /// key and an application key holding every permission, plus any `app_keys` asked for.
    func createOrg(_ body: JSONFields?, wallNow: Instant) throws(FleetError) -> [UInt8] {
        guard let orgHosting else { throw FleetError.storageFailure(reason: "orgs are not available") }
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
            applicationKeys.append(Credentials.ApplicationKey(
                key: "fm-app-" + uniqueToken(length: 32), name: try fields.string("name") ?? "\(name) \(index + 1)",
                owner: "\(id)@fleetmock.example", permissions: Set(permissions)))
        }
        let record = OrgRecord(
            id: id, createdAt: wallNow,
            credentials: Credentials(apiKeys: [.init(key: apiKey, name: name)], applicationKeys: applicationKeys),
            fixture: try body?.value("fixture"))
        // Read the fixtures before anything is written, so a bad document changes nothing.
        _ = try fixtureLoader(for: record.fixture, org: id)()
        let policy = try body?.enumeration("progress", as: ProgressPolicy.self)
        let org: Org
        do {
            org = try openOrg(record)
        } catch {
            // Seeding its file failed (a full disk): no empty org file is left behind.
            orgHosting.removeStore(org: id)
            throw error
        }
        do {
            if let policy {
                try within(org) { () throws(FleetError) in
                    try commit(simulation.planProgressPolicy(policy, wall: wallNow))
                }
            }
            try orgHosting.saveRecord(record)
        } catch {
            storeWriter.commit()
            orgHosting.removeStore(org: id)
            throw error
        }
        register(org)
        return orgBody(org, includeKeys: true)
    }

    func deleteOrg(_ id: String) throws(FleetError) {
        guard id != Org.defaultID else {
            throw FleetError.invalidField(path: "org", reason: "the default org cannot be deleted")
        }
        guard let org = orgs[id], let orgHosting else { throw FleetError.orgNotFound(id: id) }
        // Its store closes below: what the pass wrote to it is committed first.
        storeWriter.commit()
        try orgHosting.deleteRecord(org: id)
        clearFaults(of: org)
        unregister(org)
        orgHosting.removeStore(org: id)
    }

    /// The org a control request names with `?org=`, the default one without.
    func namedOrg(_ input: RequestInput) throws(FleetError) -> Org {
        guard let id = try input.string("org") else { return orgs[Org.defaultID]! }
        guard let org = orgs[id] else { throw FleetError.orgNotFound(id: id) }
        return org
    }

    func orgBody(_ org: Org, includeKeys: Bool) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writeOrg(org, includeKeys: includeKeys, into: &writer)
        return writer.bytes
    }

    func orgsBody() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * orgs.count)
        writer.beginObject()
        writer.key("orgs")
        writer.beginArray()
        for org in orgs.values.sorted(by: { ($0.createdAt?.milliseconds ?? 0, $0.id) < ($1.createdAt?.milliseconds ?? 0, $1.id) }) {
            writeOrg(org, includeKeys: org.id != Org.defaultID, into: &writer)
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private func writeOrg(_ org: Org, includeKeys: Bool, into writer: inout JSONWriter) {
        let application = org.credentials.document["application_keys"]?.arrayValue ?? []
        writer.beginObject()
        if includeKeys {
            writer.field("api_key", org.credentials.apiKeyValues.sorted().first ?? "")
            // The first key holds every permission; the rest are the narrower ones asked for.
            let full = application.first { $0["permissions"]?.arrayValue?.count == Self.permissions.count }
            writer.field("app_key", full?["key"]?.stringValue ?? "")
            writer.key("app_keys")
            writer.beginArray()
            for key in application {
                writer.beginObject()
                writer.field("key", key["key"]?.stringValue ?? "")
                writer.field("name", key["name"]?.stringValue ?? "")
                writer.field("permissions", key["permissions"] ?? .array([]))
                writer.endObject()
            }
            writer.endArray()
        }
        writer.field("deployments", org.simulation.deployments.count)
        writer.field("hosts", org.simulation.hosts.count)
        writer.field("org", org.id)
        writer.field("schedules", org.simulation.schedules.count)
        writer.endObject()
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
                let draw = orgRandom.next()
                for shift in stride(from: 60, through: 0, by: -4) where token.count < length {
                    token.append(Self.hexDigits[Int((draw >> UInt64(shift)) & 0xF)])
                }
            }
            let inUse = orgs[ "org-" + token] != nil || orgs.values.contains { org in
                org.credentials.apiKeyValues.contains { $0.hasSuffix(token) }
                    || org.credentials.document["application_keys"]?.arrayValue?.contains {
                        $0["key"]?.stringValue?.hasSuffix(token) == true
                    } == true
            }
            if !inUse { return token }
        }
    }
}
