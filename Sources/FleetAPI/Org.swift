import FleetDomain
import FleetJSON

/// One isolated tenant: its keys, fleet, schedules, deployments, clock and rate-limit counters.
/// Requests reach the org whose API key they carry; no org sees another's state.
final class Org {
    static let defaultID = "default"

    let id: String
    let createdAt: Instant?
    let credentials: Credentials
    /// The org's fleet. Replacing it (a reset, a restore, a return to the committed state) empties
    /// `replyCache`: the new simulation's revisions count its own changes, and one of them could
    /// equal the revision the cached replies were rendered at.
    var simulation: FleetSimulation {
        // Read and changed in place, as the stored property it replaces was.
        _read { yield storedSimulation }
        _modify { yield &storedSimulation }
        set {
            storedSimulation = newValue
            replyCache = ReplyCache()
        }
    }
    private var storedSimulation: FleetSimulation
    /// Replies rendered from `simulation`.
    var replyCache = ReplyCache()
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
        self.storedSimulation = simulation
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
