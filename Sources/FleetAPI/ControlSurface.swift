import FleetDomain
import FleetJSON

/// FleetMock's own surface (`/__fleetmock/`), what a test double's user drives: health, readiness,
/// routes, the dashboard, the clock and progress, resets, orgs, snapshots, the request journal and
/// faults. No credentials, no rate limit; never journaled or faulted. Holds what exists only for
/// it: the journal, the fault book and the dashboard's page. Its handlers are the functions the
/// route table binds (this file and its extensions).
final class ControlSurface {
    var journal: RequestJournal
    var faults = FaultBook()
    /// The live dashboard's page, served at /__fleetmock/ui; nil when not found.
    var dashboardPage: [UInt8]?

    init(journal: RequestJournal) {
        self.journal = journal
    }

    /// `GET /__fleetmock/health`
    static func health(_ call: ControlCall) throws(FleetError) -> APIResponse {
        _ = try call.namedOrg()
        return .json(200, Array(#"{"status":"ok"}"#.utf8))
    }

    /// `GET /__fleetmock/ready`: serving at all means the fixtures are loaded and the store is open.
    static func ready(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        return .json(200, countsBody(of: org, status: "ready"))
    }

    /// `GET /__fleetmock/routes`: every route with its operation, permissions and surface.
    static func routes(_ call: ControlCall) throws(FleetError) -> APIResponse {
        _ = try call.namedOrg()
        return .json(200, routesBody)
    }

    /// `GET /__fleetmock/ui`
    static func dashboard(_ call: ControlCall) throws(FleetError) -> APIResponse {
        guard let page = call.control.dashboardPage else {
            throw FleetError.invalidField(
                path: "ui", reason: "the dashboard page (ui/index.html) was not found at start")
        }
        return APIResponse(
            status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: page)
    }

    /// `GET /__fleetmock/requests`: the journal, filtered.
    static func listRequests(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let input = call.input
        let journal = call.control.journal
        var filter = RequestJournal.Filter()
        filter.operation = try input.string("operation")
        filter.method = try input.string("method")
        if input.has("status") { filter.status = try input.integer("status", default: 0, in: 100...599) }
        // Every entry kept unless a limit is asked for; `?org=` also selects that org's entries.
        filter.limit = try input.integer("limit", default: journal.capacity, in: 0...journal.capacity)
        if input.has("org") { filter.org = org.id }
        if let since = try input.string("since") {
            guard let instant = ISO8601.parse(since) ?? Int64(since).map(Instant.init(milliseconds:)) else {
                throw FleetError.invalidParameter(
                    name: "since", reason: "must be an RFC 3339 time or Unix milliseconds, got '\(since)'")
            }
            filter.since = instant
        }
        return .json(200, journal.render(journal.entries(matching: filter)))
    }

    /// `DELETE /__fleetmock/requests`
    static func clearRequests(_ call: ControlCall) throws(FleetError) -> APIResponse {
        _ = try call.namedOrg()
        call.control.journal.clear()
        return APIResponse(status: 204)
    }

    static let routesBody: [UInt8] = {
        var writer = JSONWriter(reservingCapacity: 8192)
        writer.beginObject()
        writer.key("routes")
        writer.beginArray()
        for route in Route.table {
            writer.beginObject()
            writer.field("method", route.method)
            writer.field("operation", route.operation.rawValue)
            writer.field("path", route.path)
            writer.key("permissions")
            writer.beginArray()
            for permission in route.requiredPermissions { writer.string(permission) }
            writer.endArray()
            writer.field("surface", route.operation.surface.rawValue)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }()

    /// The org's hosts, schedules and deployments counted, with a status (ready, reset, restored).
    static func countsBody(of org: Org, status: String, orgs: Int? = nil) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("deployments", org.simulation.deployments.count)
        writer.field("hosts", org.simulation.hosts.count)
        if let orgs { writer.field("orgs", orgs) }
        writer.field("schedules", org.simulation.schedules.count)
        writer.field("status", status)
        writer.endObject()
        return writer.bytes
    }
}

@available(*, unavailable)
extension ControlSurface: Sendable {}

/// What a control handler is given: its input, the wall clock's now, and the application whose
/// orgs and writes it acts on.
struct ControlCall {
    let input: RequestInput
    let wallNow: Instant
    let application: FleetApplication

    var control: ControlSurface { application.control }
    var directory: OrgDirectory { application.directory }

    /// The org `?org=ID` names; the default one without.
    func namedOrg() throws(FleetError) -> Org {
        guard let id = try input.string("org") else { return directory.defaultOrg }
        guard let org = directory.org(id: id) else { throw FleetError.orgNotFound(id: id) }
        return org
    }

    /// Runs the org's rollout events due by now, so what the handler reads or changes is current.
    func advance(_ org: Org) {
        application.advance(org, wallNow: wallNow)
    }

    func commit(_ changes: [FleetChange], in org: Org) throws(FleetError) {
        try application.commit(changes, in: org)
    }

    /// The request's JSON object body, as fields.
    func body() throws(FleetError) -> JSONFields {
        try JSONFields(try input.jsonObject(), path: "")
    }
}

@available(*, unavailable)
extension ControlCall: Sendable {}
