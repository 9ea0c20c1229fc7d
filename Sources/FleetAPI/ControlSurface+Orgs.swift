import FleetDomain
import FleetJSON

/// Orgs: isolated tenants created on request, so parallel test suites never share state.
extension ControlSurface {
    /// `POST /__fleetmock/orgs` `{"name", "fixture", "progress", "app_keys"}` (all optional).
    static func createOrg(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let body = call.input.hasBody ? try call.body() : nil
        let org = try call.directory.create(body, wallNow: call.wallNow) { org, progress throws(FleetError) in
            if let progress {
                try call.commit(org.simulation.planProgressPolicy(progress, wall: call.wallNow), in: org)
            }
        }
        return .json(201, orgBody(org, includeKeys: true))
    }

    /// `GET /__fleetmock/orgs`: oldest first, the default org (without its keys) among them.
    static func listOrgs(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let orgs = call.directory.orgs.values.sorted {
            ($0.createdAt?.milliseconds ?? 0, $0.id) < ($1.createdAt?.milliseconds ?? 0, $1.id)
        }
        var writer = JSONWriter(reservingCapacity: 512 * orgs.count)
        writer.beginObject()
        writer.key("orgs")
        writer.beginArray()
        for org in orgs { writeOrg(org, includeKeys: org.id != Org.defaultID, into: &writer) }
        writer.endArray()
        writer.endObject()
        return .json(200, writer.bytes)
    }

    /// `DELETE /__fleetmock/orgs/{id}`: the org, its store and its faults.
    static func deleteOrg(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let id = call.input.parameters["id"].flatMap { $0 } ?? ""
        guard id != Org.defaultID else {
            throw FleetError.invalidField(path: "org", reason: "the default org cannot be deleted")
        }
        guard let org = call.directory.org(id: id) else { throw FleetError.orgNotFound(id: id) }
        try call.directory.delete(org)
        call.control.clearFaults(of: org)
        return APIResponse(status: 204)
    }

    private static func orgBody(_ org: Org, includeKeys: Bool) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writeOrg(org, includeKeys: includeKeys, into: &writer)
        return writer.bytes
    }

    private static func writeOrg(_ org: Org, includeKeys: Bool, into writer: inout JSONWriter) {
        let application = org.credentials.document["application_keys"]?.arrayValue ?? []
        writer.beginObject()
        if includeKeys {
            writer.field("api_key", org.credentials.apiKeyValues.sorted().first ?? "")
            // The first key holds every permission; the rest are the narrower ones asked for.
            let full = application.first { $0["permissions"]?.arrayValue?.count == OrgDirectory.permissions.count }
            writer.field("app_key", full?["key"]?.stringValue ?? "")
            writer.key("app_keys")
            writer.beginArray()
            for key in application {
                writer.beginObject()
                writer.field("key", key["key"]?.stringValue ?? "")
                writer.field("name", key["name"]?.stringValue ?? "")
                writer.field("permissions", key["permissions"] ?? .array([]))
                writer.endObject()
            }
            writer.endArray()
        }
        writer.field("deployments", org.simulation.deployments.count)
        writer.field("hosts", org.simulation.hosts.count)
        writer.field("org", org.id)
        writer.field("schedules", org.simulation.schedules.count)
        writer.endObject()
    }
}
