import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// The /api/v2/fleet surface: its own shapes over the state the unstable surface also serves.
@Suite struct V2SurfaceTests {
    static let upgradeBody =
        #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "target_packages": [{"name": "datadog-agent", "version": "7.52.1"}]}}}"#
    static let configureBody =
        #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:prod AND service:web-*", "config_operations": [{"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "debug"}}]}}}"#

    @Test func upgradeAnswers201InTheV2ShapeAndASecondOneOnTheSameHostsIs409() throws {
        let api = APIHarness()
        let created = api.send("POST", "/api/v2/fleet/deployments/upgrade", body: Self.upgradeBody)
        #expect(created.status == 201)
        let data = try #require(try api.json(created)["data"])
        let attributes = try #require(data["attributes"])
        #expect(attributes["status"] == .string("pending"))
        #expect(attributes["update_type"] == .string("update_package"))
        #expect(attributes["target_versions"] == .array([.string("7.52.1")]))
        #expect(attributes["author"] == .string("a@example.com"))
        #expect(attributes["query"] == .string("env:staging"))
        #expect(attributes["is_scheduled"] == .bool(false))
        #expect(attributes["started_at"] == .int(0))
        let conflict = api.send("POST", "/api/v2/fleet/deployments/upgrade", body: Self.upgradeBody)
        #expect(conflict.status == 409)
        #expect(api.errorMessage(conflict)?.hasPrefix("Conflict: host ") == true)
        // The unstable surface does not refuse it: it has no 409.
        #expect(api.send("POST", "/api/unstable/fleet/deployments/upgrade", body: Self.upgradeBody).status == 201)
        // Once the first one is canceled and every host is done, upgrading again is fine.
        let id = try #require(data["id"]?.stringValue)
        #expect(api.send("POST", "/api/v2/fleet/deployments/\(id)/cancel").status == 200)
        _ = api.advanceClock(seconds: 3_600)
        #expect(api.send("POST", "/api/v2/fleet/deployments/upgrade", body: Self.upgradeBody).status == 201)
    }

    @Test func createNeedsAFilterQueryThatMatchesAHost() throws {
        let api = APIHarness()
        let missing =
            #"{"data": {"type": "deployment", "attributes": {"target_packages": [{"name": "datadog-agent", "version": "7.52.1"}]}}}"#
        let noFilter = api.send("POST", "/api/v2/fleet/deployments/upgrade", body: missing)
        #expect(api.errorMessage(noFilter) == "Bad request: data.attributes.filter_query is required")
        let nobody = api.send(
            "POST", "/api/v2/fleet/deployments/configure",
            body: Self.configureBody.replacingFirst("env:prod AND service:web-*", with: "service:nothing"))
        #expect(nobody.status == 400)
        #expect(api.errorMessage(nobody)?.contains("matches no host") == true)
        #expect(api.application.simulation.deployments.isEmpty)
    }

    @Test func dryRunAnswers200AndCreatesNothing() throws {
        let api = APIHarness()
        let body = Self.configureBody.replacingFirst(#""filter_query""#, with: #""dry_run": true, "filter_query""#)
        let response = api.send("POST", "/api/v2/fleet/deployments/configure", body: body)
        #expect(response.status == 200)
        #expect(
            try api.json(response)["data"]
                == .object([
                    "id": .string("dry-run"), "type": .string("deployment"),
                    "attributes": .object([
                        "query": .string("env:prod AND service:web-*"), "total_hosts": .int(8),
                        "dry_run": .object(["config_validated": .bool(true), "non_upgradable_hosts": .int(0)]),
                    ]),
                ]))
        #expect(api.application.simulation.deployments.isEmpty)
        #expect(api.persistence.persisted.isEmpty)
        #expect(api.send("POST", "/api/v2/fleet/deployments/configure", body: Self.configureBody).status == 201)
    }

    @Test func detailCountsHostsByStateAndTimesTheRollout() throws {
        let api = APIHarness()
        let id = try #require(
            try api.json(api.send("POST", "/api/v2/fleet/deployments/configure", body: Self.configureBody))["data"]?[
                "id"]?.stringValue)
        _ = api.advanceClock(seconds: 60)
        let running = try #require(
            try api.json(api.send("GET", "/api/v2/fleet/deployments/\(id)"))["data"]?["attributes"])
        #expect(running["high_level_status"] == .string("running"))
        let counts = ["succeeded_hosts", "failed_hosts", "running_hosts", "canceled_hosts", "skipped_hosts"].map {
            running[$0]?.intValue ?? -1
        }
        #expect(counts.allSatisfy { $0 >= 0 })
        #expect(running["running_hosts"] == .int(3))
        #expect(running["hosts"]?.arrayValue?.count == 8)
        #expect(
            running["hosts"]?.arrayValue?.contains { $0["running_step"] == .string("applying configuration") } == true)
        #expect(running["started_at"] == nil)  // the detail model has no started_at
        _ = api.advanceClock(seconds: 3_600)
        let done = try #require(try api.json(api.send("GET", "/api/v2/fleet/deployments/\(id)"))["data"]?["attributes"])
        #expect(done["high_level_status"] == .string("completed"))
        #expect(done["succeeded_hosts"] == .int(8))
        #expect((done["duration_seconds"]?.intValue ?? 0) > 0)
        let listed = try #require(
            try api.json(api.send("GET", "/api/v2/fleet/deployments"))["data"]?.arrayValue?.first?["attributes"])
        #expect(listed["status"] == .string("completed"))
        #expect(
            (listed["finished_at"]?.intValue ?? 0) - (listed["started_at"]?.intValue ?? 0)
                == done["duration_seconds"]?.intValue)
    }

    @Test func cancelAnswers200WithTheNewStatusAndIsVisibleOnTheUnstableSurface() throws {
        let api = APIHarness()
        let id = try api.trigger()
        _ = api.advanceClock(seconds: 30)
        let response = api.send("POST", "/api/v2/fleet/deployments/\(id)/cancel")
        #expect(response.status == 200)
        let data = try #require(try api.json(response)["data"])
        #expect(data["id"] == .string(id))
        #expect(data["type"] == .string("deployment"))
        #expect(data["attributes"]?["status"] == .string("canceled"))
        // "Deployment canceled: 6 pending host operations stopped, 3 interrupted; ...": both numbers
        // together are the hosts now canceled.
        let message = data["attributes"]?["message"]?.stringValue ?? ""
        let numbers = message.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
        let detail = try api.json(api.send("GET", "/api/v2/fleet/deployments/\(id)"))["data"]?["attributes"]
        #expect(message.hasPrefix("Deployment canceled: "), "\(message)")
        #expect(message.hasSuffix("nothing already applied was rolled back."))
        #expect(numbers.reduce(0, +) == detail?["canceled_hosts"]?.intValue, "\(message)")
        let unstable = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)"))
        #expect(unstable["data"]?["attributes"]?["high_level_status"] == .string("canceled"))
        #expect(api.send("POST", "/api/v2/fleet/deployments/\(id)/cancel").status == 400)
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 400)
        #expect(api.send("POST", "/api/v2/fleet/deployments/000-000-000/cancel").status == 404)
        #expect(api.send("POST", "/api/v2/fleet/deployments/not-a-valid-deployment-id/cancel").status == 400)
    }

    @Test func listFiltersSortsAndPages() throws {
        let api = APIHarness()
        let triggered = try api.trigger()
        let configured = try #require(
            try api.json(api.send("POST", "/api/v2/fleet/deployments/configure", body: Self.configureBody))["data"]?[
                "id"]?.stringValue)
        let newestFirst = try api.json(api.send("GET", "/api/v2/fleet/deployments"))
        #expect(newestFirst["data"]?.arrayValue?.map { $0["id"] } == [.string(configured), .string(triggered)])
        #expect(newestFirst["meta"]?["page"] == .object(["total_count": .int(2), "total_filtered_count": .int(2)]))
        let packages = try api.json(api.send("GET", "/api/v2/fleet/deployments?filter=update_type%3Aupdate_package"))
        #expect(packages["data"]?.arrayValue?.map { $0["id"] } == [.string(triggered)])
        #expect(
            packages["data"]?.arrayValue?.first?["attributes"]?["schedule_id"] == .string(TestFleet.prodSchedule.id))
        #expect(packages["data"]?.arrayValue?.first?["attributes"]?["is_scheduled"] == .bool(true))
        let bySize = try api.json(api.send("GET", "/api/v2/fleet/deployments?sort=total_hosts&ascending=true"))
        #expect(bySize["data"]?.arrayValue?.map { $0["id"] } == [.string(configured), .string(triggered)])
        let secondPage = try api.json(api.send("GET", "/api/v2/fleet/deployments?page_size=1&page_number=1"))
        #expect(secondPage["data"]?.arrayValue?.map { $0["id"] } == [.string(triggered)])
        #expect(api.send("GET", "/api/v2/fleet/deployments?sort=colour").status == 400)
        let badFilter = api.send("GET", "/api/v2/fleet/deployments?filter=env%3Aprod")
        #expect(api.errorMessage(badFilter)?.contains("unsupported field 'env'") == true)
    }

    @Test func schedulesAndAgentVersionsInTheV2Shape() throws {
        let api = APIHarness()
        let list = try api.json(api.send("GET", "/api/v2/fleet/schedules"))
        #expect(list["meta"]?["page"]?["total_count"] == .int(2))
        let schedule = try #require(list["data"]?.arrayValue?.first?["attributes"])
        #expect(schedule["created_at"] == .string("2026-01-01T00:00:00Z"))
        #expect(schedule["rule"]?["interval"] == .int(1))
        #expect(schedule["created_at_unix"] == nil)
        #expect(api.send("GET", "/api/v2/fleet/schedules/\(TestFleet.prodSchedule.id)").status == 200)
        #expect(api.send("GET", "/api/v2/fleet/schedules/000-000-000").status == 404)
        #expect(api.send("GET", "/api/v2/fleet/schedules/not-a-valid-schedule-id").status == 400)
        let versions = try api.json(api.send("GET", "/api/v2/fleet/agent_versions"))
        #expect(versions["meta"]?["page"]?["total_count"] == .int(Int64(TestFleet.catalog.versions.count)))
        #expect(versions["data"]?.arrayValue?.first?["attributes"]?["version"] != nil)
    }

    @Test func v2WritesNeedTheSamePermissionsAsTheirUnstableCounterparts() throws {
        let api = APIHarness()
        #expect(
            api.send("POST", "/api/v2/fleet/deployments/upgrade", appKey: APIHarness.upgradeKey, body: Self.upgradeBody)
                .status == 403)
        #expect(api.send("GET", "/api/v2/fleet/deployments", appKey: APIHarness.readOnlyKey).status == 200)
        #expect(api.send("POST", "/api/v2/fleet/deployments/x/cancel", appKey: APIHarness.readOnlyKey).status == 403)
    }
}
