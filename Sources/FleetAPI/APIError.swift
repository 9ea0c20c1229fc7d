import FleetDomain

/// Every way a request can fail: the failures the API decides itself (routing, limits, credentials,
/// permissions, rate limits, forced faults, an org it could not open) and the domain's own,
/// wrapped. Mapped to a status and the documented envelope in one place (`APIError+Envelope`).
public enum APIError: Error, Equatable, Sendable {
    case fleet(FleetError)
    /// `nearest`: the route it came closest to, as a hint, if any is close.
    case routeNotFound(method: String, path: String, nearest: String? = nil)
    case methodNotAllowed(method: String, path: String, allowed: [String])
    /// 413 for a body, 431 for headers, over the API's limits.
    case requestTooLarge(status: Int, reason: String)
    case missingAPIKey
    case invalidAPIKey
    case missingApplicationKey
    case invalidApplicationKey
    case missingPermissions(operation: String, required: [String], missing: [String])
    case rateLimited(name: String, limit: Int, periodSeconds: Int, resetSeconds: Int)
    /// A status a test forced through a fault rule or the Prefer header.
    case forced(status: Int, by: String)
    /// An org whose state file could not be opened at start: its keys are known, its state is not.
    case orgUnavailable(id: String)
}

/// Runs a handler or a step that fails with the domain's errors inside the API's pipeline.
func wrappingFleetErrors<Result>(_ body: () throws(FleetError) -> Result) throws(APIError) -> Result {
    do {
        return try body()
    } catch {
        throw .fleet(error)
    }
}
