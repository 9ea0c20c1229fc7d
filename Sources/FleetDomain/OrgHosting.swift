import FleetJSON

/// An org FleetMock created on request (`POST /__fleetmock/orgs`): its id, keys, and the fixture
/// document it was seeded from (nil: the server's fixtures), so it survives a restart and a reset.
public struct OrgRecord: Equatable, Sendable {
    public let id: String
    public let createdAt: Instant
    public let credentials: Credentials
    public let fixture: JSONValue?

    public init(id: String, createdAt: Instant, credentials: Credentials, fixture: JSONValue?) {
        self.id = id
        self.createdAt = createdAt
        self.credentials = credentials
        self.fixture = fixture
    }
}

/// Where orgs keep their state: one store per org, and a registry of the orgs themselves. The
/// composition root implements it over SQLite; FleetAPI only sees this port.
public protocol OrgHosting: AnyObject {
    /// Opens (creating if needed) org `id`'s store, and the state it holds if it was ever seeded.
    func openStore(org id: String) throws(FleetError) -> (persistence: FleetPersistence, stored: FleetSnapshot?)
    /// Closes org `id`'s store and deletes what it holds.
    func removeStore(org id: String)
    func saveRecord(_ record: OrgRecord) throws(FleetError)
    func deleteRecord(org id: String) throws(FleetError)
}

extension Credentials {
    /// The `credentials.json` shape, which `Fixture.credentials(from:)` reads back.
    public var document: JSONValue {
        .object([
            "api_keys": .array(
                apiKeys.values.sorted { $0.key < $1.key }.map {
                    .object(["key": .string($0.key), "name": .string($0.name)])
                }),
            "application_keys": .array(
                applicationKeys.values.sorted { $0.key < $1.key }.map {
                    .object([
                        "key": .string($0.key), "name": .string($0.name), "owner": .string($0.owner),
                        "permissions": .array($0.permissions.sorted().map(JSONValue.string)),
                    ])
                }),
        ])
    }

    public var apiKeyValues: [String] { Array(apiKeys.keys) }
}
