import FleetDomain

// Agents and the Agent versions they can move to, on both surfaces.

/// `GET /api/unstable/fleet/agent_versions`
func listFleetAgentVersions(_ call: OperationCall) throws(FleetError) -> APIResponse {
    .json(200, UnstableRendering.agentVersionsResponse(call.org.simulation.catalog))
}

/// `GET /api/unstable/fleet/agents`
func listFleetAgents(_ call: OperationCall) throws(FleetError) -> APIResponse {
    var request = try agentListRequest(call.input, sortDefault: .hostname)
    request.requiredTags = try call.input.list("tags").map(Tag.init(parsing:))
    let (page, filteredCount) = call.org.simulation.agents(request)
    return .json(200, AgentRendering.unstableList(page, filteredCount: filteredCount))
}

/// `GET /api/unstable/fleet/agents/{agent_key}`
func getFleetAgentInfo(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let key = try call.input.identifier("agent_key")
    guard let host = call.org.simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
    return .json(200, AgentRendering.unstableDetail(host))
}

/// `GET /api/v2/fleet/agent_versions`
func listFleetAgentVersionsV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    .json(200, V2Rendering.agentVersionsResponse(call.org.simulation.catalog))
}

/// `GET /api/v2/fleet/agents`
func listFleetAgentsV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let request = try agentListRequest(call.input, sortDefault: .hostname)
    let tagKeys = try call.input.list("tags")
    let (page, filteredCount) = call.org.simulation.agents(request)
    return .json(
        200,
        AgentRendering.v2List(
            page, totalCount: call.org.simulation.hosts.count, filteredCount: filteredCount, tagKeys: tagKeys))
}

/// `GET /api/v2/fleet/agents/{agent_key}`
func getFleetAgentDetailV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let key = try call.input.agentKeyV2("agent_key")
    let include = Set(try call.input.list("include"))
    guard let host = call.org.simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
    return .json(
        200,
        AgentRendering.v2Detail(
            host, includeIntegrations: include.contains("integrations"),
            includeConfigurationFiles: include.contains("configuration_files")))
}

/// The paging, sort and filter parameters both surfaces' agent lists share.
private func agentListRequest(_ input: RequestInput, sortDefault: AgentSortAttribute) throws(FleetError)
    -> AgentListRequest
{
    var request = AgentListRequest()
    request.pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
    request.pageSize = try input.integer("page_size", default: 10, in: 1...100)
    request.sort = try input.enumeration("sort_attribute", default: sortDefault)
    request.descending = try input.boolean("sort_descending", default: false)
    request.filter = try input.query("filter")
    return request
}
