import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// CreateFleetSchedule, UpdateFleetSchedule and DeleteFleetSchedule on the unstable surface.
@Suite struct ScheduleWriteTests {
    static let validBody = """
        {"data": {"attributes": {"name": "Weekly Production Agent Updates", "query": "env:prod AND service:web",
         "rule": {"days_of_week": ["Mon", "Wed", "Fri"], "maintenance_window_duration": 1200,
                  "start_maintenance_window": "02:00", "timezone": "America/New_York"},
         "status": "active", "version_to_latest": 0}, "type": "schedule"}}
        """

    @Test func createAnswers201WithTheScheduleAndItIsListed() throws {
        let api = APIHarness()
        let response = api.send("POST", "/api/unstable/fleet/schedules", body: Self.validBody)
        #expect(response.status == 201)
        let data = try #require(try api.json(response)["data"])
        #expect(data["type"] == .string("schedule"))
        let id = try #require(data["id"]?.stringValue)
        let attributes = try #require(data["attributes"])
        #expect(attributes["name"] == .string("Weekly Production Agent Updates"))
        #expect(attributes["created_by"] == .string("a@example.com"))
        #expect(attributes["created_at_unix"] == .int(TestFleet.start.unixSeconds))
        #expect(attributes["rule"]?["timezone"] == .string("America/New_York"))
        #expect(attributes["rule"]?["maintenance_window_duration"] == .int(1200))
        let read = api.send("GET", "/api/unstable/fleet/schedules/\(id)")
        #expect(read.status == 200)
        #expect(read.body == response.body)
        let list = try api.json(api.send("GET", "/api/unstable/fleet/schedules"))
        #expect(list["data"]?.arrayValue?.last?["id"] == .string(id))
        #expect(api.persistence.persisted.count == 1)
    }

    @Test func createDefaultsStatusAndVersionStrategy() throws {
        let api = APIHarness()
        let body = """
            {"data": {"type": "schedule", "attributes": {"name": "n", "query": "env:qa",
             "rule": {"days_of_week": ["Sun"], "maintenance_window_duration": 60, "start_maintenance_window": "23:59",
                      "timezone": "UTC"}}}}
            """
        let attributes = try #require(
            try api.json(api.send("POST", "/api/unstable/fleet/schedules", body: body))["data"]?["attributes"])
        #expect(attributes["status"] == .string("active"))
        #expect(attributes["version_to_latest"] == .int(0))
    }

    @Test(arguments: [
        (#""name": "n", "#, "", "data.attributes.name is required"),
        (
            #""name": "n", "#, #""name": "n", "status": "paused", "#,
            "data.attributes.status must be one of active, inactive, got 'paused'"
        ),
        (
            #""name": "n", "#, #""name": "n", "version_to_latest": 3, "#,
            "data.attributes.version_to_latest must be 0, 1 or 2, got 3"
        ),
        (
            #""name": "n", "#, #""name": "n", "version_to_latest": "1", "#,
            "data.attributes.version_to_latest must be an integer, not a string"
        ),
        (#""name": "n", "#, #""name": "  ", "#, "data.attributes.name must not be empty"),
        (#""env:qa""#, #""env:(prod""#, "invalid query 'env:(prod'"),
        (#""query": "env:qa", "#, "", "data.attributes.query is required"),
    ])
    func createRejectsBadAttributesNamingTheField(target: String, replacement: String, message: String) throws {
        let api = APIHarness()
        let base =
            #"{"data": {"type": "schedule", "attributes": {"name": "n", "query": "env:qa", "rule": {"days_of_week": ["Sun"], "maintenance_window_duration": 60, "start_maintenance_window": "02:00", "timezone": "UTC"}}}}"#
        let body = base.replacingFirst(target, with: replacement)
        #expect(body != base)
        let response = api.send("POST", "/api/unstable/fleet/schedules", body: body)
        #expect(response.status == 400)
        #expect(
            api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? response.bodyText)")
        #expect(api.persistence.persisted.isEmpty)
    }

    @Test(arguments: [
        (
            #"{"days_of_week": ["Mon"], "maintenance_window_duration": 60, "start_maintenance_window": "24:00", "timezone": "UTC"}"#,
            "data.attributes.rule.start_maintenance_window must be a 24-hour time HH:MM, got '24:00'"
        ),
        (
            #"{"days_of_week": ["Mon"], "maintenance_window_duration": 60, "start_maintenance_window": "2:00", "timezone": "UTC"}"#,
            "start_maintenance_window must be a 24-hour time HH:MM"
        ),
        (
            #"{"days_of_week": ["Monday"], "maintenance_window_duration": 60, "start_maintenance_window": "02:00", "timezone": "UTC"}"#,
            "data.attributes.rule.days_of_week 'Monday' is not one of Mon, Tue, Wed, Thu, Fri, Sat, Sun"
        ),
        (
            #"{"days_of_week": [], "maintenance_window_duration": 60, "start_maintenance_window": "02:00", "timezone": "UTC"}"#,
            "days_of_week must name at least one day"
        ),
        (
            #"{"days_of_week": ["Mon"], "maintenance_window_duration": 0, "start_maintenance_window": "02:00", "timezone": "UTC"}"#,
            "maintenance_window_duration must be from 1 to 1440 minutes, got 0"
        ),
        (
            #"{"days_of_week": ["Mon"], "maintenance_window_duration": 60, "start_maintenance_window": "02:00", "timezone": "Mars/Olympus"}"#,
            "data.attributes.rule.timezone 'Mars/Olympus' is not an IANA time zone name"
        ),
        (
            #"{"days_of_week": ["Mon"], "start_maintenance_window": "02:00", "timezone": "UTC"}"#,
            "data.attributes.rule.maintenance_window_duration is required"
        ),
    ])
    func createValidatesTheRule(rule: String, message: String) throws {
        let api = APIHarness()
        let body = #"{"data": {"type": "schedule", "attributes": {"name": "n", "query": "env:qa", "rule": \#(rule)}}}"#
        let response = api.send("POST", "/api/unstable/fleet/schedules", body: body)
        #expect(response.status == 400)
        #expect(
            api.errorMessage(response)?.contains(message) == true, "\(api.errorMessage(response) ?? response.bodyText)")
    }

    @Test func createNeedsAgentUpgradeWriteAndAWellFormedEnvelope() throws {
        let api = APIHarness()
        #expect(
            api.send("POST", "/api/unstable/fleet/schedules", appKey: APIHarness.readOnlyKey, body: Self.validBody)
                .status == 403)
        #expect(
            api.send("POST", "/api/unstable/fleet/schedules", appKey: APIHarness.upgradeKey, body: Self.validBody)
                .status == 201)
        let wrongType = api.send(
            "POST", "/api/unstable/fleet/schedules",
            body: Self.validBody.replacingFirst(#""type": "schedule""#, with: #""type": "deployment""#))
        #expect(api.errorMessage(wrongType) == "Bad request: data.type must be 'schedule', got 'deployment'")
        #expect(api.errorMessage(api.send("POST", "/api/unstable/fleet/schedules", body: "[]")) != nil)
        #expect(api.send("POST", "/api/unstable/fleet/schedules", body: #"{"data": 5}"#).status == 400)
    }

    @Test func patchChangesOnlyTheGivenFieldsAndStampsTheUpdate() throws {
        var api = APIHarness()
        let id = TestFleet.prodSchedule.id
        api.wallNow = TestFleet.start.plus(seconds: 90)
        _ = api.advanceClock(seconds: 90)
        let response = api.send(
            "PATCH", "/api/unstable/fleet/schedules/\(id)", appKey: APIHarness.upgradeKey,
            body: #"{"data": {"type": "schedule", "attributes": {"status": "inactive"}}}"#)
        #expect(response.status == 200)
        let attributes = try #require(try api.json(response)["data"]?["attributes"])
        #expect(attributes["status"] == .string("inactive"))
        #expect(attributes["query"] == .string("env:prod"))
        #expect(attributes["name"] == .string("prod"))
        #expect(attributes["updated_by"] == .string("u@example.com"))
        #expect(attributes["created_by"] == .string("t@example.com"))
        #expect(attributes["updated_at_unix"] == .int(TestFleet.start.unixSeconds + 90))
    }

    @Test func patchValidatesBeforeLookingTheScheduleUp() throws {
        let api = APIHarness()
        let unknown = "00000000-0000-4000-8000-000000000000"
        let bad = api.send(
            "PATCH", "/api/unstable/fleet/schedules/\(unknown)",
            body: #"{"data": {"type": "schedule", "attributes": {"version_to_latest": 7}}}"#)
        #expect(bad.status == 400)
        let missing = api.send(
            "PATCH", "/api/unstable/fleet/schedules/\(unknown)",
            body: #"{"data": {"type": "schedule", "attributes": {"status": "active"}}}"#)
        #expect(missing.status == 404)
        #expect(api.send("PATCH", "/api/unstable/fleet/schedules/not-hex!", body: "{}").status == 400)
    }

    @Test func deleteAnswers204ThenTheScheduleIsGoneButItsDeploymentsStay() throws {
        let api = APIHarness()
        let deployment = try api.trigger()
        let id = TestFleet.prodSchedule.id
        let response = api.send("DELETE", "/api/unstable/fleet/schedules/\(id)")
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(api.send("GET", "/api/unstable/fleet/schedules/\(id)").status == 404)
        #expect(api.send("DELETE", "/api/unstable/fleet/schedules/\(id)").status == 404)
        #expect(api.send("POST", "/api/unstable/fleet/schedules/\(id)/trigger").status == 404)
        #expect(api.send("GET", "/api/unstable/fleet/deployments/\(deployment)").status == 200)
        let list = try api.json(api.send("GET", "/api/unstable/fleet/schedules"))
        #expect(list["data"]?.arrayValue?.map { $0["id"] } == [.string(TestFleet.stagingSchedule.id)])
        #expect(api.send("GET", "/api/unstable/fleet/schedules/\(TestFleet.stagingSchedule.id)").status == 200)
    }

    @Test func aRefusedWriteLeavesTheSchedulesAsTheyWere() throws {
        let api = APIHarness()
        let before = api.send("GET", "/api/unstable/fleet/schedules").body
        api.persistence.failNextWrite = true
        #expect(api.send("POST", "/api/unstable/fleet/schedules", body: Self.validBody).status == 500)
        api.persistence.failNextWrite = true
        #expect(api.send("DELETE", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)").status == 500)
        #expect(api.send("GET", "/api/unstable/fleet/schedules").body == before)
    }
}

extension String {
    /// Replaces the first occurrence of `target` (no Foundation in this target).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let characters = Array(self)
        let needle = Array(target)
        guard !needle.isEmpty, characters.count >= needle.count else { return self }
        for start in 0...(characters.count - needle.count)
        where Array(characters[start..<start + needle.count]) == needle {
            return String(characters[..<start]) + replacement + String(characters[(start + needle.count)...])
        }
        return self
    }
}
