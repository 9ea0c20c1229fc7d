import FleetDomain
import FleetJSON

/// The one place where failures become HTTP: a status and the documented `{"errors": [...]}` body,
/// for the API's own failures and the domain's alike.
extension APIError {
    public var httpStatus: Int {
        switch self {
        case .fleet(let error): return error.httpStatus
        case .routeNotFound: return 404
        case .methodNotAllowed: return 405
        case .missingAPIKey, .invalidAPIKey, .missingApplicationKey, .invalidApplicationKey: return 401
        case .missingPermissions: return 403
        case .rateLimited: return 429
        case .orgUnavailable: return 503
        case .forced(let status, _): return status
        case .requestTooLarge(let status, _): return status
        }
    }

    public var message: String {
        switch self {
        case .fleet(let error):
            return error.message
        case .routeNotFound(let method, let path, let nearest):
            return "Not found: no operation at \(method) \(echo(path))" + (nearest.map { " (nearest: \($0))" } ?? "")
        case .methodNotAllowed(let method, let path, let allowed):
            return "Method not allowed: \(echo(path)) accepts \(allowed.joined(separator: ", ")), not \(method)"
        case .missingAPIKey:
            return "Unauthorized: the DD-API-KEY header is missing"
        case .invalidAPIKey:
            return "Unauthorized: the DD-API-KEY header does not hold a valid API key"
        case .missingApplicationKey:
            return "Unauthorized: the DD-APPLICATION-KEY header is missing"
        case .invalidApplicationKey:
            return "Unauthorized: the DD-APPLICATION-KEY header does not hold a valid application key"
        case .missingPermissions(let operation, let required, let missing):
            return "Forbidden: \(operation) requires the permissions \(required.joined(separator: ", ")); "
                + "this application key lacks \(missing.joined(separator: ", "))"
        case .rateLimited(let name, let limit, let period, let reset):
            return "Too many requests: the limit of \(limit) calls per \(period) s for \(name) is reached; "
                + "retry in \(reset) s"
        case .requestTooLarge(let status, let reason):
            return "\(reasonPhrase(status)): \(reason)"
        case .forced(let status, let source):
            return
                "\(reasonPhrase(status)) (forced by FleetMock \(source == "prefer" ? "Prefer header" : "fault \(source)"))"
        case .orgUnavailable(let id):
            return "Service unavailable: the state of org \(id) could not be opened when FleetMock started "
                + "(see its log); restart FleetMock once its file can be opened"
        }
    }

    var response: APIResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("errors")
        writer.beginArray()
        // Reasons elsewhere may quote the request too; no message outgrows a line or two.
        writer.string(echo(message, limit: 600))
        writer.endArray()
        writer.endObject()
        var response = APIResponse.json(httpStatus, writer.bytes)
        if case .methodNotAllowed(_, _, let allowed) = self {
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
        }
        return response
    }
}

extension FleetError {
    public var httpStatus: Int {
        switch self {
        case .deploymentNotFound, .scheduleNotFound, .agentNotFound, .orgNotFound: return 404
        case .upgradeInProgress: return 409
        case .invalidPathSegment, .invalidIdentifier, .invalidAgentKey, .invalidParameter, .invalidBody, .invalidField,
            .invalidQuery, .noVersionForStrategy, .deploymentNotCancelable:
            return 400
        case .storageFailure: return 500
        case .stateFileReplaced: return 503
        }
    }

    public var message: String {
        switch self {
        case .invalidPathSegment(let reason):
            return "Bad request: \(reason)"
        case .invalidIdentifier(let parameter, let value):
            return
                "Bad request: \(parameter) '\(echo(value))' is not a valid id (ids are hexadecimal digits and dashes, like a UUID)"
        case .invalidAgentKey(let value):
            return "Bad request: agent_key '\(echo(value))' is not a valid agent key (32 lowercase hexadecimal digits)"
        case .invalidParameter(let name, let reason):
            return "Bad request: query parameter \(name) \(reason)"
        case .invalidBody(let reason):
            return "Bad request: \(reason)"
        case .invalidField(let path, let reason):
            return "Bad request: \(echo(path)) \(reason)"
        case .invalidQuery(let query, let position, let reason):
            return "Bad request: invalid query '\(echo(query))': \(reason) at position \(position)"
        case .noVersionForStrategy(let versionToLatest, let major):
            return major < 0
                ? "Bad request: the Agent version catalogue is empty"
                : "Bad request: version_to_latest \(versionToLatest) asks for Agent major version \(major), which the catalogue does not have"
        case .deploymentNotFound(let id):
            return "Not found: deployment \(echo(id)) does not exist"
        case .scheduleNotFound(let id):
            return "Not found: schedule \(echo(id)) does not exist"
        case .agentNotFound(let key):
            return "Not found: agent \(echo(key)) does not exist"
        case .orgNotFound(let id):
            return "Not found: org \(echo(id)) does not exist"
        case .upgradeInProgress(let hostname, let deploymentID):
            return "Conflict: host \(hostname) is already being upgraded by deployment \(deploymentID); "
                + "wait for it to finish or cancel it"
        case .deploymentNotCancelable(let id, let status):
            return
                "Bad request: deployment \(echo(id)) is \(status.rawValue); only pending or running deployments can be canceled"
        case .storageFailure:
            // The reason goes to the log, never to the client.
            return "Internal error: the change could not be saved, and nothing was changed"
        case .stateFileReplaced(let path):
            return "Service unavailable: the state file \(path) was deleted or replaced while FleetMock ran; "
                + "nothing was changed, and no change is accepted until FleetMock is restarted"
        }
    }

    /// The failure as a reply: its status and the documented envelope.
    var response: APIResponse { APIError.fleet(self).response }
}

/// A value from the request, as messages repeat it: cut short, so a 5,000-character id does
/// not come back whole.
private func echo(_ text: String, limit: Int = 100) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + "…(\(text.count - limit) more characters)"
}

private func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 400: return "Bad request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not found"
    case 405: return "Method not allowed"
    case 408: return "Request timeout"
    case 409: return "Conflict"
    case 413: return "Payload too large"
    case 431: return "Request header fields too large"
    case 422: return "Unprocessable entity"
    case 429: return "Too many requests"
    case 500: return "Internal server error"
    case 502: return "Bad gateway"
    case 503: return "Service unavailable"
    case 504: return "Gateway timeout"
    default: return "HTTP \(status)"
    }
}
