/// The operations FleetMock serves, named by the spec's operationId, with what each requires.
public enum Operation: String, Sendable, CaseIterable {
    // Datadog Fleet Automation, unstable surface.
    case listFleetAgentVersions = "ListFleetAgentVersions"
    case listFleetDeployments = "ListFleetDeployments"
    case getFleetDeployment = "GetFleetDeployment"
    case cancelFleetDeployment = "CancelFleetDeployment"
    case createFleetDeploymentConfigure = "CreateFleetDeploymentConfigure"
    case createFleetDeploymentUpgrade = "CreateFleetDeploymentUpgrade"
    case listFleetSchedules = "ListFleetSchedules"
    case getFleetSchedule = "GetFleetSchedule"
    case triggerFleetSchedule = "TriggerFleetSchedule"
    case createFleetSchedule = "CreateFleetSchedule"
    case updateFleetSchedule = "UpdateFleetSchedule"
    case deleteFleetSchedule = "DeleteFleetSchedule"
    // FleetMock's own control surface: no credentials, no rate limit.
    case controlHealth = "FleetMockHealth"
    case controlGetClock = "FleetMockGetClock"
    case controlAdvanceClock = "FleetMockAdvanceClock"

    public var isControl: Bool { rawValue.hasPrefix("FleetMock") }

    /// The spec's `x-permission` (operator AND) for this operation.
    public var requiredPermissions: [String] {
        switch self {
        case .listFleetAgentVersions, .listFleetDeployments, .getFleetDeployment, .listFleetSchedules, .getFleetSchedule:
            return ["hosts_read"]
        case .cancelFleetDeployment, .createFleetDeploymentConfigure, .createFleetDeploymentUpgrade:
            return ["agent_upgrade_write", "fleet_policies_write"]
        case .triggerFleetSchedule, .createFleetSchedule, .updateFleetSchedule, .deleteFleetSchedule:
            return ["agent_upgrade_write"]
        case .controlHealth, .controlGetClock, .controlAdvanceClock:
            return []
        }
    }

    /// The value of `X-RateLimit-Name`: the operation in snake case.
    public var rateLimitName: String {
        var name = ""
        for character in rawValue {
            if character.isUppercase, !name.isEmpty { name.append("_") }
            name.append(contentsOf: character.lowercased())
        }
        return name
    }
}
