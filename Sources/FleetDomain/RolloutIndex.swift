/// What the rollout needs to know about a deployment's host operations, kept in step with every
/// change, so that an event, a status or a page costs O(hosts running) rather than O(hosts): a
/// 100,000-host deployment advances and renders as fast as a 10-host one.
struct RolloutIndex: Sendable {
    /// Hosts in each state, indexed by `HostOperationState.ordinal`.
    private(set) var counts = [Int](repeating: 0, count: HostOperationState.allCases.count)
    /// Positions of the running operations, ascending.
    private(set) var runningPositions: [Int] = []
    /// No operation below this position is pending.
    private var pendingCursor = 0
    private(set) var earliestStart: Instant?
    private(set) var latestFinish: Instant?
    private(set) var firstFailedPosition: Int?
    /// When the last host finishes on the current plan, while the deployment is not canceled. The
    /// rollout follows the plan exactly (a finished host's slot goes to the next pending one), so
    /// the estimate holds from one event to the next; only a change from outside recomputes it.
    private(set) var plannedEnd: Instant
    private let createdAt: Instant
    private let startTime: Instant
    private let concurrency: Int

    init(operations: [HostOperation], createdAt: Instant, startTime: Instant, concurrency: Int) {
        self.createdAt = createdAt
        self.startTime = startTime
        self.concurrency = concurrency
        plannedEnd = createdAt
        rebuild(operations)
    }

    func count(of state: HostOperationState) -> Int { counts[state.ordinal] }

    /// The first pending position, moving the cursor past operations that left `pending`.
    mutating func firstPendingPosition(in operations: [HostOperation]) -> Int? {
        while pendingCursor < operations.count, operations[pendingCursor].state != .pending { pendingCursor += 1 }
        return pendingCursor < operations.count ? pendingCursor : nil
    }

    /// Records that the operation at `position` changed from `old` to its current value in
    /// `operations`. Rollout steps only move forward and are recorded in O(hosts running); a
    /// change from outside the rollout (`planChanged`), or one that takes back a start, a finish or
    /// a failure, recomputes everything.
    mutating func record(
        position: Int, from old: HostOperation.Progress, in operations: [HostOperation], planChanged: Bool
    ) {
        let new = operations[position].progress
        let takesBack =
            (old.startedAt != nil && old.startedAt != new.startedAt)
            || (old.finishedAt != nil && old.finishedAt != new.finishedAt)
            || (old.state == .failed && new.state != .failed)
        if takesBack || planChanged {
            rebuild(operations)
            return
        }
        counts[old.state.ordinal] -= 1
        counts[new.state.ordinal] += 1
        if old.state == .running, new.state != .running, let found = runningIndex(of: position) {
            runningPositions.remove(at: found)
        } else if old.state != .running, new.state == .running {
            runningPositions.insert(position, at: insertionIndex(of: position))
        }
        if new.state == .pending { pendingCursor = min(pendingCursor, position) }
        widenTimeline(with: new)
        if new.state == .failed, firstFailedPosition.map({ position < $0 }) ?? true { firstFailedPosition = position }
    }

    /// Recomputes everything from the operations: O(hosts × log concurrency).
    mutating func rebuild(_ operations: [HostOperation]) {
        counts = [Int](repeating: 0, count: HostOperationState.allCases.count)
        runningPositions = []
        pendingCursor = operations.count
        earliestStart = nil
        latestFinish = nil
        firstFailedPosition = nil
        // By position (see HostOperation).
        for position in operations.indices {
            let progress = operations[position].progress
            counts[progress.state.ordinal] += 1
            switch progress.state {
            case .running: runningPositions.append(position)
            case .pending: pendingCursor = min(pendingCursor, position)
            case .failed where firstFailedPosition == nil: firstFailedPosition = position
            default: break
            }
            widenTimeline(with: progress)
        }
        plannedEnd = Self.plannedEnd(
            of: operations, createdAt: createdAt, startTime: startTime, concurrency: concurrency)
    }

    /// When the last host will have finished if nothing is canceled: finished hosts at their finish
    /// time, running ones at their planned finish, pending ones as slots free up in order.
    static func plannedEnd(
        of operations: [HostOperation], createdAt: Instant, startTime: Instant, concurrency: Int
    ) -> Instant {
        var end = createdAt
        var slots = MinHeap<Int64>()
        var pendingCount = 0
        // By position (see HostOperation).
        for position in operations.indices {
            switch operations[position].state {
            case .succeeded, .failed, .canceled, .skipped:
                if let finished = operations[position].finishedAt, finished > end { end = finished }
            case .running:
                if let finish = operations[position].plannedFinish { slots.insert(finish.milliseconds) }
            case .pending:
                pendingCount += 1
            }
        }
        if pendingCount > 0 {
            // Pending hosts exist only while every slot is busy, or before the first host starts.
            if slots.isEmpty {
                for _ in 0..<min(concurrency, pendingCount) { slots.insert(startTime.milliseconds) }
            }
            for position in operations.indices where operations[position].state == .pending {
                let earliest = slots.removeFirst()!
                slots.insert(earliest + operations[position].plannedDurationMilliseconds)
            }
        }
        while let slot = slots.removeFirst() {
            if slot > end.milliseconds { end = Instant(milliseconds: slot) }
        }
        return end
    }

    /// Takes in an operation's start and finish: the first start and the last finish so far.
    private mutating func widenTimeline(with operation: HostOperation.Progress) {
        if let started = operation.startedAt, earliestStart.map({ started < $0 }) ?? true {
            earliestStart = started
        }
        if let finished = operation.finishedAt, latestFinish.map({ finished > $0 }) ?? true {
            latestFinish = finished
        }
    }

    private func runningIndex(of position: Int) -> Int? {
        let index = insertionIndex(of: position)
        return index < runningPositions.count && runningPositions[index] == position ? index : nil
    }

    /// Binary search: where `position` is or would go in `runningPositions`.
    private func insertionIndex(of position: Int) -> Int {
        var low = 0
        var high = runningPositions.count
        while low < high {
            let middle = (low + high) / 2
            if runningPositions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
