/// One fact a command established. Commands return lists of these; the store writes a list in one
/// transaction and only then does the simulation apply it, so a failed write changes nothing.
public enum FleetChange: Equatable, Sendable {
    case deploymentCreated(Deployment)
    /// The deployment reads `canceled` from `at`; every host operation still pending becomes canceled at `at`.
    case deploymentCanceled(deploymentID: String, at: Instant)
    case operationUpdated(deploymentID: String, position: Int, operation: HostOperation)
    case hostUpdated(SimulatedHost)
    case scheduleCreated(Schedule)
    case scheduleUpdated(Schedule)
    case scheduleDeleted(id: String)
    case clockUpdated(SimulationClock)
    case randomStateUpdated(UInt64)
    case progressPolicyUpdated(ProgressPolicy)
}

/// Where changes are made durable. FleetAPI depends on this protocol; FleetStore implements it.
public protocol FleetPersistence: AnyObject {
    /// Throws `stateFileReplaced` once the file the store opened is no longer at its path (deleted,
    /// or another file renamed over it): a write then would be acknowledged and lost.
    func requireFileInPlace() throws(FleetError)
    /// Once that threw, and no write of this store is in flight: whatever the store must do so that
    /// no later start mixes its unwritten state into the file now at its path.
    func releaseReplacedFile()
    /// Replaces the whole state with `snapshot` in one transaction (reset, restore), or changes nothing.
    func replaceAll(with snapshot: FleetSnapshot) throws(FleetError)
    /// Writes every change or none of them (throwing `FleetError.storageFailure`), inside a
    /// transaction left open for the next writes (opening one if none is): several requests' writes
    /// are made durable by one `commitBatch`.
    func persistInBatch(_ changes: [FleetChange]) throws(FleetError)
    /// Commits the open transaction. Throws if any write acknowledged by `persistInBatch` since the
    /// last call is lost (the commit failed, or a write error rolled the transaction back); what
    /// the store holds is then its state before them (plus any later batch, which is committed).
    func commitBatch() throws(FleetError)
    /// Takes back every write since the last commit (the open transaction), for a batch one of whose
    /// writes failed: the whole batch is then reported lost, so none of it may stay.
    func rollbackBatch()
    /// The state as last committed, to put memory back in step after writes were lost; nil when
    /// the store cannot say.
    func loadCommitted() throws(FleetError) -> FleetSnapshot?
}

/// Everything the simulation needs to resume: what the store loads and what fixtures seed.
public struct FleetSnapshot: Equatable, Sendable {
    public var catalog: AgentVersionCatalog
    public var hosts: [SimulatedHost] {
        didSet { hostsText = nil }
    }
    /// The JSON text `hosts` were read from (a fixture file), kept while they are unchanged so a
    /// store can write that text instead of writing 100,000 hosts out again. Not part of equality.
    public var hostsText: HostsText?
    public var schedules: [Schedule]
    public var deployments: [Deployment]
    public var clock: SimulationClock
    public var randomState: UInt64
    /// nil: as the server's settings say (timed, or stepped on a manual clock).
    public var progressPolicy: ProgressPolicy?

    public init(
        catalog: AgentVersionCatalog, hosts: [SimulatedHost], schedules: [Schedule], deployments: [Deployment],
        clock: SimulationClock, randomState: UInt64, progressPolicy: ProgressPolicy? = nil
    ) {
        self.catalog = catalog
        self.hosts = hosts
        self.schedules = schedules
        self.deployments = deployments
        self.clock = clock
        self.randomState = randomState
        self.progressPolicy = progressPolicy
    }

    public static func == (lhs: FleetSnapshot, rhs: FleetSnapshot) -> Bool {
        lhs.catalog == rhs.catalog && lhs.hosts == rhs.hosts && lhs.schedules == rhs.schedules
            && lhs.deployments == rhs.deployments && lhs.clock == rhs.clock && lhs.randomState == rhs.randomState
            && lhs.progressPolicy == rhs.progressPolicy
    }
}

extension FleetPersistence {
    /// Stores without a file of their own have nothing to check.
    public func requireFileInPlace() throws(FleetError) {}
    public func releaseReplacedFile() {}
}
