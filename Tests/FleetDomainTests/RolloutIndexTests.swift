import FleetDomain
import FleetTestSupport
import Testing

/// The rollout keeps its facts (status, counts, next event, estimated end, timeline) incrementally.
/// At every step they must equal what a full scan of the operations computes (`ScanOracle`, the
/// definitions as they were before the index), and so must a deployment rebuilt from scratch.
@Suite struct RolloutIndexTests {
    let t0 = TestFleet.start

    /// The same deployment, its index rebuilt from scratch.
    func rebuilt(_ deployment: Deployment) -> Deployment {
        Deployment(
            id: deployment.id, sequence: deployment.sequence, kind: deployment.kind,
            filterQuery: deployment.filterQuery,
            createdAt: deployment.createdAt, canceledAt: deployment.canceledAt, scheduleID: deployment.scheduleID,
            author: deployment.author, concurrency: deployment.concurrency,
            startDelayMilliseconds: deployment.startDelayMilliseconds, operations: deployment.operations)
    }

    func expectSameFacts(_ deployment: Deployment, at second: Int64) {
        let fresh = rebuilt(deployment)
        let scan = ScanOracle(deployment)
        #expect(deployment.status == scan.status, "status at \(second) s")
        #expect(fresh.status == scan.status, "status after a rebuild at \(second) s")
        for state in HostOperationState.allCases {
            let scanned = deployment.operations.filter { $0.state == state }.count
            #expect(deployment.count(of: state) == scanned, "\(state) at \(second) s")
        }
        #expect(deployment.nextEventTime == scan.nextEventTime, "next event at \(second) s")
        #expect(deployment.estimatedEndTime == scan.estimatedEndTime, "estimated end at \(second) s")
        #expect(fresh.estimatedEndTime == scan.estimatedEndTime, "estimated end after a rebuild at \(second) s")
        #expect(deployment.startedAt == scan.startedAt, "started at \(second) s")
        #expect(deployment.finishedAt == scan.finishedAt, "finished at \(second) s")
        #expect(deployment.errorSummary == scan.errorSummary, "error summary at \(second) s")
    }

    @Test func incrementalFactsMatchARebuildThroughARolloutWithFailures() throws {
        var settings = TestFleet.settings
        settings.failureRate = 0.3
        var fleet = TestFleet.simulation(seed: 7, settings: settings)
        let id = try fleet.trigger(at: t0)
        let estimate = try #require(fleet.deployment(id: id)).estimatedEndTime
        for second in stride(from: Int64(0), through: 1_800, by: 7) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            expectSameFacts(try #require(fleet.deployment(id: id)), at: second)
        }
        let done = try #require(fleet.deployment(id: id))
        #expect(done.status == .failed)
        // The estimate made at creation is the rollout's real end: the rollout follows the plan.
        #expect(done.finishedAt == estimate)
        #expect(done.estimatedEndTime == estimate)
    }

    @Test func incrementalFactsMatchARebuildAfterACancelMidway() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 90))
        try fleet.cancel(id, at: t0.plus(seconds: 90))
        let canceled = try #require(fleet.deployment(id: id))
        #expect(canceled.status == .canceled)
        #expect(canceled.count(of: .canceled) > 0)
        expectSameFacts(canceled, at: 90)
        for second in stride(from: Int64(90), through: 900, by: 11) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            expectSameFacts(try #require(fleet.deployment(id: id)), at: second)
        }
        let settled = try #require(fleet.deployment(id: id))
        #expect(settled.count(of: .running) == 0)
        #expect(settled.nextEventTime == nil)
    }

    @Test func aDeploymentOfNoHostIsCompleteAtOnce() {
        let empty = Deployment(
            id: "00000000-0000-4000-8000-000000000001", sequence: 1,
            kind: .upgrade([PackageTarget(name: "datadog-agent", version: "7.53.0")]), filterQuery: "env:nowhere",
            createdAt: t0, concurrency: 3, startDelayMilliseconds: 5_000, operations: [])
        expectSameFacts(empty, at: 0)
        #expect(empty.status == .completed)
        #expect(empty.nextEventTime == nil)
    }

    @Test func zeroDurationsAndTiesFinishInPlanOrder() throws {
        var settings = TestFleet.settings
        settings.operationDuration = 0...1_000  // many ties, some instant operations
        settings.startDelayMilliseconds = 0
        var fleet = TestFleet.simulation(seed: 11, settings: settings)
        let id = try fleet.trigger(at: t0)
        for millisecond in stride(from: Int64(0), through: 6_000, by: 250) {
            _ = fleet.advance(to: t0.adding(milliseconds: millisecond))
            expectSameFacts(try #require(fleet.deployment(id: id)), at: millisecond / 1000)
        }
        let done = try #require(fleet.deployment(id: id))
        #expect(done.count(of: .pending) + done.count(of: .running) == 0)
        #expect(done.nextEventTime == nil)
    }

    @Test func aCanceledDeploymentEndsAtItsLastFinish() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        try fleet.cancel(id, at: t0.plus(seconds: 1))
        let canceled = try #require(fleet.deployment(id: id))
        #expect(canceled.estimatedEndTime == t0.plus(seconds: 1))
        #expect(canceled.finishedAt == t0.plus(seconds: 1))
        #expect(canceled.startedAt == nil)
    }
}

/// The facts computed by scanning every operation: the definitions FleetMock used before it kept
/// them incrementally, kept here as the reference.
struct ScanOracle {
    let deployment: Deployment
    init(_ deployment: Deployment) { self.deployment = deployment }
    var operations: [HostOperation] { deployment.operations }

    var status: DeploymentStatus {
        if deployment.canceledAt != nil { return .canceled }
        if operations.isEmpty { return .completed }
        var anyStarted = false
        var anyUnfinished = false
        var anyFailed = false
        for operation in operations {
            switch operation.state {
            case .pending: anyUnfinished = true
            case .running: anyStarted = true; anyUnfinished = true
            case .succeeded, .canceled: anyStarted = true
            case .failed: anyStarted = true; anyFailed = true
            case .skipped: break
            }
        }
        if !anyStarted { return anyUnfinished ? .pending : .completed }
        if anyUnfinished { return .running }
        return anyFailed ? .failed : .completed
    }

    var nextEventTime: Instant? {
        let anyStarted = operations.contains { $0.state != .pending && $0.state != .skipped }
        let anyPending = operations.contains { $0.state == .pending }
        if deployment.canceledAt == nil, anyPending, !anyStarted { return deployment.startTime }
        return operations.filter { $0.state == .running }.compactMap(\.plannedFinish).min()
    }

    var estimatedEndTime: Instant {
        var end = deployment.canceledAt ?? deployment.createdAt
        var slots: [Int64] = []
        for operation in operations {
            switch operation.state {
            case .succeeded, .failed, .canceled, .skipped:
                if let finished = operation.finishedAt, finished > end { end = finished }
            case .running:
                if let finish = operation.plannedFinish { slots.append(finish.milliseconds) }
            case .pending:
                break
            }
        }
        let pendingDurations = operations.filter { $0.state == .pending }.map(\.plannedDurationMilliseconds)
        if deployment.canceledAt == nil, !pendingDurations.isEmpty {
            if slots.isEmpty {
                slots = Array(
                    repeating: deployment.startTime.milliseconds,
                    count: min(deployment.concurrency, pendingDurations.count))
            }
            for duration in pendingDurations {
                let earliest = slots.indices.min { slots[$0] < slots[$1] }!
                slots[earliest] += duration
            }
        }
        for slot in slots where slot > end.milliseconds { end = Instant(milliseconds: slot) }
        return end
    }

    var startedAt: Instant? { operations.compactMap(\.startedAt).min() }

    var finishedAt: Instant? {
        guard !operations.isEmpty else { return deployment.canceledAt ?? deployment.createdAt }
        var latest: Instant?
        for operation in operations {
            guard operation.state.isFinished, let finished = operation.finishedAt else { return nil }
            if latest.map({ finished > $0 }) ?? true { latest = finished }
        }
        return latest
    }

    var errorSummary: String? {
        let failed = operations.filter { $0.state == .failed }
        guard let first = failed.first else { return nil }
        return "\(failed.count) of \(operations.count) hosts failed: \(first.error)"
    }
}
