import FleetDomain
import FleetTestSupport
import Testing

/// The rollout keeps its facts (status, counts, next event, estimated end, timeline) incrementally.
/// At every step they must equal what a deployment built afresh from the same operations computes.
@Suite struct RolloutIndexTests {
    let t0 = TestFleet.start

    /// The same deployment, its index rebuilt from scratch.
    func rebuilt(_ deployment: Deployment) -> Deployment {
        Deployment(
            id: deployment.id, sequence: deployment.sequence, kind: deployment.kind, filterQuery: deployment.filterQuery,
            createdAt: deployment.createdAt, canceledAt: deployment.canceledAt, scheduleID: deployment.scheduleID,
            author: deployment.author, concurrency: deployment.concurrency,
            startDelayMilliseconds: deployment.startDelayMilliseconds, operations: deployment.operations)
    }

    func expectSameFacts(_ deployment: Deployment, at second: Int64) {
        let fresh = rebuilt(deployment)
        #expect(deployment.status == fresh.status, "status at \(second) s")
        for state in HostOperationState.allCases {
            let scanned = deployment.operations.filter { $0.state == state }.count
            #expect(deployment.count(of: state) == scanned, "\(state) at \(second) s")
        }
        #expect(deployment.nextEventTime == fresh.nextEventTime, "next event at \(second) s")
        #expect(deployment.estimatedEndTime == fresh.estimatedEndTime, "estimated end at \(second) s")
        #expect(deployment.startedAt == deployment.operations.compactMap(\.startedAt).min(), "started at \(second) s")
        #expect(deployment.finishedAt == fresh.finishedAt, "finished at \(second) s")
        #expect(deployment.errorSummary == fresh.errorSummary, "error summary at \(second) s")
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
