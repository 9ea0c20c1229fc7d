import FleetDomain
import FleetJSON

/// The API as a function from request to response, over the simulation and a persistence port.
///
/// Every `/api/` request runs the same pipeline, in the documented order: route (404) →
/// credentials (401) → permission (403) → rate limit (429) → input (400) → existence (404) → command
/// → persist (one transaction) → apply → encode. A failure at any step leaves state untouched.
/// Single-threaded: the transport calls it on one loop.
public final class FleetApplication {
    public internal(set) var simulation: FleetSimulation
    private let persistence: FleetPersistence
    private let credentials: Credentials
    private var rateLimiter: RateLimiter
    private let router = Router.fleet
    private let log: (String) -> Void

    public init(
        simulation: FleetSimulation, persistence: FleetPersistence, credentials: Credentials,
        rateLimit: RateLimiter.Settings, log: @escaping (String) -> Void
    ) {
        self.simulation = simulation
        self.persistence = persistence
        self.credentials = credentials
        self.rateLimiter = RateLimiter(settings: rateLimit)
        self.log = log
    }

    // MARK: Time

    /// Runs rollout events due by now and persists them. Called before each request and by the timer.
    public func advanceSimulation(wallNow: Instant) {
        let changes = simulation.advance(to: simulation.clock.now(wall: wallNow))
        guard !changes.isEmpty else { return }
        do {
            try persistence.persist(changes)
        } catch {
            // Progress is a function of time, so a lost write is re-derived after a restart.
            log("could not persist simulation progress: \(error)")
        }
    }

    /// Wall milliseconds until the next rollout event, for the transport's timer; nil if none is due
    /// or time only moves by hand.
    public func millisecondsUntilNextEvent(wallNow: Instant) -> Int64? {
        guard simulation.clock.mode == .wall, let next = simulation.nextEventTime else { return nil }
        return max(0, next.milliseconds - simulation.clock.now(wall: wallNow).milliseconds)
    }

    // MARK: Requests

    public func handle(_ request: APIRequest, wallNow: Instant) -> APIResponse {
        let pathEnd = request.target.firstIndex(of: "?") ?? request.target.endIndex
        let path = String(request.target[..<pathEnd])
        let queryString = pathEnd < request.target.endIndex
            ? request.target[request.target.index(after: pathEnd)...] : Substring()
        let isAPI = path.hasPrefix("/api/")
        let apiKey = request.header("DD-API-KEY") ?? ""
        var rateStatus: RateLimiter.Status?
        var operation: Operation?
        var response: APIResponse
        do throws(FleetError) {
            let match = try router.match(method: request.method, path: path)
            operation = match.operation
            let input = RequestInput(match: match, queryString: queryString, body: request.body)
            if match.operation.isControl {
                response = try handleControl(match.operation, input: input, wallNow: wallNow)
            } else {
                let key = try credentials.authenticate(
                    apiKey: request.header("DD-API-KEY"), applicationKey: request.header("DD-APPLICATION-KEY"))
                try Credentials.authorize(
                    key, operation: match.operation.rawValue, required: match.operation.requiredPermissions)
                let (allowed, status) = rateLimiter.consume(apiKey: apiKey, operation: match.operation, now: wallNow)
                rateStatus = status
                guard allowed else {
                    throw FleetError.rateLimited(
                        name: status.name, limit: status.limit, periodSeconds: status.periodSeconds,
                        resetSeconds: status.resetSeconds)
                }
                advanceSimulation(wallNow: wallNow)
                response = try handleFleet(match.operation, input: input, caller: key, wallNow: wallNow)
            }
        } catch {
            if case .storageFailure(let reason) = error { log("storage failure: \(reason)") }
            response = error.response
        }
        response.operation = operation?.rawValue
        if isAPI {
            let status = rateStatus
                ?? rateLimiter.peek(apiKey: apiKey, operation: operation ?? .listFleetDeployments, now: wallNow)
            response.headers.append(contentsOf: [
                ("X-RateLimit-Limit", String(status.limit)),
                ("X-RateLimit-Period", String(status.periodSeconds)),
                ("X-RateLimit-Remaining", String(status.remaining)),
                ("X-RateLimit-Reset", String(status.resetSeconds)),
                ("X-RateLimit-Name", operation == nil ? "unknown" : status.name),
            ])
        }
        return response
    }

    /// Persists planned changes, then applies them: memory never gets ahead of the store.
    func commit(_ changes: [FleetChange]) throws(FleetError) {
        try persistence.persist(changes)
        simulation.apply(changes)
    }

    /// Commits changes that create a deployment and returns it as now stored.
    func commitDeployment(_ changes: [FleetChange]) throws(FleetError) -> Deployment {
        try commit(changes)
        guard case .deploymentCreated(let created) = changes.first, let deployment = simulation.deployment(id: created.id)
        else { throw FleetError.storageFailure(reason: "the command produced no deployment") }
        return deployment
    }

    private func handleFleet(
        _ operation: Operation, input: RequestInput, caller: Credentials.ApplicationKey, wallNow: Instant
    ) throws(FleetError) -> APIResponse {
        let now = simulation.clock.now(wall: wallNow)
        switch operation.surface {
        case .unstable: return try handleUnstable(operation, input: input, caller: caller, now: now)
        case .v2: return try handleV2(operation, input: input, caller: caller, now: now)
        case .control: return try handleControl(operation, input: input, wallNow: wallNow)
        }
    }

    // MARK: Control surface (/__fleetmock/)

    private func handleControl(_ operation: Operation, input: RequestInput, wallNow: Instant) throws(FleetError) -> APIResponse {
        switch operation {
        case .controlHealth:
            return .json(200, Array(#"{"status":"ok"}"#.utf8))
        case .controlRoutes:
            return .json(200, Self.routesBody)
        case .controlReady:
            // Serving at all means the fixtures are loaded and the store is open.
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("deployments", simulation.deployments.count)
            writer.field("hosts", simulation.hosts.count)
            writer.field("schedules", simulation.schedules.count)
            writer.field("status", "ready")
            writer.endObject()
            return .json(200, writer.bytes)
        case .controlGetClock:
            advanceSimulation(wallNow: wallNow)
            return .json(200, clockBody(wallNow: wallNow))
        case .controlAdvanceClock:
            let body = try input.jsonObject()
            guard let secondsValue = body["seconds"] else {
                throw FleetError.invalidBody(reason: "field 'seconds' is required")
            }
            guard let seconds = secondsValue.doubleValue, seconds.isFinite else {
                throw FleetError.invalidBody(reason: "field 'seconds' must be a number, not \(secondsValue.typeName)")
            }
            guard seconds >= 0, seconds <= 10 * 365 * 86_400 else {
                throw FleetError.invalidBody(reason: "field 'seconds' must be between 0 and 315360000, got \(seconds)")
            }
            advanceSimulation(wallNow: wallNow)
            try commit(simulation.planClockAdvance(byMilliseconds: Int64((seconds * 1000).rounded())))
            advanceSimulation(wallNow: wallNow)
            return .json(200, clockBody(wallNow: wallNow))
        default:
            throw FleetError.routeNotFound(method: "GET", path: operation.rawValue)
        }
    }

    /// `GET /__fleetmock/routes`: every route with its operation, permissions and surface.
    static let routesBody: [UInt8] = {
        var writer = JSONWriter(reservingCapacity: 8192)
        writer.beginObject()
        writer.key("routes")
        writer.beginArray()
        for route in Router.table {
            writer.beginObject()
            writer.field("method", route.method)
            writer.field("operation", route.operation.rawValue)
            writer.field("path", route.path)
            writer.key("permissions")
            writer.beginArray()
            for permission in route.operation.requiredPermissions { writer.string(permission) }
            writer.endArray()
            writer.field("surface", route.operation.surface.rawValue)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }()

    private func clockBody(wallNow: Instant) -> [UInt8] {
        let now = simulation.clock.now(wall: wallNow)
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("mode", simulation.clock.mode.rawValue)
        writer.field("now", ISO8601.format(now))
        writer.field("now_unix", now.unixSeconds)
        writer.field("now_unix_ms", now.milliseconds)
        writer.field("offset_ms", simulation.clock.offsetMilliseconds)
        writer.endObject()
        return writer.bytes
    }
}

@available(*, unavailable)
extension FleetApplication: Sendable {}
