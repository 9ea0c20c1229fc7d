import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Glibc
import Testing

/// Background commit: a pass's writes are noted, handed to the commit thread at the pass's end,
/// and the replies held for them go only when the thread reports the batch finished. The tests
/// drive the real thread; the store is touched only after its batch's outcome was collected.
@Suite struct BackgroundCommitTests {
    private func backgroundHarness() throws -> APIHarness {
        let api = APIHarness()
        api.application.groupsCommits = true
        api.persistence.committedState = TestFleet.simulation().snapshot
        let started = api.application.commitInBackground(finished: {})
        #expect(started)
        return api
    }

    /// Settles until the batch in flight has finished (the thread's report), within five seconds.
    private func settleUntilFinished(_ api: APIHarness) -> CommitSettlement? {
        for _ in 0..<5_000 {
            let settlement = api.application.settleCommits()
            if !settlement.finishedBatches.isEmpty { return settlement }
            usleep(1_000)
        }
        Issue.record("the commit thread never finished its batch")
        return nil
    }

    @Test func aPassesWritesAreCommittedByTheThreadAndTheirRepliesWaitForIt() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        let id = try api.trigger()
        // Noted, not written: the reply must be held.
        #expect(api.application.hasUncommittedWrites)
        #expect(api.persistence.open.isEmpty && api.persistence.persisted.isEmpty)

        guard case .sealForCommit = api.application.settleCommits().heldReplies else {
            Issue.record("the pass's end did not hand the writes over")
            return
        }
        #expect(api.application.hasUncommittedWrites)
        let settlement = try #require(settleUntilFinished(api))
        #expect(settlement.finishedBatches.count == 1)
        #expect(settlement.finishedBatches.first.map { $0 == nil } == true)
        guard case .send(let replacement) = settlement.heldReplies, replacement == nil else {
            Issue.record("nothing was left to commit, yet the held replies were not released")
            return
        }
        #expect(!api.application.hasUncommittedWrites)
        guard case .deploymentCreated(let stored)? = api.persistence.persisted.first?.first else {
            Issue.record("the trigger's deployment was not committed")
            return
        }
        #expect(stored.id == id)
    }

    @Test func writesDuringABatchInFlightWaitForTheNextOne() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        _ = try api.trigger()
        _ = api.application.settleCommits()
        // A read and a write while the first batch is in flight: held behind it.
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
        let second = try api.trigger()
        let settlement = try #require(settleUntilFinished(api))
        #expect(settlement.finishedBatches.count == 1)
        guard case .sealForCommit = settlement.heldReplies else {
            Issue.record("the second pass's writes were not handed over after the first batch")
            return
        }
        let next = try #require(settleUntilFinished(api))
        #expect(next.finishedBatches.count == 1 && next.finishedBatches[0] == nil)
        #expect(api.persistence.persisted.count == 2)
        guard case .deploymentCreated(let stored)? = api.persistence.persisted.last?.first else {
            Issue.record("the second trigger's deployment was not committed")
            return
        }
        #expect(stored.id == second)
    }

    @Test func aLostBatchFailsItsRepliesAndThoseHeldBehindIt() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        let first = try api.trigger()
        api.persistence.failNextCommit = true
        _ = api.application.settleCommits()
        // Built on the first deployment, which will be lost.
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(first)/cancel").status == 204)

        let settlement = try #require(settleUntilFinished(api))
        #expect(settlement.finishedBatches.count == 1)
        #expect(settlement.finishedBatches.first??.status == 500)
        guard case .send(let replacement) = settlement.heldReplies else {
            Issue.record("the replies held behind the lost batch were kept waiting")
            return
        }
        #expect(replacement?.status == 500)
        // Memory is what the store holds: no deployment, and the cancel was never written.
        #expect(api.application.simulation.deployments.isEmpty)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.isEmpty)

        // The next pass is unaffected.
        let third = try api.trigger()
        _ = api.application.settleCommits()
        let after = try #require(settleUntilFinished(api))
        #expect(after.finishedBatches.count == 1 && after.finishedBatches[0] == nil)
        #expect(api.application.simulation.deployments.map(\.id) == [third])
    }

    @Test func aFailedWriteTakesItsWholeBatchBack() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        _ = try api.trigger()
        _ = try api.trigger()
        // The first write of the batch fails on the thread: the second must not be committed alone.
        api.persistence.failNextWrite = true
        _ = api.application.settleCommits()
        let settlement = try #require(settleUntilFinished(api))
        #expect(settlement.finishedBatches.first??.status == 500)
        #expect(api.persistence.rollbacks == 1)
        #expect(api.persistence.persisted.isEmpty)
        #expect(api.application.simulation.deployments.isEmpty)
    }

    @Test func aControlOperationWaitsForTheBatchInFlight() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        _ = try api.trigger()
        _ = api.application.settleCommits()
        _ = try api.trigger()
        // Starts from a committed state: the batch in flight and the unwritten trigger are committed first.
        let health = api.send("GET", "/__fleetmock/health", appKey: nil, apiKey: nil)
        #expect(health.status == 200)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 2)
        // The batch it waited for is still reported, so its sealed replies go.
        let settlement = api.application.settleCommits()
        #expect(settlement.finishedBatches.count == 1)
        #expect(settlement.finishedBatches.first.map { $0 == nil } == true)
    }

    @Test func aCreatedDeploymentsBodyIsRenderedByTheThreadAsAReadRendersIt() throws {
        let api = try backgroundHarness()
        defer { api.application.stopCommittingInBackground() }
        let response = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(response.status == 201)
        let deferred = try #require(response.deferredBody, "the trigger's body was rendered on the loop")
        #expect(response.body.isEmpty)
        #expect(!deferred.isRendered)
        _ = api.application.settleCommits()
        _ = try #require(settleUntilFinished(api))
        #expect(deferred.isRendered)

        // What the thread rendered is what a read of the same page renders from the fleet.
        let id = try #require(api.application.simulation.deployments.last?.id)
        let read = api.send("GET", "/api/unstable/fleet/deployments/\(id)?page=0&limit=50")
        #expect(read.status == 200)
        #expect(!deferred.bytes.isEmpty)
        #expect(try JSONParser.parse(deferred.bytes) == JSONParser.parse(read.bodyBytes))
        // The journal shows it too.
        let journal = api.send("GET", "/__fleetmock/requests?operation=TriggerFleetSchedule", appKey: nil, apiKey: nil)
        let entry = try api.json(journal)["requests"]?.arrayValue?.first
        #expect(entry?["response_body"]?.stringValue == String(decoding: deferred.bytes, as: UTF8.self))
    }

    @Test func stoppingCommitsWhatIsLeft() throws {
        let api = try backgroundHarness()
        _ = try api.trigger()
        _ = api.application.settleCommits()
        _ = try api.trigger()
        api.application.stopCommittingInBackground()
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 2)
    }
}
