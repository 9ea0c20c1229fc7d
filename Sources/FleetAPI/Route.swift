import FleetDomain

/// One row of the route table: a method and path template, the operation they name, and how the
/// request is let in and handled. Adding an operation is one row here plus the function it names.
public struct Route: Sendable {
    public let method: String
    public let path: String
    public let operation: Operation
    let access: Access

    /// Who may call the route, and the function that answers it.
    enum Access: Sendable {
        /// A Datadog operation: both keys, every permission listed (the spec's `x-permission`,
        /// operator AND), the rate limit, then the handler in the caller's org.
        case api(requires: [Permission], handler: @Sendable (OperationCall) throws(FleetError) -> APIResponse)
        /// FleetMock's own control surface: no credentials, no rate limit, never faulted or journaled.
        case control(handler: @Sendable (ControlCall) throws(FleetError) -> APIResponse)
    }

    /// The permissions Datadog's application keys carry, as the spec names them.
    public enum Permission: String, Sendable, CaseIterable {
        case hostsRead = "hosts_read"
        case agentUpgradeWrite = "agent_upgrade_write"
        case fleetPoliciesWrite = "fleet_policies_write"
    }

    static func api(
        _ method: String, _ path: String, _ operation: Operation, requires: [Permission],
        _ handler: @escaping @Sendable (OperationCall) throws(FleetError) -> APIResponse
    ) -> Route {
        Route(method: method, path: path, operation: operation, access: .api(requires: requires, handler: handler))
    }

    static func control(
        _ method: String, _ path: String, _ operation: Operation,
        _ handler: @escaping @Sendable (ControlCall) throws(FleetError) -> APIResponse
    ) -> Route {
        Route(method: method, path: path, operation: operation, access: .control(handler: handler))
    }

    /// The permissions the route requires (none on the control surface).
    public var requiredPermissions: [String] {
        guard case .api(let permissions, _) = access else { return [] }
        return permissions.map(\.rawValue)
    }
}

extension Route {
    private static let read: [Permission] = [.hostsRead]
    /// Deployments change hosts' packages and files: both write permissions.
    private static let deploy: [Permission] = [.agentUpgradeWrite, .fleetPoliciesWrite]
    private static let schedule: [Permission] = [.agentUpgradeWrite]

    /// Every route FleetMock serves. The one table the router, `/__fleetmock/routes`, the README's
    /// operation list and the spec check come from. The v2 surface keeps its unstable counterpart's
    /// permissions.
    public static let table: [Route] = [
        api(
            "GET", "/api/unstable/fleet/agent_versions", .listFleetAgentVersions, requires: read, listFleetAgentVersions
        ),
        api("GET", "/api/unstable/fleet/agents", .listFleetAgents, requires: read, listFleetAgents),
        api("GET", "/api/unstable/fleet/agents/{agent_key}", .getFleetAgentInfo, requires: read, getFleetAgentInfo),
        api(
            "GET", "/api/unstable/fleet/agents/{agent_key}/tracers", .listFleetAgentTracers, requires: read,
            listFleetAgentTracers),
        api("GET", "/api/unstable/fleet/deployments", .listFleetDeployments, requires: read, listFleetDeployments),
        api(
            "POST", "/api/unstable/fleet/deployments/configure", .createFleetDeploymentConfigure, requires: deploy,
            createFleetDeploymentConfigure),
        api(
            "POST", "/api/unstable/fleet/deployments/upgrade", .createFleetDeploymentUpgrade, requires: deploy,
            createFleetDeploymentUpgrade),
        api(
            "GET", "/api/unstable/fleet/deployments/{deployment_id}", .getFleetDeployment, requires: read,
            getFleetDeployment),
        api(
            "POST", "/api/unstable/fleet/deployments/{deployment_id}/cancel", .cancelFleetDeployment, requires: deploy,
            cancelFleetDeployment),
        api("GET", "/api/unstable/fleet/schedules", .listFleetSchedules, requires: read, listFleetSchedules),
        api("POST", "/api/unstable/fleet/schedules", .createFleetSchedule, requires: schedule, createFleetSchedule),
        api("GET", "/api/unstable/fleet/schedules/{id}", .getFleetSchedule, requires: read, getFleetSchedule),
        api(
            "PATCH", "/api/unstable/fleet/schedules/{id}", .updateFleetSchedule, requires: schedule, updateFleetSchedule
        ),
        api(
            "DELETE", "/api/unstable/fleet/schedules/{id}", .deleteFleetSchedule, requires: schedule,
            deleteFleetSchedule),
        api(
            "POST", "/api/unstable/fleet/schedules/{id}/trigger", .triggerFleetSchedule, requires: schedule,
            triggerFleetSchedule),
        api("GET", "/api/unstable/fleet/tracers", .listFleetTracers, requires: read, listFleetTracers),
        api("GET", "/api/v2/fleet/agent_versions", .listFleetAgentVersionsV2, requires: read, listFleetAgentVersionsV2),
        api("GET", "/api/v2/fleet/agents", .listFleetAgentsV2, requires: read, listFleetAgentsV2),
        api("GET", "/api/v2/fleet/agents/{agent_key}", .getFleetAgentDetailV2, requires: read, getFleetAgentDetailV2),
        api("GET", "/api/v2/fleet/deployments", .listFleetDeploymentsV2, requires: read, listFleetDeploymentsV2),
        api(
            "POST", "/api/v2/fleet/deployments/configure", .createFleetDeploymentConfigureV2, requires: deploy,
            createFleetDeploymentConfigureV2),
        api(
            "POST", "/api/v2/fleet/deployments/upgrade", .createFleetDeploymentUpgradeV2, requires: deploy,
            createFleetDeploymentUpgradeV2),
        api(
            "GET", "/api/v2/fleet/deployments/{deployment_id}", .getFleetDeploymentV2, requires: read,
            getFleetDeploymentV2),
        api(
            "POST", "/api/v2/fleet/deployments/{deployment_id}/cancel", .cancelFleetDeploymentV2, requires: deploy,
            cancelFleetDeploymentV2),
        api("GET", "/api/v2/fleet/schedules", .listFleetSchedulesV2, requires: read, listFleetSchedulesV2),
        api("GET", "/api/v2/fleet/schedules/{id}", .getFleetScheduleV2, requires: read, getFleetScheduleV2),
        control("GET", "/__fleetmock/health", .controlHealth, ControlSurface.health),
        control("GET", "/__fleetmock/ready", .controlReady, ControlSurface.ready),
        control("GET", "/__fleetmock/ui", .controlDashboard, ControlSurface.dashboard),
        control("GET", "/__fleetmock/fleet", .controlFleetView, ControlSurface.fleetView),
        control("GET", "/__fleetmock/routes", .controlRoutes, ControlSurface.routes),
        control("GET", "/__fleetmock/requests", .controlListRequests, ControlSurface.listRequests),
        control("DELETE", "/__fleetmock/requests", .controlClearRequests, ControlSurface.clearRequests),
        control("POST", "/__fleetmock/faults", .controlAddFault, ControlSurface.addFault),
        control("GET", "/__fleetmock/faults", .controlListFaults, ControlSurface.listFaults),
        control("DELETE", "/__fleetmock/faults", .controlClearFaults, ControlSurface.clearFaults),
        control("DELETE", "/__fleetmock/faults/{id}", .controlRemoveFault, ControlSurface.removeFault),
        control("GET", "/__fleetmock/clock", .controlGetClock, ControlSurface.getClock),
        control("POST", "/__fleetmock/clock/advance", .controlAdvanceClock, ControlSurface.advanceClock),
        control("POST", "/__fleetmock/clock/freeze", .controlFreezeClock, ControlSurface.freezeClock),
        control("POST", "/__fleetmock/clock/resume", .controlResumeClock, ControlSurface.resumeClock),
        control("POST", "/__fleetmock/clock/set", .controlSetClock, ControlSurface.setClock),
        control("GET", "/__fleetmock/progress", .controlGetProgress, ControlSurface.getProgress),
        control("POST", "/__fleetmock/progress", .controlSetProgress, ControlSurface.setProgress),
        control("POST", "/__fleetmock/reset", .controlReset, ControlSurface.reset),
        control("POST", "/__fleetmock/orgs", .controlCreateOrg, ControlSurface.createOrg),
        control("GET", "/__fleetmock/orgs", .controlListOrgs, ControlSurface.listOrgs),
        control("DELETE", "/__fleetmock/orgs/{id}", .controlDeleteOrg, ControlSurface.deleteOrg),
        control("GET", "/__fleetmock/snapshot", .controlSnapshot, ControlSurface.snapshot),
        control("POST", "/__fleetmock/snapshot", .controlSnapshot, ControlSurface.snapshot),
        control("POST", "/__fleetmock/restore", .controlRestore, ControlSurface.restore),
    ]
}
