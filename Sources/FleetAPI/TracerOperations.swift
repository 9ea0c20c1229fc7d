import FleetDomain

// APM tracers found on the fleet's hosts (fleet-tracers-openapi.yaml).

/// `GET /api/unstable/fleet/tracers`
func listFleetTracers(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let (page, filteredCount) = call.org.simulation.tracers(try tracerListRequest(call.input, allowFilter: true))
    return .json(200, TracerRendering.list(page, filteredCount: filteredCount))
}

/// `GET /api/unstable/fleet/agents/{agent_key}/tracers`
func listFleetAgentTracers(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let key = try call.input.identifier("agent_key")
    let request = try tracerListRequest(call.input, allowFilter: false)
    guard let host = call.org.simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
    let (page, filteredCount) = call.org.simulation.tracers(on: host, request)
    return .json(200, TracerRendering.list(page, filteredCount: filteredCount))
}

private func tracerListRequest(_ input: RequestInput, allowFilter: Bool) throws(FleetError) -> TracerListRequest {
    var request = TracerListRequest()
    request.pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
    request.pageSize = try input.integer("page_size", default: 10, in: 1...100)
    request.sort = try input.enumeration("sort_attribute", default: .service)
    request.descending = try input.boolean("sort_descending", default: true)
    if allowFilter {
        request.filter = try input.query(
            "filter", allowedKeys: ["service", "env", "language", "version", "hostname", "host"])
    }
    return request
}
