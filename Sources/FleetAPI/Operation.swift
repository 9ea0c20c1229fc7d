/// The operations FleetMock serves, named by the spec's operationId, with what each requires.
public enum Operation: String, Sendable, CaseIterable {
    // Datadog Fleet Automation, unstable surface (fleet-automation-openapi.yaml).
    case listFleetAgentVersions = "ListFleetAgentVersions"
    case listFleetAgents = "ListFleetAgents"
    case getFleetAgentInfo = "GetFleetAgentInfo"
    case listFleetDeployments = "ListFleetDeployments"
    case createFleetDeploymentConfigure = "CreateFleetDeploymentConfigure"
    case createFleetDeploymentUpgrade = "CreateFleetDeploymentUpgrade"
    case getFleetDeployment = "GetFleetDeployment"
    case cancelFleetDeployment = "CancelFleetDeployment"
    case listFleetSchedules = "ListFleetSchedules"
    case createFleetSchedule = "CreateFleetSchedule"
    case getFleetSchedule = "GetFleetSchedule"
    case updateFleetSchedule = "UpdateFleetSchedule"
    case deleteFleetSchedule = "DeleteFleetSchedule"
    case triggerFleetSchedule = "TriggerFleetSchedule"
    // Tracers, unstable surface (fleet-tracers-openapi.yaml).
    case listFleetTracers = "ListFleetTracers"
    case listFleetAgentTracers = "ListFleetAgentTracers"
    // The v2 surface of datadog-api-client 2.58.0 and later.
    case listFleetAgentVersionsV2 = "ListFleetAgentVersionsV2"
    case listFleetAgentsV2 = "ListFleetAgentsV2"
    case getFleetAgentDetailV2 = "GetFleetAgentDetailV2"
    case listFleetDeploymentsV2 = "ListFleetDeploymentsV2"
    case createFleetDeploymentConfigureV2 = "CreateFleetDeploymentConfigureV2"
    case createFleetDeploymentUpgradeV2 = "CreateFleetDeploymentUpgradeV2"
    case getFleetDeploymentV2 = "GetFleetDeploymentV2"
    case cancelFleetDeploymentV2 = "CancelFleetDeploymentV2"
    case listFleetSchedulesV2 = "ListFleetSchedulesV2"
    case getFleetScheduleV2 = "GetFleetScheduleV2"
    // FleetMock's own control surface: no credentials, no rate limit.
    case controlHealth = "FleetMockHealth"
    case controlRoutes = "FleetMockRoutes"
    case controlReady = "FleetMockReady"
    case controlDashboard = "FleetMockDashboard"
    case controlFleetView = "FleetMockFleetView"
    case controlFreezeClock = "FleetMockFreezeClock"
    case controlResumeClock = "FleetMockResumeClock"
    case controlSetClock = "FleetMockSetClock"
    case controlGetProgress = "FleetMockGetProgress"
    case controlSetProgress = "FleetMockSetProgress"
    case controlReset = "FleetMockReset"
    case controlCreateOrg = "FleetMockCreateOrg"
    case controlListOrgs = "FleetMockListOrgs"
    case controlDeleteOrg = "FleetMockDeleteOrg"
    case controlSnapshot = "FleetMockSnapshot"
    case controlRestore = "FleetMockRestore"
    case controlListRequests = "FleetMockListRequests"
    case controlClearRequests = "FleetMockClearRequests"
    case controlAddFault = "FleetMockAddFault"
    case controlListFaults = "FleetMockListFaults"
    case controlClearFaults = "FleetMockClearFaults"
    case controlRemoveFault = "FleetMockRemoveFault"
    case controlGetClock = "FleetMockGetClock"
    case controlAdvanceClock = "FleetMockAdvanceClock"

    public enum Surface: String, Sendable {
        case unstable, v2, control
    }

    public var surface: Surface {
        if rawValue.hasPrefix("FleetMock") { return .control }
        return rawValue.hasSuffix("V2") ? .v2 : .unstable
    }

    public var isControl: Bool { surface == .control }

    /// The spec's `x-permission` (operator AND), from the route table; none on the control surface.
    public var requiredPermissions: [String] { Self.permissions[self] ?? [] }

    private static let permissions: [Operation: [String]] = Dictionary(
        Route.table.map { ($0.operation, $0.requiredPermissions) }, uniquingKeysWith: { first, _ in first })

    /// The value of `X-RateLimit-Name`: the operation in snake case. Worked out once per operation;
    /// every `/api/` reply carries it.
    public var rateLimitName: String { Self.rateLimitNames[self]! }

    private static let rateLimitNames: [Operation: String] = Dictionary(
        uniqueKeysWithValues: allCases.map { operation in
            var name = ""
            for character in operation.rawValue {
                if character.isUppercase, !name.isEmpty, name.last != "_" { name.append("_") }
                name.append(contentsOf: character.lowercased())
            }
            return (operation, name)
        })
}
