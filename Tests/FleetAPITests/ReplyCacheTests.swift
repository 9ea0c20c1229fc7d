import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

@testable import FleetAPI

/// GetFleetDeployment keeps the replies it rendered for the simulation's revision: a poll between
/// two changes gets the same bytes, and no poll after a change, or after the whole state was
/// replaced, gets a reply of the state before.
@Suite struct ReplyCacheTests {
    static let replacedError = "Disk full (a replaced state)"

    func control(_ api: APIHarness, _ method: String, _ target: String, body: String? = nil) -> APIResponse {
        api.send(method, target, appKey: nil, apiKey: nil, body: body)
    }

    /// The deployment's `high_level_status` and its hosts' statuses and errors, from a fresh GET.
    func polled(_ api: APIHarness, _ id: String, query: String = "") throws -> (status: String?, hosts: [[String?]]) {
        let response = api.send("GET", "/api/unstable/fleet/deployments/\(id)\(query)")
        #expect(response.status == 200)
        let attributes = try api.json(response)["data"]?["attributes"]
        let hosts = attributes?["hosts"]?.arrayValue?.map { [$0["status"]?.stringValue, $0["error"]?.stringValue] }
        return (attributes?["high_level_status"]?.stringValue, hosts ?? [])
    }

    @Test func aPollAfterEachChangeShowsTheChange() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let path = "/api/unstable/fleet/deployments/\(id)"
        let first = api.send("GET", path)
        #expect(api.send("GET", path).bodyBytes == first.bodyBytes)
        #expect(try polled(api, id).status == "pending")
        #expect(try polled(api, id, query: "?limit=2").hosts == [["pending", ""], ["pending", ""]])

        #expect(api.advanceClock(seconds: 6).status == 200)  // three hosts start
        let started = try polled(api, id)
        #expect(started.status == "running")
        #expect(started.hosts.filter { $0[0] == "running" }.count == 3)
        #expect(try polled(api, id, query: "?limit=2").hosts == [["running", ""], ["running", ""]])

        #expect(api.send("POST", "\(path)/cancel").status == 204)
        let canceled = try polled(api, id)
        #expect(canceled.status == "canceled")
        #expect(!canceled.hosts.contains { $0[0] == "running" || $0[0] == "pending" })
    }

    /// A finished deployment's snapshot document, and the same with its failed host's error replaced:
    /// two states of one shape, which a simulation reaches at the same revision.
    func finishedStates(_ api: APIHarness) throws -> (id: String, original: String, replaced: String) {
        let id = try api.trigger()
        #expect(api.advanceClock(seconds: 3_600).status == 200)  // every host done; bad-prod-1 failed
        let error = try #require(try polled(api, id).hosts.first { $0[0] == "failed" }?[1])
        let original = control(api, "POST", "/__fleetmock/snapshot").bodyText
        let replaced = original.replacing(error, with: Self.replacedError)
        try #require(replaced != original)
        return (id, original, replaced)
    }

    @Test func aRestoredStateIsNotServedTheRepliesOfTheStateItReplaced() throws {
        let api = APIHarness()
        let (id, original, replaced) = try finishedStates(api)
        #expect(control(api, "POST", "/__fleetmock/restore", body: original).status == 200)
        #expect(try !polled(api, id).hosts.contains { $0[1] == Self.replacedError })
        let revision = api.application.simulation.revision

        #expect(control(api, "POST", "/__fleetmock/restore", body: replaced).status == 200)
        // What makes this test bite: the new state is at the revision the reply was rendered at.
        #expect(api.application.simulation.revision == revision)
        #expect(try polled(api, id).hosts.contains { $0[1] == Self.replacedError })

        #expect(control(api, "POST", "/__fleetmock/reset").status == 200)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(id)").status == 404)
    }

    @Test func aReturnToTheCommittedStateIsNotServedTheRepliesOfTheLostBatch() throws {
        let api = APIHarness(endsPasses: false)
        let (id, original, replaced) = try finishedStates(api)
        #expect(api.application.finishPass() == nil)
        api.persistence.committedState = try FleetSnapshot(
            document: JSONParser.parse(Array(original.utf8)), defaultClock: api.application.simulation.clock,
            defaultSeed: 0)
        #expect(control(api, "POST", "/__fleetmock/restore", body: replaced).status == 200)
        #expect(api.application.finishPass() == nil)
        #expect(try polled(api, id).hosts.contains { $0[1] == Self.replacedError })
        let revision = api.application.simulation.revision

        api.persistence.failNextCommit = true
        _ = try api.trigger(TestFleet.stagingSchedule.id)
        #expect(api.application.finishPass()?.reply.status == 500)
        // What makes this test bite: the committed state is at the revision the reply was rendered at.
        #expect(api.application.simulation.revision == revision)
        #expect(try !polled(api, id).hosts.contains { $0[1] == Self.replacedError })
    }

    @Test func theCacheKeepsOneRevisionsReplies() {
        var cache = ReplyCache()
        cache.store([1], for: "a", at: 3)
        cache.store([2], for: "b", at: 3)
        #expect(cache.reply(for: "a", at: 3) == [1])
        #expect(cache.reply(for: "b", at: 3) == [2])
        #expect(cache.reply(for: "c", at: 3) == nil)
        #expect(cache.reply(for: "a", at: 4) == nil)
        // Emptied at the new revision, so an old one cannot bring its replies back.
        #expect(cache.reply(for: "a", at: 3) == nil)
        cache.store([3], for: "a", at: 5)
        #expect(cache.reply(for: "b", at: 5) == nil)
        #expect(cache.reply(for: "a", at: 5) == [3])
    }

    @Test func theCacheIsBounded() {
        var cache = ReplyCache()
        for index in 0..<200 { cache.store([UInt8(index)], for: "k\(index)", at: 1) }
        let kept = (0..<200).filter { cache.reply(for: "k\($0)", at: 1) != nil }.count
        #expect(kept > 0 && kept <= ReplyCache.limit)
        #expect(cache.reply(for: "k199", at: 1) == [199])
    }
}
