import FleetAPI
import FleetDomain
import FleetTestSupport
import Testing

/// Group commit: writes wait in their org's open batch until the transport ends the loop pass, and
/// a batch that cannot be committed takes its org back to the committed state and fails every
/// reply held for it.
@Suite struct GroupCommitTests {
    private func groupedHarness() -> APIHarness {
        let api = APIHarness()
        api.application.groupsCommits = true
        api.persistence.committedState = TestFleet.simulation().snapshot
        return api
    }

    @Test func writesWaitInTheBatchUntilThePassEnds() throws {
        let api = groupedHarness()
        #expect(!api.application.hasUncommittedWrites)
        let id = try api.trigger()
        #expect(api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.isEmpty)
        #expect(api.persistence.open.count == 1)

        #expect(api.application.finishPass() == nil)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.open.isEmpty)
        guard case .deploymentCreated(let stored)? = api.persistence.persisted.first?.first else {
            Issue.record("the trigger's deployment was not committed")
            return
        }
        #expect(stored.id == id)
    }

    @Test func readsWriteNothingAndHoldNothing() throws {
        let api = groupedHarness()
        let response = api.send("GET", "/api/unstable/fleet/schedules")
        #expect(response.status == 200)
        #expect(!api.application.hasUncommittedWrites)
    }

    @Test func aLostBatchFailsItsRepliesAndReturnsToTheCommittedState() throws {
        let api = groupedHarness()
        let first = try api.trigger()
        let second = try api.trigger()
        #expect(api.application.simulation.deployments.map(\.id) == [first, second])

        api.persistence.failNextCommit = true
        let failure = try #require(api.application.finishPass())
        #expect(failure.reply.status == 500)
        #expect(api.errorMessage(failure.reply)?.isEmpty == false)
        #expect(!api.application.hasUncommittedWrites)
        // Memory is what the store holds: neither deployment exists, for reads or for a cancel.
        #expect(api.application.simulation.deployments.isEmpty)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(first)").status == 404)
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(second)/cancel").status == 404)

        // The next pass is unaffected.
        let third = try api.trigger()
        #expect(api.application.finishPass() == nil)
        #expect(api.application.simulation.deployments.map(\.id) == [third])
    }

    @Test func aRefusedWriteInsideABatchChangesNothingAndLeavesTheOthers() throws {
        let api = groupedHarness()
        let kept = try api.trigger()
        api.persistence.failNextWrite = true
        let refused = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(refused.status == 500)
        #expect(api.application.simulation.deployments.map(\.id) == [kept])
        #expect(api.application.finishPass() == nil)
        #expect(api.persistence.persisted.count == 1)
    }

    @Test func aControlOperationStartsFromACommittedState() throws {
        let api = groupedHarness()
        _ = try api.trigger()
        #expect(api.application.hasUncommittedWrites)
        let health = api.send("GET", "/__fleetmock/health", appKey: nil, apiKey: nil)
        #expect(health.status == 200)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 1)
    }

    @Test func withoutGroupCommitEachWriteCommitsAtOnce() throws {
        let api = APIHarness()
        _ = try api.trigger()
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 1)
        #expect(api.persistence.open.isEmpty)
    }
}
