import FleetDomain

// Deployments: created from a query (configure, upgrade), listed, read and canceled, on both surfaces.

/// `GET /api/unstable/fleet/deployments`: newest first, by offset.
func listFleetDeployments(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let pageSize = try call.input.integer("page_size", default: 10, in: 1...100)
    let offset = try call.input.integer("page_offset", default: 0, in: 0...Int.max)
    let page = call.org.simulation.deployments(DeploymentListRequest(page: .offset(offset, size: pageSize))).page
    return .json(200, UnstableRendering.deploymentsResponse(page, totalCount: call.org.simulation.deployments.count))
}

/// `POST /api/unstable/fleet/deployments/configure`
func createFleetDeploymentConfigure(_ call: OperationCall) throws(FleetError) -> APIResponse {
    try createDeployment(try DeploymentRequests.configure(from: call.input), call)
}

/// `POST /api/unstable/fleet/deployments/upgrade`
func createFleetDeploymentUpgrade(_ call: OperationCall) throws(FleetError) -> APIResponse {
    try createDeployment(try DeploymentRequests.upgrade(from: call.input), call)
}

private func createDeployment(_ draft: DeploymentRequests.Draft, _ call: OperationCall) throws(FleetError)
    -> APIResponse
{
    let changes = try call.org.simulation.planDeployment(
        kind: draft.kind, filterQuery: draft.filterQuery, author: call.caller.owner,
        forcedFailures: call.forcedFailures, now: call.now)
    return createdDeploymentResponse(try call.commitDeployment(changes), call)
}

/// `GET /api/unstable/fleet/deployments/{deployment_id}`: a page of its hosts. The body is kept
/// until the org changes: dashboards poll the same page many times between changes.
func getFleetDeployment(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("deployment_id")
    let limit = try call.input.integer("limit", default: 50, in: 1...100)
    let page = try call.input.integer("page", default: 0, in: 0...Int.max)
    let key = "GetFleetDeployment \(id) \(page) \(limit)"
    let revision = call.org.simulation.revision
    if let cached = call.org.replyCache.reply(for: key, at: revision) { return .json(200, cached) }
    guard let deployment = call.org.simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
    let body = UnstableRendering.deploymentResponse(
        deployment, hosts: .init(page: page, limit: limit), fleet: call.org.simulation)
    call.org.replyCache.store(body, for: key, at: revision)
    return .json(200, body)
}

/// `POST /api/unstable/fleet/deployments/{deployment_id}/cancel`: pending hosts stop, running ones
/// may finish, nothing is rolled back.
func cancelFleetDeployment(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("deployment_id")
    try call.commit(try call.org.simulation.planCancel(deploymentID: id, now: call.now))
    return APIResponse(status: 204)
}

/// A created deployment with its first page of hosts (201). The page's versions are read from the
/// fleet now; the body renders later, on the writer thread.
func createdDeploymentResponse(_ deployment: Deployment, _ call: OperationCall) -> APIResponse {
    let hosts = UnstableRendering.PageVersions(deployment, page: .init(page: 0, limit: 50), fleet: call.org.simulation)
    return call.deferredJSON(201) { UnstableRendering.deploymentResponse(deployment, hosts: hosts) }
}

/// `GET /api/v2/fleet/deployments`: filtered, sorted, paged.
func listFleetDeploymentsV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let input = call.input
    let pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
    let pageSize = try input.integer("page_size", default: 10, in: 1...100)
    let sorted = try input.string("sort") != nil
    let sort = try input.enumeration("sort", default: DeploymentSortField.createdAt)
    // Newest first unless a sort field is given; `ascending` only applies with one.
    let ascending = try input.boolean("ascending", default: false) && sorted
    let filter = try input.query("filter", allowedKeys: DeploymentListRequest.filterFields)
    let (page, filteredCount) = call.org.simulation.deployments(
        DeploymentListRequest(
            filter: filter, sort: sort, ascending: ascending, page: .number(pageNumber, size: pageSize)))
    return .json(
        200,
        V2Rendering.deploymentsResponse(
            page, totalCount: call.org.simulation.deployments.count, filteredCount: filteredCount))
}

/// `POST /api/v2/fleet/deployments/configure`: with `dry_run`, only how many hosts it would target.
func createFleetDeploymentConfigureV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let draft = try DeploymentRequests.configure(from: call.input, filterQueryRequired: true)
    let changes = try planV2Deployment(draft, call)
    if draft.dryRun {
        guard case .deploymentCreated(let planned) = changes.first else {
            throw FleetError.storageFailure(reason: "the command produced no deployment")
        }
        return .json(200, V2Rendering.dryRunResponse(query: draft.filterQuery, totalHosts: planned.operations.count))
    }
    return .json(201, V2Rendering.deploymentResponse(try call.commitDeployment(changes)))
}

/// `POST /api/v2/fleet/deployments/upgrade`
func createFleetDeploymentUpgradeV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let draft = try DeploymentRequests.upgrade(from: call.input, filterQueryRequired: true)
    return .json(201, V2Rendering.deploymentResponse(try call.commitDeployment(try planV2Deployment(draft, call))))
}

private func planV2Deployment(_ draft: DeploymentRequests.Draft, _ call: OperationCall) throws(FleetError)
    -> [FleetChange]
{
    try call.org.simulation.planDeployment(
        kind: draft.kind, filterQuery: draft.filterQuery, author: call.caller.owner, rules: .v2,
        forcedFailures: call.forcedFailures, now: call.now)
}

/// `GET /api/v2/fleet/deployments/{deployment_id}`
func getFleetDeploymentV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("deployment_id")
    guard let deployment = call.org.simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
    return .json(200, V2Rendering.deploymentDetailResponse(deployment, fleet: call.org.simulation))
}

/// `POST /api/v2/fleet/deployments/{deployment_id}/cancel`: the deployment, with how many hosts
/// stopped, were interrupted and are finishing.
func cancelFleetDeploymentV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("deployment_id")
    let changes = try call.org.simulation.planCancel(deploymentID: id, now: call.now)
    guard let before = call.org.simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
    let interrupted = changes.count - 1  // one change per interrupted host, after the cancel itself
    try call.commit(changes)
    guard let after = call.org.simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
    return .json(
        200,
        V2Rendering.cancelResponse(
            after, interrupted: interrupted, stopped: before.count(of: .pending),
            finishing: before.count(of: .running) - interrupted))
}
