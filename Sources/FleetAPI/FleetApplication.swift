import FleetDomain
import FleetJSON
import FleetThreads

/// The API as a function from request to response, over the orgs' simulations and their stores.
///
/// Every request runs one pipeline, in the documented order: limits (413, 431) → route (404, 405)
/// → fault (a rule may answer instead) → credentials (401) → permission (403) → rate limit (429)
/// → the route's handler: input (400), existence (404), command, persist, apply, encode. A failure
/// at any step before persist leaves state untouched. Persisting hands the changes to the
/// `StoreWriter` and applies them to memory at once; the pass's replies wait for its commit, and a
/// write that then fails takes its org's pass back before any of those replies leaves.
/// Single-threaded: the transport calls it on one loop (the writer thread sees only the values
/// handed to it).
public final class FleetApplication {
    let directory: OrgDirectory
    let control: ControlSurface
    /// Where writes go and when they are durable.
    let storeWriter: StoreWriter
    private let router = Router.fleet
    private let log: (String) -> Void
    /// Microseconds from any fixed origin, for request timings; the transport passes the real one.
    private let monotonicMicroseconds: () -> Int64
    /// Orgs that requests wrote to in this pass (not the simulation's own progress, which time
    /// re-derives after a loss): a reply in such an org may show a write the pass end could lose.
    private var orgsWrittenByRequests: Set<String> = []
    /// The org the request being handled wrote to, if any: a control reply that wrote shares the
    /// fate of its write.
    private var orgWrittenByThisRequest: Org?

    /// The default org's state.
    public var simulation: FleetSimulation { directory.defaultOrg.simulation }
    public var journal: RequestJournal { control.journal }
    public var faults: FaultBook { control.faults }
    /// The live dashboard's page (`ui/index.html`), served at /__fleetmock/ui; nil when not found.
    public var dashboardPage: [UInt8]? {
        get { control.dashboardPage }
        set { control.dashboardPage = newValue }
    }

    public init(
        simulation: FleetSimulation, persistence: FleetPersistence, credentials: Credentials,
        rateLimit: RateLimiter.Settings, journal: RequestJournal = RequestJournal(),
        monotonicMicroseconds: @escaping () -> Int64 = { 0 },
        loadFixtures: @escaping () throws(FleetError) -> FleetSnapshot = { () throws(FleetError) in
            throw FleetError.storageFailure(reason: "no fixtures to reset to")
        },
        orgHosting: OrgHosting? = nil, orgRecords: [OrgRecord] = [], orgSeed: UInt64 = 0,
        log: @escaping (String) -> Void
    ) throws(WorkerThreadError) {
        let storeWriter = try StoreWriter(log: log)
        let defaultOrg = Org(
            id: Org.defaultID, createdAt: nil, credentials: credentials, simulation: simulation,
            persistence: persistence, rateLimit: rateLimit, loadFixtures: loadFixtures)
        self.storeWriter = storeWriter
        self.directory = OrgDirectory(
            defaultOrg: defaultOrg, hosting: orgHosting, storeWriter: storeWriter, records: orgRecords,
            seed: orgSeed, rateLimit: rateLimit, log: log)
        self.control = ControlSurface(journal: journal)
        self.monotonicMicroseconds = monotonicMicroseconds
        self.log = log
    }

    // MARK: Time

    /// Runs every org's rollout events due by now and persists them; the transport's timer calls it.
    public func advanceAllOrgs(wallNow: Instant) {
        for org in directory.orgs.values { advance(org, wallNow: wallNow) }
    }

    /// Runs the org's rollout events due by now and persists them. Called before each request.
    func advance(_ org: Org, wallNow: Instant) {
        let changes = org.simulation.advance(to: org.simulation.clock.now(wall: wallNow))
        guard !changes.isEmpty else { return }
        do {
            try storeWriter.write(changes, for: org)
        } catch {
            // Progress is a function of time, so a lost write is re-derived after a restart.
            log("could not persist simulation progress: \(error)")
        }
    }

    /// Wall milliseconds until the next rollout event, for the transport's timer; nil if none is due
    /// or time only moves by hand.
    public func millisecondsUntilNextEvent(wallNow: Instant) -> Int64? {
        directory.orgs.values.compactMap { org -> Int64? in
            let clock = org.simulation.clock
            guard clock.mode == .wall, let next = org.simulation.nextEventTime else { return nil }
            let simulated = Double(max(0, next.milliseconds - clock.now(wall: wallNow).milliseconds))
            return Int64((simulated / clock.speed).rounded(.up))
        }.min()
    }

    // MARK: Requests

    /// Limits the API answers itself, in the envelope: request headers in total, and bodies (a
    /// restore document may be larger than any API body).
    public static let maximumHeaderBytes = 64 << 10
    public static let maximumBodyBytes = 1 << 20
    public static let maximumRestoreBytes = 8 << 20

    public func handle(_ request: APIRequest, wallNow: Instant) -> APIResponse {
        if let tooLarge = Self.tooLarge(request) { return tooLarge.response }
        let started = monotonicMicroseconds()
        // Over UTF-8: a search by Character walks grapheme boundaries, a tenth of a GET's time.
        let pathEnd = request.target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? request.target.endIndex
        let path = String(request.target[..<pathEnd])
        let queryString =
            pathEnd < request.target.endIndex
            ? request.target[request.target.index(after: pathEnd)...] : Substring()
        let routing: Result<Router.Match, APIError>
        do throws(APIError) {
            routing = .success(try router.match(method: request.method, path: path))
        } catch {
            routing = .failure(error)
        }
        let operation = try? routing.get().operation
        if path.hasPrefix("/__fleetmock/") || path == "/__fleetmock" {
            orgWrittenByThisRequest = nil
            var response = answer(request, queryString: queryString, routing: routing, in: nil, wallNow: wallNow)
            response.operation = operation?.rawValue
            response.commitGroup = orgWrittenByThisRequest.map(storeWriter.commitGroup(of:))
            return response
        }
        // Each request runs in the org its API key belongs to.
        let org = directory.org(forAPIKey: request.header("DD-API-KEY"))
        var response: APIResponse
        let shape = control.faults.shape(request, path: path, operation: operation)
        if let forced = shape?.forcedResponse {
            response = forced
            if path.hasPrefix("/api/") {
                appendForcedRateLimitHeaders(status: forced.status, operation, org, &response)
            }
        } else {
            response = answer(request, queryString: queryString, routing: routing, in: org, wallNow: wallNow)
        }
        if let shape {
            response.delayMilliseconds = shape.latencyMilliseconds
            response.dropConnection = shape.drop
        } else if let prefer = PreferHeader(request.header("Prefer")) {
            response.delayMilliseconds = prefer.latencyMilliseconds
        }
        response.operation = operation?.rawValue
        // Only a reply that may show a request's write depends on the pass's commit: a read whose
        // org saw nothing but progress stands even when that progress could not be saved.
        response.commitGroup = orgsWrittenByRequests.contains(org.id) ? storeWriter.commitGroup(of: org) : nil
        response.org = org.id
        var nearMatch: String?
        if case .failure(.routeNotFound(_, _, let nearest)) = routing { nearMatch = nearest }
        control.journal.record(
            time: wallNow, method: request.method, target: request.target, operation: operation?.rawValue,
            org: org.id, status: response.dropConnection ? 0 : response.status,
            durationMicroseconds: monotonicMicroseconds() - started, requestBody: request.body,
            responseBody: response.body, deferredResponseBody: response.deferredBody, nearMatch: nearMatch,
            fault: shape?.id)
        return response
    }

    private static func tooLarge(_ request: APIRequest) -> APIError? {
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > maximumHeaderBytes {
            return .requestTooLarge(
                status: 431, reason: "request headers total \(headerBytes) bytes; the limit is \(maximumHeaderBytes)")
        }
        let bodyLimit = request.target.hasPrefix("/__fleetmock/restore") ? maximumRestoreBytes : maximumBodyBytes
        guard request.body.count > bodyLimit else { return nil }
        return .requestTooLarge(
            status: 413, reason: "the body is \(request.body.count) bytes; the limit is \(bodyLimit)")
    }

    /// The pipeline from the route on: a control route's handler (`org` nil), or credentials,
    /// permission, rate limit and the operation's handler in `org`.
    private func answer(
        _ request: APIRequest, queryString: Substring, routing: Result<Router.Match, APIError>, in org: Org?,
        wallNow: Instant
    ) -> APIResponse {
        let apiKey = request.header("DD-API-KEY") ?? ""
        var rateStatus: RateLimiter.Status?
        var response: APIResponse
        do throws(APIError) {
            let match = try routing.get()
            let input = RequestInput(match: match, queryString: queryString, body: request.body)
            switch match.route.access {
            case .control(let handler):
                // Control operations replace states, open and delete stores: they start from a
                // committed state.
                storeWriter.commit()
                let call = ControlCall(input: input, wallNow: wallNow, application: self)
                response = try wrappingFleetErrors { () throws(FleetError) in try handler(call) }
            case .api(let permissions, let handler):
                let org = org ?? directory.defaultOrg
                if let unavailable = directory.unavailableOrg(forAPIKey: apiKey) {
                    throw APIError.orgUnavailable(id: unavailable)
                }
                let caller = try org.credentials.authenticate(
                    apiKey: request.header("DD-API-KEY"), applicationKey: request.header("DD-APPLICATION-KEY"))
                try Credentials.authorize(
                    caller, operation: match.operation.rawValue, required: permissions.map(\.rawValue))
                let (allowed, status) = org.rateLimiter.consume(
                    apiKey: apiKey, operation: match.operation, now: wallNow)
                rateStatus = status
                guard allowed else {
                    throw APIError.rateLimited(
                        name: status.name, limit: status.limit, periodSeconds: status.periodSeconds,
                        resetSeconds: status.resetSeconds)
                }
                advance(org, wallNow: wallNow)
                let call = OperationCall(
                    input: input, org: org, caller: caller, now: org.simulation.clock.now(wall: wallNow),
                    application: self)
                response = try wrappingFleetErrors { () throws(FleetError) in try handler(call) }
            }
        } catch {
            if case .fleet(.storageFailure(let reason)) = error { log("storage failure: \(reason)") }
            if case .fleet(.stateFileReplaced(let path)) = error {
                log("the state file \(path) was deleted or replaced: writes are refused (503) until a restart")
            }
            response = error.response
        }
        if let org, request.target.hasPrefix("/api/") {
            let operation = try? routing.get().operation
            let status =
                rateStatus
                ?? org.rateLimiter.peek(apiKey: apiKey, operation: operation ?? .listFleetDeployments, now: wallNow)
            appendRateLimitHeaders(status, named: operation == nil ? "unknown" : status.name, to: &response)
        }
        return response
    }

    /// A forced reply says when to retry (a 429, so a client's retry path can be exercised).
    private func appendForcedRateLimitHeaders(
        status: Int, _ operation: Operation?, _ org: Org, _ response: inout APIResponse
    ) {
        let limit = org.rateLimiter.settings
        let name = operation?.rateLimitName ?? "unknown"
        appendRateLimitHeaders(
            RateLimiter.Status(
                limit: limit.limit, periodSeconds: limit.periodSeconds, remaining: status == 429 ? 0 : limit.limit,
                resetSeconds: 1, name: name),
            named: name, to: &response)
    }

    private func appendRateLimitHeaders(
        _ status: RateLimiter.Status, named name: String, to response: inout APIResponse
    ) {
        response.headers.append(contentsOf: [
            ("X-RateLimit-Limit", String(status.limit)),
            ("X-RateLimit-Period", String(status.periodSeconds)),
            ("X-RateLimit-Remaining", String(status.remaining)),
            ("X-RateLimit-Reset", String(status.resetSeconds)),
            ("X-RateLimit-Name", name),
        ])
    }

    // MARK: Writes

    /// Hands planned changes to the store writer, then applies them: no reply leaves before they are
    /// committed, and a failure puts memory back at the pass's end.
    func commit(_ changes: [FleetChange], in org: Org) throws(FleetError) {
        if !changes.isEmpty {
            orgsWrittenByRequests.insert(org.id)
            orgWrittenByThisRequest = org
        }
        try storeWriter.write(changes, for: org)
        org.simulation.apply(changes)
    }

    /// Commits changes that create a deployment and returns it as now stored. Host faults it used
    /// are counted.
    func commitDeployment(_ changes: [FleetChange], in org: Org) throws(FleetError) -> Deployment {
        try commit(changes, in: org)
        guard case .deploymentCreated(let created) = changes.first,
            let deployment = org.simulation.deployment(id: created.id)
        else { throw FleetError.storageFailure(reason: "the command produced no deployment") }
        if !control.faults.hostFaults(inOrg: org.id).isEmpty {
            control.faults.consumeHostFaults(
                inOrg: org.id, for: deployment.operations.filter { $0.state != .skipped }.map(\.hostKey))
        }
        if org.simulation.progressPolicy == .immediate {
            // Every host finishes at the instant of creation: run those events now, so the reply
            // already shows the outcome.
            let progress = org.simulation.advance(to: deployment.createdAt)
            if !progress.isEmpty { try storeWriter.write(progress, for: org) }
            return org.simulation.deployment(id: deployment.id) ?? deployment
        }
        return deployment
    }

    // MARK: The pass's end

    /// True while some write is not yet committed: every reply must wait for `finishPass()`.
    public var hasUncommittedWrites: Bool { storeWriter.hasUncommittedWork }

    /// Commits the pass's writes. Returns nil when every write since the last call is durable; else
    /// the commit groups whose writes were lost (their orgs' memory is then reloaded from what their
    /// stores hold) and the reply that each held reply of those groups must become, since none may
    /// report what was not kept. Other replies stand: their writes were committed.
    public func finishPass() -> LostWrites? {
        let lost = storeWriter.endPass()
        orgsWrittenByRequests.removeAll(keepingCapacity: true)
        guard !lost.isEmpty else { return nil }
        return LostWrites(
            commitGroups: lost, reply: FleetError.storageFailure(reason: "the write could not be committed").response)
    }

    /// Commits what is left and ends the writer thread (the server is stopping).
    public func stop() {
        storeWriter.stop()
    }
}

@available(*, unavailable)
extension FleetApplication: Sendable {}

/// The writes of a pass that were not kept: their commit groups, and what their held replies become.
public struct LostWrites: Sendable {
    public let commitGroups: Set<String>
    public let reply: APIResponse
}
