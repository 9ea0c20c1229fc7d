import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// CreateFleetDeploymentConfigure and CreateFleetDeploymentUpgrade on the unstable surface.
@Suite struct CreateDeploymentTests {
    static let configureBody = """
        {"data": {"type": "deployment", "attributes": {"filter_query": "env:prod AND service:web-*",
         "config_operations": [{"file_op": "merge-patch", "file_path": "/datadog.yaml",
                                "patch": {"log_level": "debug", "apm_config": {"enabled": true}}}]}}}
        """

    @Test func configureAnswers201AndPatchesEachHostWhenItSucceeds() throws {
        var api = APIHarness()
        let response = api.send("POST", "/api/unstable/fleet/deployments/configure", body: Self.configureBody)
        #expect(response.status == 201)
        let attributes = try #require(try api.json(response)["data"]?["attributes"])
        #expect(attributes["filter_query"] == .string("env:prod AND service:web-*"))
        #expect(attributes["total_hosts"] == .int(8))
        #expect(attributes["packages"] == nil)
        let operation = try #require(attributes["config_operations"]?.arrayValue?.first)
        #expect(operation["file_op"] == .string("merge-patch"))
        #expect(operation["patch"]?["log_level"] == .string("debug"))
        #expect(attributes["hosts"]?.arrayValue?.first?["versions"] == .array([]))

        api.wallNow = TestFleet.start
        _ = api.advanceClock(seconds: 3_600)
        let host = try #require(api.application.simulation.host(agentKey: TestFleet.key("web-prod-1")))
        #expect(
            host.configFiles["/datadog.yaml"]
                == .object([
                    "log_level": .string("debug"), "apm_config": .object(["enabled": .bool(true)]),
                ]))
        let untouched = try #require(api.application.simulation.host(agentKey: TestFleet.key("db-prod-1")))
        #expect(untouched.configFiles["/datadog.yaml"] == .object(["log_level": .string("info")]))
    }

    @Test func deleteOperationRemovesTheFile() throws {
        let api = APIHarness()
        let body =
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "hostname:web-prod-1", "config_operations": [{"file_op": "delete", "file_path": "/datadog.yaml"}]}}}"#
        #expect(api.send("POST", "/api/unstable/fleet/deployments/configure", body: body).status == 201)
        _ = api.advanceClock(seconds: 600)
        #expect(
            api.application.simulation.host(agentKey: TestFleet.key("web-prod-1"))?.configFiles["/datadog.yaml"] == nil)
    }

    @Test func upgradeAnswers201AndInstallsTheVersion() throws {
        let api = APIHarness()
        let body =
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "target_packages": [{"name": "datadog-agent", "version": "7.52.1"}]}}}"#
        let response = api.send("POST", "/api/unstable/fleet/deployments/upgrade", body: body)
        #expect(response.status == 201)
        let attributes = try #require(try api.json(response)["data"]?["attributes"])
        #expect(
            attributes["packages"]
                == .array([.object(["name": .string("datadog-agent"), "version": .string("7.52.1")])]))
        #expect(attributes["total_hosts"] == .int(2))
        _ = api.advanceClock(seconds: 600)
        #expect(api.application.simulation.host(agentKey: TestFleet.key("web-staging-1"))?.agentVersion == "7.52.1")
    }

    @Test(arguments: [
        (
            "configure", #"{"data": {"type": "deployment", "attributes": {"config_operations": []}}}"#,
            "data.attributes.config_operations must hold at least one operation"
        ),
        (
            "configure", #"{"data": {"type": "deployment", "attributes": {}}}"#,
            "data.attributes.config_operations is required"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"config_operations": [{"file_op": "replace", "file_path": "/a.yaml", "patch": {}}]}}}"#,
            "data.attributes.config_operations[0].file_op must be one of merge-patch, delete, got 'replace'"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"config_operations": [{"file_op": "merge-patch", "file_path": "datadog.yaml", "patch": {}}]}}}"#,
            "data.attributes.config_operations[0].file_path must be an absolute path"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"config_operations": [{"file_op": "merge-patch", "file_path": "/conf.d/../../etc/passwd", "patch": {}}]}}}"#,
            "must not contain '.' or '..' segments"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"config_operations": [{"file_op": "merge-patch", "file_path": "/a.yaml"}]}}}"#,
            "data.attributes.config_operations[0].patch is required when file_op is merge-patch"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"config_operations": [{"file_op": "merge-patch", "file_path": "/a.yaml", "patch": [1]}]}}}"#,
            "data.attributes.config_operations[0].patch must be an object"
        ),
        (
            "configure",
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:(", "config_operations": [{"file_op": "delete", "file_path": "/a.yaml"}]}}}"#,
            "invalid query 'env:('"
        ),
        (
            "configure",
            #"{"data": {"type": "schedule", "attributes": {"config_operations": [{"file_op": "delete", "file_path": "/a.yaml"}]}}}"#,
            "data.type must be 'deployment', got 'schedule'"
        ),
        (
            "upgrade",
            #"{"data": {"type": "deployment", "attributes": {"target_packages": [{"name": "datadog-agent", "version": "9.9.9"}]}}}"#,
            "data.attributes.target_packages[0].version '9.9.9' is not an available datadog-agent version"
        ),
        (
            "upgrade",
            #"{"data": {"type": "deployment", "attributes": {"target_packages": [{"name": "datadog-agent"}]}}}"#,
            "data.attributes.target_packages[0].version is required"
        ),
        (
            "upgrade", #"{"data": {"type": "deployment", "attributes": {"target_packages": []}}}"#,
            "data.attributes.target_packages must name at least one package"
        ),
        ("upgrade", #"{"data": {"type": "deployment"}}"#, "data.attributes is required"),
        (
            "upgrade", #"{"data": {"type": "deployment", "attributes": {"target_packages": "datadog-agent"}}}"#,
            "data.attributes.target_packages must be an array, not a string"
        ),
    ])
    func invalidBodiesAre400NamingTheFieldAndCreateNothing(kind: String, body: String, message: String) throws {
        let api = APIHarness()
        let response = api.send("POST", "/api/unstable/fleet/deployments/\(kind)", body: body)
        #expect(response.status == 400)
        #expect(
            api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? response.bodyText)")
        #expect(api.persistence.persisted.isEmpty)
        #expect(api.application.simulation.deployments.isEmpty)
    }

    @Test func bothNeedAgentUpgradeWriteAndFleetPoliciesWrite() throws {
        let api = APIHarness()
        let response = api.send(
            "POST", "/api/unstable/fleet/deployments/configure", appKey: APIHarness.upgradeKey,
            body: Self.configureBody)
        #expect(response.status == 403)
        #expect(api.errorMessage(response)?.contains("fleet_policies_write") == true)
        #expect(
            api.send("POST", "/api/unstable/fleet/deployments/upgrade", appKey: APIHarness.readOnlyKey, body: "{}")
                .status == 403)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/upgrade").status == 400)
    }
}
