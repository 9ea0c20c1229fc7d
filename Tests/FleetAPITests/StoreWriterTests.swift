import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// The durability seam: each request's writes go to the writer thread as soon as they are planned,
/// and the pass's end waits for that thread's commit before any held reply goes. The tests drive
/// the real thread and end passes themselves; they read the store only after a pass's end, when
/// the thread is done with it.
@Suite struct StoreWriterTests {
    @Test func aPassesWritesAreCommittedByTheThreadBeforeItsRepliesGo() throws {
        let api = APIHarness(endsPasses: false)
        let first = try api.trigger()
        let second = try api.trigger()
        // Handed over, not committed: the replies must be held.
        #expect(api.application.hasUncommittedWrites)

        #expect(api.application.finishPass() == nil)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.open.isEmpty)
        let stored = api.persistence.persisted.compactMap { changes -> String? in
            guard case .deploymentCreated(let deployment)? = changes.first else { return nil }
            return deployment.id
        }
        #expect(stored == [first, second])
    }

    @Test func aCancelAloneIsCommittedAtThePassesEnd() throws {
        let api = APIHarness(endsPasses: false)
        let id = try api.trigger()
        #expect(api.application.finishPass() == nil)
        // A cancel is one statement, too light to wake the thread for: the commit brings it along.
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 204)
        #expect(api.application.hasUncommittedWrites)
        #expect(api.application.finishPass() == nil)
        guard case .deploymentCanceled(let canceled, _)? = api.persistence.persisted.last?.first else {
            Issue.record("the cancel was not committed")
            return
        }
        #expect(canceled == id)
    }

    @Test func readsHoldNothingWhenNothingIsUncommitted() {
        let api = APIHarness(endsPasses: false)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").status == 200)
        #expect(!api.application.hasUncommittedWrites)
    }

    @Test func aLostCommitFailsThePassAndReturnsToTheCommittedState() throws {
        let api = APIHarness(endsPasses: false)
        let first = try api.trigger()
        // Built on the first deployment, which will be lost with it.
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(first)/cancel").status == 204)
        api.persistence.failNextCommit = true

        let failure = try #require(api.application.finishPass())
        #expect(failure.reply.status == 500)
        #expect(api.application.simulation.deployments.isEmpty)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.isEmpty)

        // The next pass is unaffected.
        let third = try api.trigger()
        #expect(api.application.finishPass() == nil)
        #expect(api.application.simulation.deployments.map(\.id) == [third])
    }

    @Test func aFailedWriteTakesThePassesOtherWritesBack() throws {
        let api = APIHarness(endsPasses: false)
        // The first write fails on the thread: the second must not be committed alone.
        api.persistence.failNextWrite = true
        _ = try api.trigger()
        _ = try api.trigger()
        let failure = try #require(api.application.finishPass())
        #expect(failure.reply.status == 500)
        #expect(api.persistence.rollbacks == 1)
        #expect(api.persistence.persisted.isEmpty)
        #expect(api.application.simulation.deployments.isEmpty)
    }

    /// A fault in one org's storage never shows in another's: the org whose write failed loses its
    /// pass (and only its replies fail), the other org's writes of the same pass are committed and
    /// its replies stand.
    @Test func aFailedWriteInOneOrgLeavesTheOtherOrgsWritesAndReplies() throws {
        let api = APIHarness(endsPasses: false)
        let created = try api.json(api.send("POST", "/__fleetmock/orgs", appKey: nil, apiKey: nil))
        let orgID = try #require(created["org"]?.stringValue)
        let (orgAPIKey, orgAppKey) = (created["api_key"]?.stringValue, created["app_key"]?.stringValue)
        let orgStore = try #require(api.orgHosting.stores[orgID])

        // The default org's write fails on the thread; the other org's, in the same pass, was fine.
        api.persistence.failNextWrite = true
        let failed = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        let other = api.send(
            "POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger", appKey: orgAppKey,
            apiKey: orgAPIKey)
        #expect(other.status == 201)
        #expect(failed.commitGroup?.hasPrefix("default ") == true)
        #expect(other.commitGroup?.hasPrefix(orgID + " ") == true)
        let otherID = try #require(try api.json(other)["data"]?["id"]?.stringValue)

        let lost = try #require(api.application.finishPass())
        #expect(lost.commitGroups == [failed.commitGroup])
        #expect(lost.reply.status == 500)
        #expect(orgStore.rollbacks == 0)
        #expect(orgStore.persisted.count == 1)
        #expect(api.persistence.persisted.isEmpty)
        #expect(
            api.send("GET", "/api/unstable/fleet/deployments/\(otherID)", appKey: orgAppKey, apiKey: orgAPIKey).status
                == 200)
        #expect(api.application.simulation.deployments.isEmpty)
    }

    @Test func aControlOperationStartsFromACommittedState() throws {
        let api = APIHarness(endsPasses: false)
        _ = try api.trigger()
        let health = api.send("GET", "/__fleetmock/health", appKey: nil, apiKey: nil)
        #expect(health.status == 200)
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 1)
    }

    /// A control request commits mid-pass. If that commit loses an org's writes, the replies before
    /// it fail; a write the same org makes after it is a commit of its own, and its reply stands
    /// when that commit holds (it was answered 500 although kept).
    @Test func aLossMidPassFailsOnlyTheRepliesBeforeIt() throws {
        let api = APIHarness(endsPasses: false)
        let before = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(before.status == 201)
        api.persistence.failNextCommit = true
        #expect(api.send("GET", "/__fleetmock/health", appKey: nil, apiKey: nil).status == 200)
        let after = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.stagingSchedule.id)/trigger")
        #expect(after.status == 201)
        let afterID = try #require(try api.json(after)["data"]?["id"]?.stringValue)

        let lost = try #require(api.application.finishPass())
        let (beforeGroup, afterGroup) = (try #require(before.commitGroup), try #require(after.commitGroup))
        #expect(beforeGroup != afterGroup)
        #expect(lost.commitGroups == [beforeGroup])
        // The write after the loss was kept, as its reply says.
        #expect(api.application.simulation.deployments.map(\.id) == [afterID])
        #expect(api.persistence.persisted.count == 1)
    }

    /// A control request that writes (the clock, progress, a new org's policy) is answered only
    /// once its write is kept: a lost one fails it, and the org is as it was.
    @Test func aControlReplyFailsWithItsLostWrite() throws {
        let api = APIHarness()
        let clock = { try api.json(api.send("GET", "/__fleetmock/clock", appKey: nil, apiKey: nil))["now_unix_ms"] }
        let before = try clock()
        api.persistence.failNextCommit = true
        let advanced = api.send(
            "POST", "/__fleetmock/clock/advance", appKey: nil, apiKey: nil, body: #"{"seconds": 60}"#)
        #expect(advanced.status == 500)
        #expect(try clock() == before)
    }

    /// A new org's `progress` is read before its store is opened: a bad value is a 400 that seeds
    /// nothing (it seeded, then removed, a whole store).
    @Test func aBadProgressForANewOrgOpensNoStore() throws {
        let api = APIHarness()
        let created = api.send(
            "POST", "/__fleetmock/orgs", appKey: nil, apiKey: nil, body: #"{"progress": "sometimes"}"#)
        #expect(created.status == 400)
        #expect(api.orgHosting.opened == 0)
        #expect(
            api.send("POST", "/__fleetmock/orgs", appKey: nil, apiKey: nil, body: #"{"progress": "stepped"}"#).status
                == 201)
        #expect(api.orgHosting.opened == 1)
    }

    @Test func aCreatedDeploymentsBodyIsRenderedByTheThreadAsAReadRendersIt() throws {
        let api = APIHarness(endsPasses: false)
        let response = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(response.status == 201)
        let deferred = try #require(response.deferredBody, "the trigger's body was rendered on the loop")
        #expect(response.body.isEmpty)
        #expect(api.application.finishPass() == nil)
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
        let api = APIHarness(endsPasses: false)
        _ = try api.trigger()
        _ = try api.trigger()
        api.application.stop()
        #expect(!api.application.hasUncommittedWrites)
        #expect(api.persistence.persisted.count == 2)
    }
}

@Suite struct DeferredBodyTests {
    private final class Captured: Sendable {}

    @Test func renderingOnceLetsGoOfWhatItRendersFrom() {
        weak var captured: Captured?
        let body: DeferredBody
        do {
            let value = Captured()
            captured = value
            body = DeferredBody { withExtendedLifetime(value) { Array("rendered".utf8) } }
        }
        // Held until rendered (a deployment, for a created one's reply)...
        #expect(captured != nil)
        #expect(!body.isRendered)
        #expect(body.bytes == Array("rendered".utf8))
        // ...and not after: the journal keeps bodies long after their replies.
        #expect(captured == nil)
        #expect(body.bytes == Array("rendered".utf8))
    }

    @Test func theJournalCutsADeferredBodyOnceItIsRendered() {
        var journal = RequestJournal(capacity: 10, bodyLimit: 8)
        weak var kept: DeferredBody?
        func record(_ body: DeferredBody?) {
            journal.record(
                time: TestFleet.start, method: "POST", target: "/t", operation: nil, org: "default", status: 201,
                durationMicroseconds: 1, requestBody: [], responseBody: [], deferredResponseBody: body, nearMatch: nil,
                fault: nil)
        }
        do {
            let body = DeferredBody { Array(repeating: UInt8(ascii: "x"), count: 100) }
            kept = body
            record(body)
            _ = body.bytes  // rendered, as the writer thread does before the reply goes
        }
        // The journal held the whole body until the next request; then only its first 8 bytes.
        #expect(kept != nil)
        record(nil)
        #expect(kept == nil)
        let entries = journal.entries(matching: RequestJournal.Filter())
        #expect(entries.first?.responseBody == "xxxxxxxx…[92 more bytes]")
    }
}
