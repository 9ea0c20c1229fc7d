import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

@Suite struct TriggerFleetScheduleTests {
    @Test func answers201WithTheDocumentedDeploymentShape() throws {
        let api = APIHarness()
        let response = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(response.status == 201)
        #expect(response.header("Content-Type") == "application/json")
        let body = try api.json(response)
        let data = try #require(body["data"])
        #expect(data["type"] == .string("deployment"))
        let id = try #require(data["id"]?.stringValue)
        #expect(id.count == 36)
        let attributes = try #require(data["attributes"])
        #expect(attributes["filter_query"] == .string("env:prod"))
        #expect(attributes["high_level_status"] == .string("pending"))
        #expect(attributes["total_hosts"] == .int(10))
        #expect(
            attributes["packages"]
                == .array([.object(["name": .string("datadog-agent"), "version": .string("7.53.0")])]))
        #expect(attributes["config_operations"] == nil)
        #expect(attributes["estimated_end_time_unix"]?.intValue ?? 0 > TestFleet.start.unixSeconds)
        let hosts = try #require(attributes["hosts"]?.arrayValue)
        #expect(hosts.count == 10)
        let db = try #require(hosts.first { $0["hostname"] == .string("db-prod-1") })
        #expect(db["status"] == .string("pending"))
        #expect(db["error"] == .string(""))
        #expect(
            db["versions"]
                == .array([
                    .object([
                        "package_name": .string("datadog-agent"), "initial_version": .string("6.53.0"),
                        "current_version": .string("6.53.0"), "target_version": .string("7.53.0"),
                    ])
                ]))
        #expect(
            body["meta"]?["hosts"]
                == .object([
                    "current_page": .int(0), "page_size": .int(50), "total_hosts": .int(10), "total_pages": .int(1),
                ]))
    }

    @Test func persistsTheNewDeploymentBeforeAnswering() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let created = api.persistence.persisted.flatMap { $0 }.contains {
            if case .deploymentCreated(let deployment) = $0 { return deployment.id == id }
            return false
        }
        #expect(created)
    }

    @Test func unknownScheduleIs404AndMalformedIdIs400() {
        let api = APIHarness()
        let missing = api.send("POST", "/api/unstable/fleet/schedules/00000000-0000-4000-8000-000000000000/trigger")
        #expect(missing.status == 404)
        #expect(api.errorMessage(missing) == "Not found: schedule 00000000-0000-4000-8000-000000000000 does not exist")
        let malformed = api.send("POST", "/api/unstable/fleet/schedules/abc-def-ghi-123/trigger")
        #expect(malformed.status == 400)
        #expect(api.errorMessage(malformed)?.contains("abc-def-ghi-123") == true)
    }

    @Test func aFailedWriteAnswers500AndChangesNothing() throws {
        let api = APIHarness()
        api.persistence.failNextWrite = true
        let response = api.send("POST", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)/trigger")
        #expect(response.status == 500)
        #expect(api.errorMessage(response)?.contains("disk full") == false)
        #expect(api.application.simulation.deployments.isEmpty)
        let list = try api.json(api.send("GET", "/api/unstable/fleet/deployments"))
        #expect(list["data"] == .array([]))
    }
}

@Suite struct CancelFleetDeploymentTests {
    @Test func answers204WithAnEmptyBodyAndStopsPendingHosts() throws {
        var api = APIHarness()
        let id = try api.trigger()
        api.wallNow = api.wallNow.plus(seconds: 1)
        let response = api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel")
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        let detail = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)"))
        #expect(detail["data"]?["attributes"]?["high_level_status"] == .string("canceled"))
        let statuses = detail["data"]?["attributes"]?["hosts"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        #expect(statuses == Array(repeating: "canceled", count: 10))
    }

    @Test func aDeploymentReadBeforeAndAfterACancelShowsEachState() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let path = "/api/unstable/fleet/deployments/\(id)?limit=5"
        let before = api.send("GET", path)
        #expect(api.send("GET", path).body == before.body)  // unchanged state, same reply
        #expect(try api.json(before)["data"]?["attributes"]?["high_level_status"] == .string("pending"))
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 204)
        let after = try api.json(api.send("GET", path))
        #expect(after["data"]?["attributes"]?["high_level_status"] == .string("canceled"))
        // Another page of the same deployment is its own reply.
        let second = try api.json(api.send("GET", "/api/unstable/fleet/deployments/\(id)?limit=5&page=1"))
        #expect(second["meta"]?["hosts"]?["current_page"] == .int(1))
    }

    @Test func cancelingACanceledDeploymentIs400() throws {
        let api = APIHarness()
        let id = try api.trigger()
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel").status == 204)
        let again = api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel")
        #expect(again.status == 400)
        #expect(
            api.errorMessage(again)
                == "Bad request: deployment \(id) is canceled; only pending or running deployments can be canceled")
    }

    @Test func idsAreCaseInsensitive() throws {
        let api = APIHarness()
        let id = try api.trigger()
        #expect(api.send("POST", "/api/unstable/fleet/deployments/\(id.uppercased())/cancel").status == 204)
    }

    @Test func upgradeOnlyKeyLacksFleetPoliciesWrite() throws {
        let api = APIHarness()
        let id = try api.trigger()
        let response = api.send("POST", "/api/unstable/fleet/deployments/\(id)/cancel", appKey: APIHarness.upgradeKey)
        #expect(response.status == 403)
        #expect(
            api.errorMessage(response) == "Forbidden: CancelFleetDeployment requires the permissions "
                + "agent_upgrade_write, fleet_policies_write; this application key lacks fleet_policies_write")
        #expect(api.application.simulation.deployment(id: id)?.status == .pending)
    }
}
