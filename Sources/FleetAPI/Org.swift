import FleetDomain
import FleetJSON

/// One isolated tenant: its keys, fleet, schedules, deployments, clock and rate-limit counters.
/// Requests reach the org whose API key they carry; no org sees another's state.
final class Org {
    static let defaultID = "default"

    let id: String
    let createdAt: Instant?
    let credentials: Credentials
    var simulation: FleetSimulation
    let persistence: FleetPersistence
    var rateLimiter: RateLimiter
    /// The state a reset returns to.
    let loadFixtures: () throws(FleetError) -> FleetSnapshot
    /// The fixture document this org was created from, if not the server's.
    let fixtureDocument: JSONValue?

    init(
        id: String, createdAt: Instant?, credentials: Credentials, simulation: FleetSimulation,
        persistence: FleetPersistence, rateLimit: RateLimiter.Settings, fixtureDocument: JSONValue? = nil,
        loadFixtures: @escaping () throws(FleetError) -> FleetSnapshot
    ) {
        self.id = id
        self.createdAt = createdAt
        self.credentials = credentials
        self.simulation = simulation
        self.persistence = persistence
        self.rateLimiter = RateLimiter(settings: rateLimit)
        self.fixtureDocument = fixtureDocument
        self.loadFixtures = loadFixtures
    }

    /// A new state for the org (reset, restore, writes lost), simulated with the same settings.
    func replaceSimulation(with snapshot: FleetSnapshot) {
        simulation = FleetSimulation(snapshot: snapshot, settings: simulation.standardSettings)
    }
}

@available(*, unavailable)
extension Org: Sendable {}
