/// The rollout state machine: what happens next, and when.
extension Deployment {
    /// What one step of the rollout did.
    enum RolloutStep: Equatable {
        /// The first hosts started.
        case started(positions: [Int])
        /// A host finished (succeeded or failed), and the next pending host, if any, took its slot.
        case finished(position: Int, startedNext: Int?)
    }

    private var anyStarted: Bool {
        operations.contains { $0.state != .pending }
    }

    private var firstPendingPosition: Int? {
        operations.firstIndex { $0.state == .pending }
    }

    /// The next instant at which this deployment changes on its own; nil when it never will again.
    public var nextEventTime: Instant? {
        if canceledAt == nil, !operations.isEmpty, !anyStarted { return startTime }
        var earliest: Instant?
        for operation in operations where operation.state == .running {
            if let finish = operation.plannedFinish, earliest.map({ finish < $0 }) ?? true { earliest = finish }
        }
        return earliest
    }

    /// Performs the next event if it is due by `now`.
    mutating func step(upTo now: Instant) -> RolloutStep? {
        guard let time = nextEventTime, time <= now else { return nil }
        if canceledAt == nil, !anyStarted {
            let positions = Array(0..<min(concurrency, operations.count))
            for position in positions { start(position, at: time) }
            return .started(positions: positions)
        }
        guard let position = operations.indices.first(where: {
            operations[$0].state == .running && operations[$0].plannedFinish == time
        }) else { return nil }
        operations[position].state = operations[position].plannedToFail ? .failed : .succeeded
        operations[position].finishedAt = time
        operations[position].error =
            operations[position].plannedToFail ? operations[position].plannedError ?? failureMessage() : ""
        var next: Int?
        if canceledAt == nil, let pending = firstPendingPosition {
            start(pending, at: time)
            next = pending
        }
        return .finished(position: position, startedNext: next)
    }

    private mutating func start(_ position: Int, at time: Instant) {
        operations[position].state = .running
        operations[position].startedAt = time
    }

    private func failureMessage() -> String {
        switch kind {
        case .upgrade(let targets):
            let list = targets.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
            return "Failed to install \(list): the package manager exited with status 1 (simulated failure)"
        case .configure(let operations):
            let paths = operations.map(\.filePath).joined(separator: ", ")
            return "Failed to apply the configuration to \(paths): the Agent rejected the new configuration (simulated failure)"
        }
    }

    /// How cancellation treats each host at `time`: pending hosts stop at once; a running host that is
    /// at least half-way through completes with its planned outcome; one less than half-way through is
    /// interrupted and keeps its version. Returns the positions interrupted.
    func positionsInterruptedByCancel(at time: Instant) -> [Int] {
        operations.indices.filter { position in
            let operation = operations[position]
            guard operation.state == .running, let started = operation.startedAt else { return false }
            let elapsed = time.milliseconds - started.milliseconds
            return elapsed * 2 < operation.plannedDurationMilliseconds
        }
    }

    /// Canceled from `time`: every host still pending then is canceled at `time`.
    public mutating func markCanceled(at time: Instant) {
        canceledAt = time
        for position in operations.indices where operations[position].state == .pending {
            operations[position].state = .canceled
            operations[position].finishedAt = time
        }
    }

    mutating func replaceOperation(at position: Int, with operation: HostOperation) {
        operations[position] = operation
    }

    /// When the last host will have finished, on the current plan: finished hosts at their finish time,
    /// running ones at their planned finish, pending ones as slots free up in order.
    public var estimatedEndTime: Instant {
        var end = canceledAt ?? createdAt
        var slots: [Int64] = []
        for operation in operations {
            switch operation.state {
            case .succeeded, .failed, .canceled:
                if let finished = operation.finishedAt, finished > end { end = finished }
            case .running:
                if let finish = operation.plannedFinish { slots.append(finish.milliseconds) }
            case .pending:
                break
            }
        }
        let pendingDurations = operations.filter { $0.state == .pending }.map(\.plannedDurationMilliseconds)
        if canceledAt == nil, !pendingDurations.isEmpty {
            // Pending hosts exist only while every slot is busy, or before the first host starts.
            if slots.isEmpty {
                slots = Array(repeating: startTime.milliseconds, count: min(concurrency, pendingDurations.count))
            }
            for duration in pendingDurations {
                let earliest = slots.indices.min { slots[$0] < slots[$1] }!
                slots[earliest] += duration
            }
        }
        for slot in slots where slot > end.milliseconds {
            end = Instant(milliseconds: slot)
        }
        return end
    }
}
