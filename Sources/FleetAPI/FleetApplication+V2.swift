import FleetDomain
import FleetJSON

/// The v2 surface (`/api/v2/fleet/...`): what datadog-api-client 2.58.0 and later call. It reads
/// and changes the same state as the unstable surface, rendered in v2's own schemas.
extension FleetApplication {
    func handleV2(
        _ operation: Operation, input: RequestInput, caller: Credentials.ApplicationKey, now: Instant
    ) throws(FleetError) -> APIResponse {
        switch operation {
        case .listFleetAgentVersionsV2:
            return .json(200, V2Rendering.agentVersionsResponse(simulation.catalog))

        case .listFleetAgentsV2:
            let request = try agentListRequest(input, sortDefault: .hostname)
            let tagKeys = try input.list("tags")
            let (page, filteredCount) = simulation.agents(request)
            return .json(200, AgentRendering.v2List(
                page, totalCount: simulation.hosts.count, filteredCount: filteredCount, tagKeys: tagKeys))

        case .getFleetAgentDetailV2:
            let key = try input.agentKeyV2("agent_key")
            let include = Set(try input.list("include"))
            guard let host = simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
            return .json(200, AgentRendering.v2Detail(
                host, includeIntegrations: include.contains("integrations"),
                includeConfigurationFiles: include.contains("configuration_files")))

        case .listFleetDeploymentsV2:
            let pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
            let pageSize = try input.integer("page_size", default: 10, in: 1...100)
            let sorted = try input.string("sort") != nil
            let sort = try input.enumeration("sort", default: DeploymentSortField.createdAt)
            // Newest first unless a sort field is given; `ascending` only applies with one.
            let ascending = try input.boolean("ascending", default: false) && sorted
            let filter = try input.query("filter", allowedKeys: DeploymentListRequest.filterFields)
            let (page, filteredCount) = simulation.deployments(DeploymentListRequest(
                filter: filter, sort: sort, ascending: ascending, page: .number(pageNumber, size: pageSize)))
            return .json(200, V2Rendering.deploymentsResponse(
                page, totalCount: simulation.deployments.count, filteredCount: filteredCount))

        case .createFleetDeploymentConfigureV2, .createFleetDeploymentUpgradeV2:
            let draft = operation == .createFleetDeploymentConfigureV2
                ? try DeploymentRequests.configure(from: input, filterQueryRequired: true)
                : try DeploymentRequests.upgrade(from: input, filterQueryRequired: true)
            let changes = try simulation.planDeployment(
                kind: draft.kind, filterQuery: draft.filterQuery, author: caller.owner, rules: .v2,
                forcedFailures: faults.forcedFailures(inOrg: current.id), now: now)
            if draft.dryRun, operation == .createFleetDeploymentConfigureV2 {
                guard case .deploymentCreated(let planned) = changes.first else {
                    throw FleetError.storageFailure(reason: "the command produced no deployment")
                }
                return .json(200, V2Rendering.dryRunResponse(query: draft.filterQuery, totalHosts: planned.operations.count))
            }
            return .json(201, V2Rendering.deploymentResponse(try commitDeployment(changes)))

        case .getFleetDeploymentV2:
            let id = try input.identifier("deployment_id")
            guard let deployment = simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
            return .json(200, V2Rendering.deploymentDetailResponse(deployment, fleet: simulation))

        case .cancelFleetDeploymentV2:
            let id = try input.identifier("deployment_id")
            let changes = try simulation.planCancel(deploymentID: id, now: now)
            guard let before = simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
            let interrupted = changes.count - 1  // one change per interrupted host, after the cancel itself
            try commit(changes)
            guard let after = simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
            return .json(200, V2Rendering.cancelResponse(
                after, interrupted: interrupted, stopped: before.count(of: .pending),
                finishing: before.count(of: .running) - interrupted))

        case .listFleetSchedulesV2:
            return .json(200, V2Rendering.schedulesResponse(simulation.schedules))

        case .getFleetScheduleV2:
            let id = try input.identifier("id")
            guard let schedule = simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
            return .json(200, V2Rendering.scheduleResponse(schedule))

        default:
            throw FleetError.routeNotFound(method: "GET", path: operation.rawValue)
        }
    }
}
