import FleetDomain
import FleetJSON

/// An org's whole state: back to its fixtures, saved as a document, restored from one, and the
/// compact view of every host the dashboard draws.
extension ControlSurface {
    /// `POST /__fleetmock/reset`: every org back to its fixtures, the journal and every fault
    /// cleared; with `?org=`, that org alone (its faults too).
    static func reset(_ call: ControlCall) throws(FleetError) -> APIResponse {
        guard call.input.has("org") else {
            let orgs = call.directory.orgs.values.sorted { $0.id < $1.id }
            for org in orgs { try reset(org, call) }
            call.control.journal.clear()
            call.control.faults.clear()
            return .json(200, countsBody(of: call.directory.defaultOrg, status: "reset", orgs: orgs.count))
        }
        let org = try call.namedOrg()
        try reset(org, call)
        return .json(200, countsBody(of: org, status: "reset", orgs: 1))
    }

    private static func reset(_ org: Org, _ call: ControlCall) throws(FleetError) {
        let fixtures = try org.loadFixtures()
        try org.persistence.replaceAll(with: fixtures)
        org.replaceSimulation(with: fixtures)
        org.rateLimiter = RateLimiter(settings: org.rateLimiter.settings)
        call.control.clearFaults(of: org)
    }

    /// `GET` or `POST /__fleetmock/snapshot`: the org's whole state as one document.
    static func snapshot(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        call.advance(org)
        return .json(200, org.simulation.snapshot.document.serialized)
    }

    /// `POST /__fleetmock/restore`: the org's state replaced by a snapshot document, or unchanged.
    static func restore(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let document = try call.input.jsonObject()
        let snapshot: FleetSnapshot
        do {
            snapshot = try FleetSnapshot(
                document: document, defaultClock: org.simulation.clock, defaultSeed: org.simulation.random.state)
        } catch {
            throw FleetError.invalidField(path: error.path, reason: error.reason)
        }
        try org.persistence.replaceAll(with: snapshot)
        org.replaceSimulation(with: snapshot)
        call.advance(org)
        return .json(200, countsBody(of: org, status: "restored"))
    }

    /// `GET /__fleetmock/fleet[?filter=QUERY]`: every host in one compact list, for the dashboard.
    static func fleetView(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        call.advance(org)
        let filter = try call.input.query("filter")
        return .json(200, fleetViewBody(org.simulation, filter: filter, filtered: call.input.has("filter")))
    }

    /// What a tile shows, the state of the host's operation in the newest deployment that acts on it
    /// (one that skipped it only when none other did: a later trigger skipping a busy host must not
    /// hide its running operation), and whether it matches `filter`.
    private static func fleetViewBody(_ fleet: FleetSimulation, filter: HostQuery, filtered: Bool) -> [UInt8] {
        var latest: [String: (deployment: String, state: HostOperationState)] = [:]
        for deployment in fleet.deployments.reversed() {
            for operation in deployment.operations {
                if let seen = latest[operation.hostKey], seen.state != .skipped || operation.state == .skipped {
                    continue
                }
                latest[operation.hostKey] = (deployment.id, operation.state)
            }
        }
        var writer = JSONWriter(reservingCapacity: 160 * fleet.hosts.count + 256)
        writer.beginObject()
        writer.key("hosts")
        writer.beginArray()
        var matching = 0
        for host in fleet.hosts {
            writer.beginObject()
            writer.field("agent_key", host.agentKey)
            writer.field("agent_version", host.agentVersion ?? "")
            writer.field("env", host.tagValues("env").first ?? "")
            writer.field("hostname", host.hostname)
            if filtered {
                let matches = filter.matches(host)
                if matches { matching += 1 }
                writer.field("matches", matches)
            }
            if let operation = latest[host.agentKey] {
                writer.field("deployment_id", operation.deployment)
                writer.field("operation", operation.state.rawValue)
            }
            writer.field("service", host.tagValues("service").first ?? "")
            writer.endObject()
        }
        writer.endArray()
        if filtered { writer.field("matching", matching) }
        writer.field("total", fleet.hosts.count)
        writer.endObject()
        return writer.bytes
    }
}
