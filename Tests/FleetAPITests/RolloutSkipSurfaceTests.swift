import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// Skipped hosts over both surfaces: status `skipped` per host on each, the v2 detail's
/// `skipped_hosts` and `status_details`, and the 409 rule beside the busy-host rule.
@Suite struct RolloutSkipSurfaceTests {
    private func hosts(_ api: APIHarness, unstable id: String) throws -> [String: JSONValue] {
        let body = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)"))
        let hosts = body["data"]?["attributes"]?["hosts"]?.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: hosts.map { ($0["hostname"]?.stringValue ?? "", $0) })
    }

    private func detail(_ api: APIHarness, _ id: String) throws -> JSONValue {
        try #require(try api.json(api.send("GET", "/api/v2/fleet/deployments/\(id)"))["data"]?["attributes"])
    }

    @Test func aTriggerBelowAHostsVersionSkipsItOnBothSurfaces() throws {
        let api = APIHarness()
        let id = try api.trigger(TestFleet.stagingSchedule.id)  // target 6.53.1
        let unstable = try hosts(api, unstable: id)
        let skipped = try #require(unstable["web-staging-1"])
        #expect(skipped["status"] == .string("skipped"))
        #expect(skipped["error"] == .string(""))
        let versions = skipped["versions"]?.arrayValue?.first
        #expect(versions?["initial_version"] == .string("7.51.0"))
        #expect(versions?["current_version"] == .string("7.51.0"))
        #expect(versions?["target_version"] == .string("6.53.1"))
        #expect(unstable["Win-Staging-2"]?["status"] == .string("pending"))

        _ = api.advanceClock(seconds: 3_600)
        let v2 = try detail(api, id)
        #expect(v2["skipped_hosts"] == .int(1))
        #expect(v2["succeeded_hosts"] == .int(1))
        #expect(v2["high_level_status"] == .string("completed"))
        let v2Host = v2["hosts"]?.arrayValue?.first { $0["hostname"] == .string("web-staging-1") }
        #expect(v2Host?["status"] == .string("skipped"))
        #expect(v2Host?["status_details"]?.stringValue?.contains("never moves a package down") == true)
        let agent = try api.json(api.send("GET", "/api/unstable/fleet/agents/\(TestFleet.key("web-staging-1"))"))
        #expect(agent["data"]?["attributes"]?["agent_infos"]?["agent_version"] == .string("7.51.0"))
    }

    @Test func aSecondTriggerSkipsTheHostsTheFirstIsWorkingOn() throws {
        let api = APIHarness()
        let first = try api.trigger()
        let second = try api.trigger()
        #expect(try hosts(api, unstable: second).values.allSatisfy { $0["status"] == .string("skipped") })
        let unstableSecond = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(second)"))
        #expect(unstableSecond["data"]?["attributes"]?["high_level_status"] == .string("completed"))
        let v2 = try detail(api, second)
        #expect(v2["skipped_hosts"] == .int(10) && v2["total_hosts"] == .int(10))
        #expect(
            v2["hosts"]?.arrayValue?.allSatisfy {
                $0["status_details"]?.stringValue?.contains("busy with another deployment") == true
            } == true)
        #expect(try detail(api, first)["skipped_hosts"] == .int(0))
        // The v2 list says it finished when it was created.
        let list = try api.json(api.send("GET", "/api/v2/fleet/deployments?filter=status:completed"))
        let item = list["data"]?.arrayValue?.first { $0["id"] == .string(second) }
        #expect(item?["attributes"]?["finished_at"] == .int(TestFleet.start.unixSeconds))
    }

    @Test func v2Answers409ForAHostBusyWithAnUpgradeAndSkipsOneBusyWithAConfigure() throws {
        let api = APIHarness()
        let configure =
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "#
            + #""config_operations": [{"file_op": "delete", "file_path": "/x.yaml"}]}}}"#
        #expect(api.send("POST", "/api/v2/fleet/deployments/configure", body: configure).status == 201)
        let upgrade =
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "#
            + #""target_packages": [{"name": "datadog-agent", "version": "7.53.0"}]}}}"#
        let created = api.send("POST", "/api/v2/fleet/deployments/upgrade", body: upgrade)
        #expect(created.status == 201)
        let id = try #require(try api.json(created)["data"]?["id"]?.stringValue)
        #expect(try detail(api, id)["skipped_hosts"] == .int(2))
        // Busy with an upgrade: v2 refuses (409), the unstable surface skips.
        let prod = upgrade.replacingOccurrences(of: "env:staging", with: "env:prod")
        #expect(api.send("POST", "/api/v2/fleet/deployments/upgrade", body: prod).status == 201)
        #expect(api.send("POST", "/api/v2/fleet/deployments/upgrade", body: prod).status == 409)
        let unstable = api.send("POST", "/api/unstable/fleet/deployments/upgrade", body: prod)
        #expect(unstable.status == 201)
        let unstableID = try #require(try api.json(unstable)["data"]?["id"]?.stringValue)
        #expect(try hosts(api, unstable: unstableID).values.allSatisfy { $0["status"] == .string("skipped") })
    }

    /// The dashboard's fleet view shows a host's operation in the newest deployment that acts on
    /// it: a later trigger that skipped the busy host does not hide the operation it is running.
    @Test func theFleetViewShowsTheOperationAHostIsBusyWithNotTheSkip() throws {
        let api = APIHarness()
        let first = try api.trigger()
        let second = try api.trigger()
        let view = try api.json(api.send("GET", "/__fleetmock/fleet", appKey: nil, apiKey: nil))
        let hosts = view["hosts"]?.arrayValue ?? []
        let targeted = hosts.filter { $0["deployment_id"] != nil && $0["deployment_id"] != .null }
        #expect(!targeted.isEmpty)
        #expect(targeted.allSatisfy { $0["deployment_id"]?.stringValue == first }, "none shows \(second)")
        #expect(targeted.allSatisfy { $0["operation"]?.stringValue != "skipped" })
    }
}
