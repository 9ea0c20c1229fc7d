import FleetJSON

/// A rollout of package upgrades or configuration changes to the hosts a query matched when it was
/// created. Each host gets a `HostOperation`; at most `concurrency` of them run at once.
public struct Deployment: Equatable, Sendable {
    public let id: String
    /// Creation order, used to list deployments and to break ties between simultaneous events.
    public let sequence: Int64
    public let kind: DeploymentKind
    public let filterQuery: String
    public let createdAt: Instant
    public internal(set) var canceledAt: Instant?
    /// The schedule a trigger created this deployment from, if any.
    public let scheduleID: String?
    /// Who created it: the owner of the application key used (v2's `author`).
    public let author: String
    public let concurrency: Int
    /// Simulated time between creation and the first hosts starting, so a new deployment reads `pending`.
    public let startDelayMilliseconds: Int64
    /// Changed only through the rollout's methods, which keep `rolloutIndex` in step.
    public internal(set) var operations: [HostOperation]
    var rolloutIndex: RolloutIndex

    public init(
        id: String, sequence: Int64, kind: DeploymentKind, filterQuery: String, createdAt: Instant,
        canceledAt: Instant? = nil, scheduleID: String? = nil, author: String = "", concurrency: Int,
        startDelayMilliseconds: Int64, operations: [HostOperation]
    ) {
        self.id = id
        self.sequence = sequence
        self.kind = kind
        self.filterQuery = filterQuery
        self.createdAt = createdAt
        self.canceledAt = canceledAt
        self.scheduleID = scheduleID
        self.author = author
        self.concurrency = concurrency
        self.startDelayMilliseconds = startDelayMilliseconds
        var operations = operations
        // A skipped host settled when the deployment was created; a stored plan gives no time.
        for position in operations.indices
        where operations[position].state == .skipped
            && operations[position].finishedAtMilliseconds == HostOperation.none
        {
            operations[position].finishedAt = createdAt
        }
        self.operations = operations
        self.rolloutIndex = RolloutIndex(
            operations: operations, createdAt: createdAt,
            startTime: createdAt.adding(milliseconds: startDelayMilliseconds), concurrency: concurrency)
    }

    /// Equal when every stored fact is; the index is derived from them.
    public static func == (lhs: Deployment, rhs: Deployment) -> Bool {
        lhs.id == rhs.id && lhs.sequence == rhs.sequence && lhs.kind == rhs.kind && lhs.filterQuery == rhs.filterQuery
            && lhs.createdAt == rhs.createdAt && lhs.canceledAt == rhs.canceledAt && lhs.scheduleID == rhs.scheduleID
            && lhs.author == rhs.author && lhs.concurrency == rhs.concurrency
            && lhs.startDelayMilliseconds == rhs.startDelayMilliseconds && lhs.operations == rhs.operations
    }

    public var startTime: Instant { createdAt.adding(milliseconds: startDelayMilliseconds) }

    /// Skipped hosts count as settled: a deployment whose every host was skipped is `completed` at
    /// once, and one with pending hosts reads `pending` until its first host starts.
    public var status: DeploymentStatus {
        if canceledAt != nil { return .canceled }
        let pending = count(of: .pending)
        if pending > 0, pending + count(of: .skipped) == operations.count { return .pending }
        if pending + count(of: .running) > 0 { return .running }
        return count(of: .failed) > 0 ? .failed : .completed
    }

    public var isCancelable: Bool {
        let current = status
        return current == .pending || current == .running
    }

    public var packages: [PackageTarget] {
        if case .upgrade(let targets) = kind { return targets }
        return []
    }

    public func count(of state: HostOperationState) -> Int {
        rolloutIndex.count(of: state)
    }
}

public enum DeploymentKind: Equatable, Sendable {
    case upgrade([PackageTarget])
    case configure([ConfigOperation])
}

public enum DeploymentStatus: String, Sendable, CaseIterable {
    case pending, running, completed, failed, canceled
}

public struct PackageTarget: Equatable, Sendable {
    public let name: String
    public let version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

public struct ConfigOperation: Equatable, Sendable {
    public enum FileOp: String, Sendable, CaseIterable {
        case mergePatch = "merge-patch"
        case delete
    }

    public let fileOp: FileOp
    public let filePath: String
    public let patch: JSONValue?

    public init(fileOp: FileOp, filePath: String, patch: JSONValue?) {
        self.fileOp = fileOp
        self.filePath = filePath
        self.patch = patch
    }
}

/// One host's part in a deployment. Its duration and outcome are drawn when the deployment is
/// created, so the whole rollout is a deterministic function of the seed and simulated time.
///
/// Stored compactly (80 bytes instead of 136): a bench run keeps millions of these, and each
/// trigger writes 48 of them into fresh memory. Times are milliseconds with `Int64.min` for none
/// (the simulated clock starts at the fixtures' time and only moves forward), the position an
/// `Int32`, and the two error texts, which nearly every operation lacks, one array that is empty
/// then. (An array rather than an optional class reference: with a class reference among the
/// fields, the compiler built each new operation twice and copied one, four references retained
/// and released per host planned.)
///
/// Read in place, by position: a loop over a deployment's hosts reads `operations[position].state`
/// and never binds an operation (`for operation in operations`, `let operation = operations[i]`)
/// or hands one to a closure (`first(where:)`). Binding copies the operation, and the copy retains
/// and releases each reference it holds (the host's key and name, its version list, its error
/// texts), host after host. Measured: accessors the other modules could not see into made them
/// copy each operation to read it, and a trigger cost 14% more CPU until they were inlined
/// (84cd847); `swift_retain` and `swift_release` are a fifth of the request loop's samples, mostly
/// on these references (BENCHMARKS.md: "No copies in hot loops", the loop's profile). The code
/// that follows the rule says `// By position (see HostOperation).`
public struct HostOperation: Equatable, Sendable {
    public let hostKey: String
    public let hostname: String
    /// The host's version of each deployed package when the deployment was created, in `packages` order.
    public let initialVersions: [String]
    // Internal, and the accessors below inlinable: an accessor the other modules could not see
    // into made them copy the whole operation to call it (the copy the rule above avoids).
    /// `[]` when there is no error text; `[error]` without a planned error; `[error, planned]` with one.
    @usableFromInline var failureTexts: [String]
    @usableFromInline var startedAtMilliseconds: Int64
    @usableFromInline var finishedAtMilliseconds: Int64
    public let plannedDurationMilliseconds: Int64
    @usableFromInline var storedHostPosition: Int32
    public internal(set) var state: HostOperationState
    public let plannedToFail: Bool

    @inlinable static func failureTexts(planned: String?, reported: String) -> [String] {
        if let planned { return [reported, planned] }
        return reported.isEmpty ? [] : [reported]
    }

    @usableFromInline static var none: Int64 { Int64.min }

    /// The host's place in the fleet (`FleetSimulation.hosts`), -1 when not known: the simulation
    /// sets it for every deployment it holds, so a page of hosts reads each host by position, and
    /// the store keeps a plan as positions rather than keys and names. Not part of equality.
    public internal(set) var hostPosition: Int {
        @inlinable get { Int(storedHostPosition) }
        @inlinable set { storedHostPosition = Int32(exactly: newValue) ?? -1 }
    }

    public internal(set) var startedAt: Instant? {
        @inlinable get { startedAtMilliseconds == Self.none ? nil : Instant(milliseconds: startedAtMilliseconds) }
        @inlinable set { startedAtMilliseconds = newValue?.milliseconds ?? Self.none }
    }

    public internal(set) var finishedAt: Instant? {
        @inlinable get { finishedAtMilliseconds == Self.none ? nil : Instant(milliseconds: finishedAtMilliseconds) }
        @inlinable set { finishedAtMilliseconds = newValue?.milliseconds ?? Self.none }
    }

    /// The error a planned failure reports; nil for the simulation's standard message.
    @inlinable public var plannedError: String? { failureTexts.count > 1 ? failureTexts[1] : nil }

    public internal(set) var error: String {
        @inlinable get { failureTexts.first ?? "" }
        @inlinable set { failureTexts = Self.failureTexts(planned: plannedError, reported: newValue) }
    }

    public init(
        hostKey: String, hostname: String, hostPosition: Int = -1, state: HostOperationState = .pending,
        startedAt: Instant? = nil, finishedAt: Instant? = nil, plannedDurationMilliseconds: Int64, plannedToFail: Bool,
        plannedError: String? = nil, error: String = "", initialVersions: [String]
    ) {
        self.hostKey = hostKey
        self.hostname = hostname
        self.initialVersions = initialVersions
        failureTexts = Self.failureTexts(planned: plannedError, reported: error)
        startedAtMilliseconds = startedAt?.milliseconds ?? Self.none
        finishedAtMilliseconds = finishedAt?.milliseconds ?? Self.none
        self.plannedDurationMilliseconds = plannedDurationMilliseconds
        storedHostPosition = Int32(exactly: hostPosition) ?? -1
        self.state = state
        self.plannedToFail = plannedToFail
    }

    /// Where an operation is in its life: what the rollout index tracks, without the operation's
    /// references (a copy of the whole operation retains them: see the type's comment).
    struct Progress {
        let state: HostOperationState
        let startedAt: Instant?
        let finishedAt: Instant?
    }

    var progress: Progress { Progress(state: state, startedAt: startedAt, finishedAt: finishedAt) }

    /// This planned operation with the progress (state, times, error) of `other`: how the store
    /// lays a host's row over its deployment's plan.
    public func withProgress(of other: HostOperation) -> HostOperation {
        var merged = self
        merged.state = other.state
        merged.startedAt = other.startedAt
        merged.finishedAt = other.finishedAt
        merged.error = other.error
        return merged
    }

    public static func == (lhs: HostOperation, rhs: HostOperation) -> Bool {
        lhs.hostKey == rhs.hostKey && lhs.hostname == rhs.hostname && lhs.state == rhs.state
            && lhs.startedAt == rhs.startedAt && lhs.finishedAt == rhs.finishedAt
            && lhs.plannedDurationMilliseconds == rhs.plannedDurationMilliseconds
            && lhs.plannedToFail == rhs.plannedToFail && lhs.plannedError == rhs.plannedError && lhs.error == rhs.error
            && lhs.initialVersions == rhs.initialVersions
    }

    /// When a running operation completes if nothing interrupts it.
    public var plannedFinish: Instant? {
        startedAt.map { $0.adding(milliseconds: plannedDurationMilliseconds) }
    }
}

public enum HostOperationState: String, Sendable, CaseIterable {
    /// `skipped`: decided when the deployment is created and final from then on, for a host the
    /// deployment leaves alone (an upgrade's host already at or above the target, or a host busy
    /// with another deployment's operation). It never starts, takes no slot and has no times.
    case pending, running, succeeded, failed, canceled, skipped

    public var isFinished: Bool {
        self == .succeeded || self == .failed || self == .canceled || self == .skipped
    }

    /// Position in `allCases`, for counting by state in an array.
    var ordinal: Int {
        switch self {
        case .pending: 0
        case .running: 1
        case .succeeded: 2
        case .failed: 3
        case .canceled: 4
        case .skipped: 5
        }
    }
}
