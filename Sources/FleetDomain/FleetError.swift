/// Every way a command on the fleet can fail: its input, what it names, the state it finds, the
/// store. The API wraps it in `APIError` beside its own failures (routing, credentials, limits) and
/// maps both to a status and the documented `{"errors": [...]}` envelope in one place
/// (`APIError+Envelope` in FleetAPI).
public enum FleetError: Error, Equatable, Sendable {
    // Input
    case invalidPathSegment(reason: String)
    case invalidIdentifier(parameter: String, value: String)
    case invalidAgentKey(value: String)
    case invalidParameter(name: String, reason: String)
    case invalidBody(reason: String)
    /// A body field is missing, of the wrong type or out of range; `path` is its JSON path.
    case invalidField(path: String, reason: String)
    case invalidQuery(query: String, position: Int, reason: String)
    case noVersionForStrategy(versionToLatest: Int, major: Int)
    // Existence and state
    case deploymentNotFound(id: String)
    case scheduleNotFound(id: String)
    case deploymentNotCancelable(id: String, status: DeploymentStatus)
    case agentNotFound(key: String)
    case orgNotFound(id: String)
    /// v2 upgrade: a target host is still being upgraded by another deployment (409).
    case upgradeInProgress(hostname: String, deploymentID: String)
    // The store refused a write: nothing was changed.
    case storageFailure(reason: String)
    // The state file was deleted or replaced under the running server: writes are refused.
    case stateFileReplaced(path: String)
}
