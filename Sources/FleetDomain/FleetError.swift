/// Every way a request or command can fail. The API layer maps each case to a status code and the
/// documented `{"errors": [...]}` envelope in one place (`FleetError+Envelope` in FleetAPI).
public enum FleetError: Error, Equatable, Sendable {
    // Routing
    /// `nearest`: the route it came closest to, as a hint, if any is close.
    case routeNotFound(method: String, path: String, nearest: String? = nil)
    case methodNotAllowed(method: String, path: String, allowed: [String])
    // Credentials and permissions
    case missingAPIKey
    case invalidAPIKey
    case missingApplicationKey
    case invalidApplicationKey
    case missingPermissions(operation: String, required: [String], missing: [String])
    // Rate limiting
    case rateLimited(name: String, limit: Int, periodSeconds: Int, resetSeconds: Int)
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
    /// 413 for a body, 431 for headers, over the API's limits.
    case requestTooLarge(status: Int, reason: String)
    /// A status a test forced through a fault rule or the Prefer header.
    case forced(status: Int, by: String)
    // The store refused a write: nothing was changed.
    case storageFailure(reason: String)
    // The state file was deleted or replaced under the running server: writes are refused.
    case stateFileReplaced(path: String)
    // An org whose state file could not be opened at start: its keys are known, its state is not.
    case orgUnavailable(id: String)
}
