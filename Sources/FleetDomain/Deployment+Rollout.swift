/// The rollout state machine: what happens next, and when.
extension Deployment {
    /// What one step of the rollout did.
    enum RolloutStep: Equatable {
        /// The first hosts started.
        case started(positions: [Int])
        /// A host finished (succeeded or failed), and the next pending host, if any, took its slot.
        /// `host` is its position in the fleet, so the caller need not read the operation back.
        case finished(position: Int, host: Int, startedNext: Int?)
    }

    /// Whether any host has started: skipped hosts never do.
    private var anyStarted: Bool {
        count(of: .pending) + count(of: .skipped) < operations.count
    }

    /// The next instant at which this deployment changes on its own; nil when it never will again.
    public var nextEventTime: Instant? {
        if canceledAt == nil, count(of: .pending) > 0, !anyStarted { return startTime }
        var earliest: Instant?
        for position in rolloutIndex.runningPositions {
            if let finish = operations[position].plannedFinish, earliest.map({ finish < $0 }) ?? true {
                earliest = finish
            }
        }
        return earliest
    }

    /// Performs the next event if it is due by `now`.
    mutating func step(upTo now: Instant) -> RolloutStep? {
        guard let time = nextEventTime, time <= now else { return nil }
        if canceledAt == nil, !anyStarted {
            // The first `concurrency` pending hosts, passing over skipped ones.
            var positions: [Int] = []
            positions.reserveCapacity(min(concurrency, count(of: .pending)))
            while positions.count < concurrency, let pending = rolloutIndex.firstPendingPosition(in: operations) {
                start(pending, at: time)
                positions.append(pending)
            }
            return .started(positions: positions)
        }
        guard let position = rolloutIndex.runningPositions.first(where: { operations[$0].plannedFinish == time })
        else { return nil }
        let old = operations[position].progress
        let fails = operations[position].plannedToFail
        operations[position].state = fails ? .failed : .succeeded
        operations[position].finishedAt = time
        operations[position].error = fails ? operations[position].plannedError ?? failureMessage() : ""
        rolloutIndex.record(position: position, from: old, in: operations, planChanged: false)
        var next: Int?
        if canceledAt == nil, let pending = rolloutIndex.firstPendingPosition(in: operations) {
            start(pending, at: time)
            next = pending
        }
        return .finished(position: position, host: operations[position].hostPosition, startedNext: next)
    }

    private mutating func start(_ position: Int, at time: Instant) {
        let old = operations[position].progress
        operations[position].state = .running
        operations[position].startedAt = time
        rolloutIndex.record(position: position, from: old, in: operations, planChanged: false)
    }

    private func failureMessage() -> String {
        switch kind {
        case .upgrade(let targets):
            let list = targets.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
            return "Failed to install \(list): the package manager exited with status 1 (simulated failure)"
        case .configure(let operations):
            let paths = operations.map(\.filePath).joined(separator: ", ")
            return
                "Failed to apply the configuration to \(paths): the Agent rejected the new configuration (simulated failure)"
        }
    }

    /// How cancellation treats each host at `time`: pending hosts stop at once; a running host that is
    /// at least half-way through completes with its planned outcome; one less than half-way through is
    /// interrupted and keeps its version. Returns the positions interrupted.
    func positionsInterruptedByCancel(at time: Instant) -> [Int] {
        rolloutIndex.runningPositions.filter { position in
            guard let started = operations[position].startedAt else { return false }
            let elapsed = time.milliseconds - started.milliseconds
            return elapsed * 2 < operations[position].plannedDurationMilliseconds
        }
    }

    /// Canceled from `time`: every host still pending then is canceled at `time`.
    public mutating func markCanceled(at time: Instant) {
        canceledAt = time
        while let position = rolloutIndex.firstPendingPosition(in: operations) {
            let old = operations[position].progress
            operations[position].state = .canceled
            operations[position].finishedAt = time
            rolloutIndex.record(position: position, from: old, in: operations, planChanged: false)
        }
    }

    /// Lays a change decided elsewhere (a cancel's interruption, a stored row) over the plan.
    mutating func replaceOperation(at position: Int, with operation: HostOperation) {
        let old = operations[position].progress
        let hostPosition = operations[position].hostPosition
        operations[position] = operation
        if operation.hostPosition < 0 { operations[position].hostPosition = hostPosition }
        // Outside the rollout's own steps the plan may change, unless the deployment is canceled
        // (then nothing is planned any more).
        rolloutIndex.record(position: position, from: old, in: operations, planChanged: canceledAt == nil)
    }

    /// When the last host will have finished, on the current plan: finished hosts at their finish time,
    /// running ones at their planned finish, pending ones as slots free up in order.
    public var estimatedEndTime: Instant {
        guard let canceledAt else { return rolloutIndex.plannedEnd }
        var end = max(canceledAt, rolloutIndex.latestFinish ?? canceledAt)
        for position in rolloutIndex.runningPositions {
            if let finish = operations[position].plannedFinish, finish > end { end = finish }
        }
        return end
    }
}
