/// The simulated fleet: hosts, schedules, deployments and the rollouts in progress.
///
/// Pure and single-threaded. Time is always passed in. Commands come in two kinds:
/// - `plan…` methods validate, decide, and return the changes without touching state; the caller
///   persists them and then calls `apply(_:)`;
/// - `advance(to:)` moves rollouts forward to an instant, applying and returning what happened, so
///   the caller can persist it. Progress is a deterministic function of time, so it is re-derived
///   after a restart even if a write of it were lost.
public struct FleetSimulation: Sendable {
    // Every change to what a reply can show bumps `revision`.
    public private(set) var catalog: AgentVersionCatalog { didSet { revision += 1 } }
    public private(set) var hosts: [SimulatedHost] { didSet { revision += 1 } }
    public private(set) var schedules: [Schedule] { didSet { revision += 1 } }
    public private(set) var deployments: ChunkedArray<Deployment> { didSet { revision += 1 } }
    public private(set) var clock: SimulationClock { didSet { revision += 1 } }
    public private(set) var random: SeededRandom
    /// The settings new deployments take, as the progress policy shapes them.
    public var settings: SimulationSettings { progressPolicy.settings(from: standardSettings) }
    public var standardSettings: SimulationSettings
    public private(set) var progressPolicy: ProgressPolicy { didSet { revision += 1 } }

    /// Grows at every change to what a reply can show, and at nothing else (reads, an `advance`
    /// with nothing due): a reply rendered at one revision is right for as long as the revision
    /// stays. It counts changes to this value only; another simulation (a reset, a restore) may
    /// be at any revision, this one's included.
    public private(set) var revision: UInt64 = 0

    /// The hosts a filter query matched, by position, learned from each deployment created from it:
    /// a host's name and tags never change and no host comes or goes, so a schedule triggered again
    /// skips parsing its query and matching it against every host (a fifth of a 100-host trigger).
    /// Forgotten if a host's name or tags ever differ; bounded.
    private(set) var matchedHostsByQuery: [String: [Int]] = [:]
    private static let matchedQueriesLimit = 64

    private var hostIndexByKey: [String: Int] = [:]
    /// By host position: the deployment index (high 32 bits) and operation position (low 32 bits)
    /// of the last operation a deployment gave the host without skipping it, -1 for none. The
    /// host is busy while that operation is pending or running.
    private var activeOperationByHost: [Int64] = []
    private var scheduleIndexByID: [String: Int] = [:]
    private var deploymentIndexByID = ShardedStringDictionary<Int>()
    private var events = EventQueue()

    public init(snapshot: FleetSnapshot, settings: SimulationSettings) {
        catalog = snapshot.catalog
        hosts = snapshot.hosts
        schedules = snapshot.schedules
        deployments = ChunkedArray(snapshot.deployments.sorted { $0.sequence < $1.sequence })
        clock = snapshot.clock
        random = SeededRandom(state: snapshot.randomState)
        standardSettings = settings
        progressPolicy = snapshot.progressPolicy ?? (snapshot.clock.mode == .manual ? .stepped : .timed)
        hostIndexByKey.reserveCapacity(hosts.count)
        for (index, host) in hosts.enumerated() { hostIndexByKey[host.agentKey] = index }
        deploymentIndexByID.reserveCapacity(deployments.count)
        for (index, schedule) in schedules.enumerated() { scheduleIndexByID[schedule.id] = index }
        activeOperationByHost = [Int64](repeating: -1, count: hosts.count)
        for index in deployments.indices {
            locateHosts(ofDeploymentAt: index)
            claimHosts(ofDeploymentAt: index)
            deploymentIndexByID[deployments[index].id] = index
            enqueueNextEvent(of: index)
        }
    }

    /// Sets each operation's `hostPosition` where it is not already right (a deployment from a
    /// snapshot document, or stored before positions were).
    private mutating func locateHosts(ofDeploymentAt index: Int) {
        for position in deployments[index].operations.indices {
            let known = deployments[index].operations[position].hostPosition
            if known >= 0, known < hosts.count, hosts[known].agentKey == deployments[index].operations[position].hostKey
            {
                continue
            }
            deployments[index].operations[position].hostPosition =
                hostIndexByKey[deployments[index].operations[position].hostKey] ?? -1
        }
    }

    public var snapshot: FleetSnapshot {
        FleetSnapshot(
            catalog: catalog, hosts: hosts, schedules: schedules, deployments: Array(deployments), clock: clock,
            randomState: random.state, progressPolicy: progressPolicy)
    }

    // MARK: Reads

    public func deployment(id: String) -> Deployment? {
        deploymentIndexByID[id].map { deployments[$0] }
    }

    public func schedule(id: String) -> Schedule? {
        scheduleIndexByID[id].map { schedules[$0] }
    }

    public func host(agentKey: String) -> SimulatedHost? {
        hostIndexByKey[agentKey].map { hosts[$0] }
    }

    /// A host's installed version of a package, read in place: rendering a deployment's hosts asks
    /// this once per host, and copying the whole host each time was a quarter of a GET's work.
    public func packageVersion(agentKey: String, package: String) -> String? {
        packageVersion(atHost: hostIndexByKey[agentKey] ?? -1, package: package)
    }

    /// The same for the host at a position an operation of this simulation gives (`hostPosition`,
    /// -1 for none): a page of 50 hosts hashed 50 keys.
    public func packageVersion(atHost index: Int, package: String) -> String? {
        guard index >= 0, index < hosts.count else { return nil }
        return package == SimulatedHost.agentPackage ? hosts[index].agentVersion : hosts[index].packages[package]
    }

    /// The next instant at which some rollout changes by itself, for the caller's timer.
    public var nextEventTime: Instant? {
        events.first?.time
    }

    // MARK: Commands

    /// Cancel: pending hosts stop at once, a host less than half-way through is interrupted (its
    /// version unchanged), a host further along completes; nothing already applied is rolled back.
    public func planCancel(deploymentID: String, now: Instant) throws(FleetError) -> [FleetChange] {
        guard let index = deploymentIndexByID[deploymentID] else {
            throw FleetError.deploymentNotFound(id: deploymentID)
        }
        let deployment = deployments[index]
        guard deployment.isCancelable else {
            throw FleetError.deploymentNotCancelable(id: deploymentID, status: deployment.status)
        }
        var changes: [FleetChange] = [.deploymentCanceled(deploymentID: deploymentID, at: now)]
        for position in deployment.positionsInterruptedByCancel(at: now) {
            var operation = deployment.operations[position]
            operation.state = .canceled
            operation.finishedAt = now
            changes.append(.operationUpdated(deploymentID: deploymentID, position: position, operation: operation))
        }
        return changes
    }

    /// Freezes the clock, or lets it run at `speed` (simulated per wall millisecond).
    public func planClock(frozen: Bool, speed: Double, wall: Instant) throws(FleetError) -> [FleetChange] {
        guard SimulationClock.speeds.contains(speed) else {
            throw FleetError.invalidField(
                path: "speed",
                reason:
                    "must be from \(SimulationClock.speeds.lowerBound) to \(Int(SimulationClock.speeds.upperBound)), got \(speed)"
            )
        }
        var next = clock
        if frozen { next.freeze(wall: wall) } else { next.run(wall: wall, speed: speed) }
        return [.clockUpdated(next)]
    }

    /// Sets the clock to `instant`; time never runs backwards, as rollouts already happened.
    public func planClockSet(to instant: Instant, wall: Instant) throws(FleetError) -> [FleetChange] {
        let current = clock.now(wall: wall)
        guard instant <= SimulationClock.instants.upperBound else {
            throw FleetError.invalidField(
                path: "now",
                reason: "must be at most \(ISO8601.format(SimulationClock.instants.upperBound)) "
                    + "(\(SimulationClock.instants.upperBound.milliseconds) ms), got \(instant.milliseconds) ms")
        }
        guard instant >= current else {
            throw FleetError.invalidField(
                path: "now",
                reason:
                    "\(ISO8601.format(instant)) is before the simulated now \(ISO8601.format(current)); time only moves forward"
            )
        }
        return try planClockAdvance(byMilliseconds: instant.milliseconds - current.milliseconds, wall: wall)
    }

    /// A new policy; `stepped` also freezes the clock and `timed` lets it run at its speed.
    public func planProgressPolicy(_ policy: ProgressPolicy, wall: Instant) -> [FleetChange] {
        var next = clock
        switch policy {
        case .stepped: next.freeze(wall: wall)
        case .timed where next.mode == .manual: next.run(wall: wall, speed: next.speed)
        case .timed, .immediate: break
        }
        return [.progressPolicyUpdated(policy), .clockUpdated(next)]
    }

    /// Moves the clock; in `wall` mode this grows the offset. Never past the clock's last instant.
    public func planClockAdvance(byMilliseconds delta: Int64, wall: Instant) throws(FleetError) -> [FleetChange] {
        guard clock.canAdvance(byMilliseconds: delta, wall: wall) else {
            throw FleetError.invalidField(
                path: "seconds",
                reason: "would move simulated time past \(ISO8601.format(SimulationClock.instants.upperBound)), "
                    + "the last instant it can take (now \(ISO8601.format(clock.now(wall: wall))))")
        }
        var next = clock
        next.advance(byMilliseconds: delta)
        return [.clockUpdated(next)]
    }

    /// Applies changes that were planned (and persisted) earlier.
    public mutating func apply(_ changes: [FleetChange]) {
        for change in changes {
            switch change {
            case .deploymentCreated(let deployment):
                deployments.append(deployment)
                // Checked, not trusted: a position is a public field, and a wrong one would show
                // another host's versions (a string comparison each, when they are right).
                locateHosts(ofDeploymentAt: deployments.count - 1)
                claimHosts(ofDeploymentAt: deployments.count - 1)
                deploymentIndexByID[deployment.id] = deployments.count - 1
                enqueueNextEvent(of: deployments.count - 1)
                learnMatches(of: deployment)
            case .deploymentCanceled(let id, let time):
                guard let index = deploymentIndexByID[id] else { continue }
                deployments[index].markCanceled(at: time)
                claimHosts(ofDeploymentAt: index)  // frees the hosts whose operation stopped
                enqueueNextEvent(of: index)
            case .operationUpdated(let id, let position, let operation):
                guard let index = deploymentIndexByID[id] else { continue }
                deployments[index].replaceOperation(at: position, with: operation)
                let host =
                    operation.hostPosition >= 0
                    ? operation.hostPosition : deployments[index].operations[position].hostPosition
                track(operation.state, host: host, deployment: index, position: position)
                enqueueNextEvent(of: index)
            case .hostUpdated(let host):
                guard let index = hostIndexByKey[host.agentKey] else { continue }
                if host.hostname != hosts[index].hostname || host.tags != hosts[index].tags {
                    matchedHostsByQuery.removeAll()  // never happens today: updates change packages and files
                }
                hosts[index] = host
            case .scheduleCreated(let schedule):
                schedules.append(schedule)
                scheduleIndexByID[schedule.id] = schedules.count - 1
            case .scheduleUpdated(let schedule):
                guard let index = scheduleIndexByID[schedule.id] else { continue }
                schedules[index] = schedule
            case .scheduleDeleted(let id):
                guard let index = scheduleIndexByID[id] else { continue }
                schedules.remove(at: index)
                scheduleIndexByID = [:]
                for (position, schedule) in schedules.enumerated() { scheduleIndexByID[schedule.id] = position }
            case .clockUpdated(let newClock):
                clock = newClock
            case .randomStateUpdated(let state):
                random = SeededRandom(state: state)
            case .progressPolicyUpdated(let policy):
                progressPolicy = policy
            }
        }
    }

    /// Runs every rollout event due by `now`, in time order across deployments, and returns what
    /// changed (already applied) so the caller can persist it.
    public mutating func advance(to now: Instant) -> [FleetChange] {
        var changes: [FleetChange] = []
        while let entry = events.first, entry.time <= now {
            _ = events.removeFirst()
            let index = entry.deploymentIndex
            guard deployments[index].nextEventTime == entry.time else { continue }  // stale entry
            guard let step = deployments[index].step(upTo: now) else { continue }
            let deploymentID = deployments[index].id
            func recordOperation(_ position: Int) {
                changes.append(
                    .operationUpdated(
                        deploymentID: deploymentID, position: position,
                        operation: deployments[index].operations[position]))
            }
            switch step {
            case .started(let positions):
                positions.forEach(recordOperation)
            case .finished(let position, let host, let next):
                recordOperation(position)
                track(.succeeded, host: host, deployment: index, position: position)  // or failed: the host is free
                if deployments[index].operations[position].state == .succeeded,
                    let host = applyEffect(
                        of: deployments[index], toHost: deployments[index].operations[position].hostKey)
                {
                    changes.append(.hostUpdated(host))
                }
                if let next { recordOperation(next) }
            }
            enqueueNextEvent(of: index)
        }
        return changes
    }

    /// The host's operation that is pending or running now, if any: by the one-operation-per-host
    /// rule there is at most one. Read from `activeOperationByHost` alone, which every change of
    /// an operation's state keeps exact: reading the state through `deployments` copied the whole
    /// deployment (a dozen references retained) per host planned.
    func activeOperation(ofHost index: Int) -> (deployment: Int, position: Int)? {
        guard index >= 0, index < activeOperationByHost.count else { return nil }
        let packed = activeOperationByHost[index]
        guard packed >= 0 else { return nil }
        return (Int(packed >> 32), Int(packed & 0xFFFF_FFFF))
    }

    private static func packed(deployment: Int, position: Int) -> Int64 {
        Int64(deployment) << 32 | Int64(position)
    }

    /// Whether `installed` is at or above `target`, so an upgrade to `target` would do nothing or
    /// move the package down. A version that does not parse (or none installed) is below.
    static func isAtOrAbove(_ installed: String, _ target: AgentVersion?) -> Bool {
        isAtOrAbove(installed.isEmpty ? nil : AgentVersion(installed), target)
    }

    static func isAtOrAbove(_ installed: AgentVersion?, _ target: AgentVersion?) -> Bool {
        guard let target, let installed else { return false }
        return !(installed < target)
    }

    /// Records the deployment at `index` as each of its pending or running hosts' active operation,
    /// and frees each host whose operation there is finished (a cancel, a stored row).
    private mutating func claimHosts(ofDeploymentAt index: Int) {
        let operations = deployments[index].operations
        for position in operations.indices {
            track(
                operations[position].state, host: operations[position].hostPosition, deployment: index,
                position: position)
        }
    }

    /// Keeps `activeOperationByHost` in step with the operation at `position` of the deployment at
    /// `index` being in `state`: pending or running claims the host, finished frees it if it held it.
    private mutating func track(_ state: HostOperationState, host: Int, deployment index: Int, position: Int) {
        guard host >= 0, host < activeOperationByHost.count else { return }
        let entry = Self.packed(deployment: index, position: position)
        if state == .pending || state == .running {
            activeOperationByHost[host] = entry
        } else if activeOperationByHost[host] == entry {
            activeOperationByHost[host] = -1
        }
    }

    // MARK: Internals

    private mutating func enqueueNextEvent(of index: Int) {
        guard let time = deployments[index].nextEventTime else { return }
        events.insert(EventQueue.Entry(time: time, sequence: deployments[index].sequence, deploymentIndex: index))
    }

    /// Remembers the hosts a new deployment's query matched: every host it targets, by position.
    private mutating func learnMatches(of deployment: Deployment) {
        guard matchedHostsByQuery[deployment.filterQuery] == nil else { return }
        var positions: [Int] = []
        positions.reserveCapacity(deployment.operations.count)
        for position in deployment.operations.indices {
            guard let index = hostIndexByKey[deployment.operations[position].hostKey] else { return }
            positions.append(index)
        }
        if matchedHostsByQuery.count >= Self.matchedQueriesLimit { matchedHostsByQuery.removeAll() }
        matchedHostsByQuery[deployment.filterQuery] = positions
    }

    /// What a successful host operation does to the host: new package versions, or patched or
    /// deleted configuration files, in the deployment's order.
    private mutating func applyEffect(of deployment: Deployment, toHost agentKey: String) -> SimulatedHost? {
        guard let hostIndex = hostIndexByKey[agentKey] else { return nil }
        var host = hosts[hostIndex]
        switch deployment.kind {
        case .upgrade(let targets):
            // Never down: of several packages, one already at or above its target stays as it is
            // (a single package's host is skipped when the deployment is created instead).
            for target in targets
            where targets.count == 1
                || !Self.isAtOrAbove(host.packages[target.name] ?? "", AgentVersion(target.version))
            {
                host.packages[target.name] = target.version
            }
        case .configure(let operations):
            for operation in operations {
                switch operation.fileOp {
                case .mergePatch:
                    let current = host.configFiles[operation.filePath] ?? .object([:])
                    host.configFiles[operation.filePath] = current.mergePatched(with: operation.patch ?? .object([:]))
                case .delete:
                    host.configFiles.removeValue(forKey: operation.filePath)
                }
            }
        }
        hosts[hostIndex] = host
        return host
    }
}
