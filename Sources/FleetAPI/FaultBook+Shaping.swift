import FleetDomain
import FleetJSON

/// How a fault shapes one request's answer: the first matching rule, else the request's own
/// `Prefer` header. Faults shape answers after routing and before everything else, so a test can
/// force even a 401.
struct FaultShape {
    /// The status to answer with instead of running the request; nil runs it as usual.
    var status: Int?
    var body: JSONValue?
    var latencyMilliseconds: Int64
    var drop: Bool
    /// The rule's id, or `prefer`, for the journal.
    var id: String

    /// The forced answer, when there is one: the rule's body, else the error envelope for an error
    /// status, else an empty reply.
    var forcedResponse: APIResponse? {
        guard let status else { return nil }
        if let body { return .json(status, body.serialized) }
        return status >= 400 ? APIError.forced(status: status, by: id).response : APIResponse(status: status)
    }
}

extension FaultBook {
    /// The shape a rule or the `Prefer` header forces on the request, if any (a rule is counted as
    /// used). A `Prefer` header that only asks for latency forces nothing: the pipeline delays the
    /// usual answer.
    mutating func shape(_ request: APIRequest, path: String, operation: Operation?) -> FaultShape? {
        if let rule = take(
            operation: operation, method: request.method, path: path, apiKey: request.header("DD-API-KEY"))
        {
            return FaultShape(
                status: rule.status, body: rule.body, latencyMilliseconds: rule.latencyMilliseconds, drop: rule.drop,
                id: rule.id)
        }
        if let prefer = PreferHeader(request.header("Prefer")), prefer.status != nil || prefer.drop {
            return FaultShape(
                status: prefer.status, body: nil, latencyMilliseconds: prefer.latencyMilliseconds, drop: prefer.drop,
                id: "prefer")
        }
        return nil
    }
}
