import FleetDomain
import FleetJSON

/// The unstable surface (`/api/unstable/fleet/...`): what datadog-api-client 2.57.0 calls.
extension FleetApplication {
    func handleUnstable(
        _ operation: Operation, input: RequestInput, caller: Credentials.ApplicationKey, now: Instant
    ) throws(FleetError) -> APIResponse {
        switch operation {
        case .listFleetAgentVersions:
            return .json(200, UnstableRendering.agentVersionsResponse(simulation.catalog))

        case .listFleetDeployments:
            let pageSize = try input.integer("page_size", default: 10, in: 1...100)
            let offset = try input.integer("page_offset", default: 0, in: 0...Int.max)
            let page = simulation.deployments(DeploymentListRequest(page: .offset(offset, size: pageSize))).page
            return .json(200, UnstableRendering.deploymentsResponse(page, totalCount: simulation.deployments.count))

        case .getFleetDeployment:
            let id = try input.identifier("deployment_id")
            let limit = try input.integer("limit", default: 50, in: 1...100)
            let page = try input.integer("page", default: 0, in: 0...Int.max)
            let key = "GetFleetDeployment \(id) \(page) \(limit)"
            if let cached = current.replyCache.reply(for: key, at: simulation.revision) { return .json(200, cached) }
            guard let deployment = simulation.deployment(id: id) else { throw FleetError.deploymentNotFound(id: id) }
            let body = UnstableRendering.deploymentResponse(
                deployment, hosts: .init(page: page, limit: limit), fleet: simulation)
            current.replyCache.store(body, for: key, at: simulation.revision)
            return .json(200, body)

        case .cancelFleetDeployment:
            let id = try input.identifier("deployment_id")
            try commit(try simulation.planCancel(deploymentID: id, now: now))
            return APIResponse(status: 204)

        case .listFleetSchedules:
            return .json(200, UnstableRendering.schedulesResponse(simulation.schedules))

        case .getFleetSchedule:
            let id = try input.identifier("id")
            guard let schedule = simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
            return .json(200, UnstableRendering.scheduleResponse(schedule))

        case .triggerFleetSchedule:
            let id = try input.identifier("id")
            let deployment = try commitDeployment(try simulation.planTrigger(
                scheduleID: id, by: caller.owner, forcedFailures: faults.forcedFailures(inOrg: current.id), now: now))
            return createdDeploymentResponse(deployment)

        case .createFleetDeploymentConfigure, .createFleetDeploymentUpgrade:
            let draft = operation == .createFleetDeploymentConfigure
                ? try DeploymentRequests.configure(from: input) : try DeploymentRequests.upgrade(from: input)
            let changes = try simulation.planDeployment(
                kind: draft.kind, filterQuery: draft.filterQuery, author: caller.owner,
                forcedFailures: faults.forcedFailures(inOrg: current.id), now: now)
            let deployment = try commitDeployment(changes)
            return createdDeploymentResponse(deployment)

        case .createFleetSchedule:
            let changes = try simulation.planCreateSchedule(
                try ScheduleRequests.draft(from: input), by: caller.owner, now: now)
            try commit(changes)
            guard case .scheduleCreated(let created) = changes.first, let schedule = simulation.schedule(id: created.id)
            else { throw FleetError.storageFailure(reason: "create produced no schedule") }
            return .json(201, UnstableRendering.scheduleResponse(schedule))

        case .updateFleetSchedule:
            let id = try input.identifier("id")
            try commit(try simulation.planUpdateSchedule(
                id: id, try ScheduleRequests.draft(from: input), by: caller.owner, now: now))
            guard let schedule = simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
            return .json(200, UnstableRendering.scheduleResponse(schedule))

        case .deleteFleetSchedule:
            let id = try input.identifier("id")
            try commit(try simulation.planDeleteSchedule(id: id))
            return APIResponse(status: 204)

        case .listFleetAgents:
            var request = try agentListRequest(input, sortDefault: .hostname)
            request.requiredTags = try input.list("tags").map(Tag.init(parsing:))
            let (page, filteredCount) = simulation.agents(request)
            return .json(200, AgentRendering.unstableList(page, filteredCount: filteredCount))

        case .getFleetAgentInfo:
            let key = try input.identifier("agent_key")
            guard let host = simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
            return .json(200, AgentRendering.unstableDetail(host))

        case .listFleetTracers:
            let (page, filteredCount) = simulation.tracers(try tracerListRequest(input, allowFilter: true))
            return .json(200, TracerRendering.list(page, filteredCount: filteredCount))

        case .listFleetAgentTracers:
            let key = try input.identifier("agent_key")
            let request = try tracerListRequest(input, allowFilter: false)
            guard let host = simulation.host(agentKey: key) else { throw FleetError.agentNotFound(key: key) }
            let (page, filteredCount) = simulation.tracers(on: host, request)
            return .json(200, TracerRendering.list(page, filteredCount: filteredCount))

        default:
            throw FleetError.routeNotFound(method: "GET", path: operation.rawValue)
        }
    }

    /// A created deployment with its first page of hosts (201). The page's versions are read from
    /// the fleet now; the body may render later, off the loop.
    private func createdDeploymentResponse(_ deployment: Deployment) -> APIResponse {
        let hosts = UnstableRendering.PageVersions(deployment, page: .init(page: 0, limit: 50), fleet: simulation)
        return deferredJSON(201) { UnstableRendering.deploymentResponse(deployment, hosts: hosts) }
    }

    // MARK: Parameters shared by both surfaces

    func agentListRequest(_ input: RequestInput, sortDefault: AgentSortAttribute) throws(FleetError) -> AgentListRequest {
        var request = AgentListRequest()
        request.pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
        request.pageSize = try input.integer("page_size", default: 10, in: 1...100)
        request.sort = try input.enumeration("sort_attribute", default: sortDefault)
        request.descending = try input.boolean("sort_descending", default: false)
        request.filter = try input.query("filter")
        return request
    }

    func tracerListRequest(_ input: RequestInput, allowFilter: Bool) throws(FleetError) -> TracerListRequest {
        var request = TracerListRequest()
        request.pageNumber = try input.integer("page_number", default: 0, in: 0...1_000_000_000)
        request.pageSize = try input.integer("page_size", default: 10, in: 1...100)
        request.sort = try input.enumeration("sort_attribute", default: .service)
        request.descending = try input.boolean("sort_descending", default: true)
        if allowFilter {
            request.filter = try input.query("filter", allowedKeys: ["service", "env", "language", "version", "hostname", "host"])
        }
        return request
    }
}
