import FleetDomain
import FleetJSON

/// The API as a function from request to response, over the simulation and a persistence port.
///
/// Every `/api/` request runs the same pipeline, in the documented order: route (404) →
/// credentials (401) → permission (403) → rate limit (429) → input (400) → existence (404) → command
/// → persist (all or nothing: its own transaction, or a savepoint in the pass's batch with group
/// commit) → apply → encode. A failure at any step leaves state untouched. With background commit
/// the persist step is handed to the writer thread and memory is applied at once; a write that
/// then fails takes the whole pass back at its end, before any of its replies leaves.
/// Single-threaded: the transport calls it on one loop (the writer thread sees only the values
/// handed to it).
public final class FleetApplication {
    /// Every org by id, the default one (the fixtures' keys) included.
    private(set) var orgs: [String: Org]
    private var orgIDByAPIKey: [String: String] = [:]
    /// The org the request being handled belongs to; the default org between requests.
    var current: Org
    let orgHosting: OrgHosting?
    /// Draws new org ids and keys; seeded, so runs repeat.
    var orgRandom: SeededRandom
    let rateLimitSettings: RateLimiter.Settings

    /// The current org's state. Handlers read and write these as if there were one org.
    /// `_modify` mutates the org's simulation in place: a get/set pair would copy the whole state
    /// (every deployment) on each mutation, making every write O(deployments held).
    public internal(set) var simulation: FleetSimulation {
        get { current.simulation }
        set { current.simulation = newValue }  // a replacement: the org empties its reply cache
        _modify { yield &current.simulation }
    }
    var persistence: FleetPersistence { current.persistence }
    var credentials: Credentials { current.credentials }
    var rateLimiter: RateLimiter {
        get { current.rateLimiter }
        _modify { yield &current.rateLimiter }
    }
    var loadFixtures: () throws(FleetError) -> FleetSnapshot { current.loadFixtures }

    let router = Router.fleet
    let log: (String) -> Void
    /// Microseconds from any fixed origin, for request timings; the transport passes the real one.
    private let monotonicMicroseconds: () -> Int64
    public internal(set) var journal: RequestJournal
    public internal(set) var faults = FaultBook()
    /// The live dashboard's page (`ui/index.html`), served at /__fleetmock/ui; nil when not found.
    public var dashboardPage: [UInt8]?

    /// Group commit: writes join one open transaction per org, made durable by `finishPass()`,
    /// which the transport calls once per event-loop pass before it sends the pass's replies. Off:
    /// each request commits its own transaction before its reply is built.
    public var groupsCommits = false
    /// Orgs with writes not yet committed, in the order they first wrote.
    var orgsWithOpenBatch: [Org] = []
    /// Orgs whose writes were lost since the held replies were last sent.
    var lostOrgs: Set<String> = []
    /// The org the request being handled reads or writes (set on entering it), for `APIResponse.org`.
    var requestOrg: Org?
    /// Orgs that requests wrote to in this pass (not the simulation's own progress, which time
    /// re-derives after a loss): a reply in such an org may show a write the pass end could lose.
    var orgsWrittenByRequests: Set<String> = []
    /// Background commit (`commitInBackground`): the thread that writes, and what it was given
    /// since the last commit.
    var writerThread: WriterThread?
    var passHasBackgroundWork = false
    var orgsWrittenInBackground: [Org] = []

    public init(
        simulation: FleetSimulation, persistence: FleetPersistence, credentials: Credentials,
        rateLimit: RateLimiter.Settings, journal: RequestJournal = RequestJournal(),
        monotonicMicroseconds: @escaping () -> Int64 = { 0 },
        loadFixtures: @escaping () throws(FleetError) -> FleetSnapshot = { () throws(FleetError) in
            throw FleetError.storageFailure(reason: "no fixtures to reset to")
        },
        orgHosting: OrgHosting? = nil, orgRecords: [OrgRecord] = [], orgSeed: UInt64 = 0,
        log: @escaping (String) -> Void
    ) {
        let defaultOrg = Org(
            id: Org.defaultID, createdAt: nil, credentials: credentials, simulation: simulation,
            persistence: persistence, rateLimit: rateLimit, loadFixtures: loadFixtures)
        self.current = defaultOrg
        self.orgs = [Org.defaultID: defaultOrg]
        self.orgHosting = orgHosting
        self.orgRandom = SeededRandom(seed: orgSeed ^ 0x6F72_6773)  // "orgs": apart from the fleet's draws
        self.rateLimitSettings = rateLimit
        self.journal = journal
        self.monotonicMicroseconds = monotonicMicroseconds
        self.log = log
        register(defaultOrg)
        for record in orgRecords {
            do {
                register(try openOrg(record))
            } catch {
                // Its keys answer 503, not 401: the org exists, its state could not be read.
                log("org \(record.id) could not be opened and is left out: \(error)")
                for key in record.credentials.apiKeyValues { unavailableOrgIDByAPIKey[key] = record.id }
            }
        }
    }

    func register(_ org: Org) {
        orgs[org.id] = org
        for key in org.credentials.apiKeyValues { orgIDByAPIKey[key] = org.id }
    }

    func unregister(_ org: Org) {
        orgs[org.id] = nil
        for key in org.credentials.apiKeyValues where orgIDByAPIKey[key] == org.id { orgIDByAPIKey[key] = nil }
    }

    /// API keys of orgs whose state could not be opened at start.
    var unavailableOrgIDByAPIKey: [String: String] = [:]

    /// The org a request's API key belongs to; the default org when the key is missing or unknown
    /// (its credentials then answer the 401).
    func org(forAPIKey apiKey: String?) -> Org {
        apiKey.flatMap { orgIDByAPIKey[$0] }.flatMap { orgs[$0] } ?? orgs[Org.defaultID]!
    }

    /// Runs `body` with `org` as the current org.
    func within<Result>(_ org: Org, _ body: () throws(FleetError) -> Result) throws(FleetError) -> Result {
        let previous = current
        current = org
        requestOrg = org
        defer { current = previous }
        return try body()
    }

    // MARK: Time

    /// Runs every org's rollout events due by now and persists them; the transport's timer calls it.
    public func advanceAllOrgs(wallNow: Instant) {
        for org in orgs.values {
            try? within(org) { () throws(FleetError) in advanceSimulation(wallNow: wallNow) }
        }
    }

    /// Runs the current org's rollout events due by now and persists them. Called before each request.
    public func advanceSimulation(wallNow: Instant) {
        let changes = simulation.advance(to: simulation.clock.now(wall: wallNow))
        guard !changes.isEmpty else { return }
        do {
            try write(changes)
        } catch {
            // Progress is a function of time, so a lost write is re-derived after a restart.
            log("could not persist simulation progress: \(error)")
        }
    }

    /// Wall milliseconds until the next rollout event, for the transport's timer; nil if none is due
    /// or time only moves by hand.
    public func millisecondsUntilNextEvent(wallNow: Instant) -> Int64? {
        orgs.values.compactMap { org -> Int64? in
            let simulation = org.simulation
            guard simulation.clock.mode == .wall, let next = simulation.nextEventTime else { return nil }
            let simulated = Double(max(0, next.milliseconds - simulation.clock.now(wall: wallNow).milliseconds))
            return Int64((simulated / simulation.clock.speed).rounded(.up))
        }.min()
    }

    // MARK: Requests

    /// Limits the API answers itself, in the envelope: request headers in total, and bodies (a
    /// restore document may be larger than any API body).
    public static let maximumHeaderBytes = 64 << 10
    public static let maximumBodyBytes = 1 << 20
    public static let maximumRestoreBytes = 8 << 20

    public func handle(_ request: APIRequest, wallNow: Instant) -> APIResponse {
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > Self.maximumHeaderBytes {
            return FleetError.requestTooLarge(
                status: 431, reason: "request headers total \(headerBytes) bytes; the limit is \(Self.maximumHeaderBytes)").response
        }
        let bodyLimit = request.target.hasPrefix("/__fleetmock/restore") ? Self.maximumRestoreBytes : Self.maximumBodyBytes
        if request.body.count > bodyLimit {
            return FleetError.requestTooLarge(
                status: 413, reason: "the body is \(request.body.count) bytes; the limit is \(bodyLimit)").response
        }
        let started = monotonicMicroseconds()
        // Over UTF-8: a search by Character walks grapheme boundaries, a tenth of a GET's time.
        let pathEnd = request.target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? request.target.endIndex
        let path = String(request.target[..<pathEnd])
        let queryString = pathEnd < request.target.endIndex
            ? request.target[request.target.index(after: pathEnd)...] : Substring()
        let isControlPath = path.hasPrefix("/__fleetmock/") || path == "/__fleetmock"
        let routing: Result<Router.Match, FleetError>
        do throws(FleetError) {
            routing = .success(try router.match(method: request.method, path: path))
        } catch {
            routing = .failure(error)
        }
        let operation = try? routing.get().operation
        // Each request runs in the org its API key belongs to (the default org for control paths).
        let previous = current
        current = isControlPath ? orgs[Org.defaultID]! : org(forAPIKey: request.header("DD-API-KEY"))
        requestOrg = isControlPath ? nil : current
        defer { current = previous }
        var response: APIResponse
        var faultID: String?
        // Faults shape answers after routing and before everything else, so a test can force even
        // a 401; FleetMock's own control surface is never faulted.
        if !isControlPath, let (shaped, id) = faultedResponse(request, path: path, operation: operation, wallNow: wallNow) {
            response = shaped
            faultID = id
        } else {
            response = answer(request, path: path, queryString: queryString, routing: routing, wallNow: wallNow)
            if !isControlPath, let prefer = PreferHeader(request.header("Prefer")) {
                response.delayMilliseconds = prefer.latencyMilliseconds
            }
        }
        response.operation = operation?.rawValue
        // Only a reply that may show a request's write depends on the pass's commit: a read whose
        // org saw nothing but progress stands even when that progress could not be saved.
        response.org = requestOrg.flatMap { orgsWrittenByRequests.contains($0.id) ? $0.id : nil }
        if !isControlPath {
            var nearMatch: String?
            if case .failure(.routeNotFound(_, _, let nearest)) = routing { nearMatch = nearest }
            journal.record(
                time: wallNow, method: request.method, target: request.target, operation: operation?.rawValue,
                org: current.id, status: response.dropConnection ? 0 : response.status,
                durationMicroseconds: monotonicMicroseconds() - started, requestBody: request.body,
                responseBody: response.body, deferredResponseBody: response.deferredBody, nearMatch: nearMatch,
                fault: faultID)
        }
        return response
    }

    /// The request pipeline proper: credentials, permission, rate limit, then the operation.
    func answer(
        _ request: APIRequest, path: String, queryString: Substring, routing: Result<Router.Match, FleetError>,
        wallNow: Instant
    ) -> APIResponse {
        let apiKey = request.header("DD-API-KEY") ?? ""
        var rateStatus: RateLimiter.Status?
        var operation: Operation?
        var response: APIResponse
        do throws(FleetError) {
            let match = try routing.get()
            operation = match.operation
            let input = RequestInput(match: match, queryString: queryString, body: request.body)
            if match.operation.isControl {
                // Control operations replace states, open and delete stores: they start from a
                // committed state.
                commitOpenBatches()
                response = try handleControl(match.operation, input: input, wallNow: wallNow)
            } else {
                if let unavailable = unavailableOrgIDByAPIKey[apiKey] { throw FleetError.orgUnavailable(id: unavailable) }
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
            if case .stateFileReplaced(let path) = error {
                log("the state file \(path) was deleted or replaced: writes are refused (503) until a restart")
            }
            response = error.response
        }
        if path.hasPrefix("/api/") {
            let status = rateStatus
                ?? rateLimiter.peek(apiKey: apiKey, operation: operation ?? .listFleetDeployments, now: wallNow)
            appendRateLimitHeaders(status, named: operation == nil ? "unknown" : status.name, to: &response)
        }
        return response
    }

    func appendRateLimitHeaders(_ status: RateLimiter.Status, named name: String, to response: inout APIResponse) {
        response.headers.append(contentsOf: [
            ("X-RateLimit-Limit", String(status.limit)),
            ("X-RateLimit-Period", String(status.periodSeconds)),
            ("X-RateLimit-Remaining", String(status.remaining)),
            ("X-RateLimit-Reset", String(status.resetSeconds)),
            ("X-RateLimit-Name", name),
        ])
    }

    /// Persists planned changes, then applies them: memory never gets ahead of the store's writes
    /// (with group commit, no reply leaves before they are committed; in the background, the writes
    /// are only handed over here, and a failure puts memory back at the pass's end).
    func commit(_ changes: [FleetChange]) throws(FleetError) {
        if !changes.isEmpty { orgsWrittenByRequests.insert(current.id) }
        try write(changes)
        simulation.apply(changes)
    }

    /// Writes changes to the current org's store: committed at once, or into its open batch (by
    /// the writer thread, in the background).
    func write(_ changes: [FleetChange]) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try persistence.requireFileInPlace()
        } catch {
            // The writer thread is idle once the pass so far is committed: the store is the loop's.
            commitOpenBatches()
            persistence.releaseReplacedFile()
            throw error
        }
        guard groupsCommits else { return try persistence.persist(changes) }
        if let writerThread { return writeInBackground(changes, on: writerThread) }
        // Noted before writing: even a write that fails may have opened the batch, which the end of
        // the pass must then close (and, if the failure lost it, report).
        if !orgsWithOpenBatch.contains(where: { $0 === current }) { orgsWithOpenBatch.append(current) }
        try persistence.persistInBatch(changes)
    }

    // MARK: Group commit

    /// True while some write is not yet committed: every reply must wait for `finishPass()`.
    public var hasUncommittedWrites: Bool {
        !orgsWithOpenBatch.isEmpty || passHasBackgroundWork
    }

    /// Commits every open batch. Returns nil when every write since the last call is durable; else
    /// the orgs whose writes were lost (their memory is then reloaded from what their stores hold)
    /// and the reply that each held reply of those orgs must become, since none may report what
    /// was not kept. Another org's replies stand: its writes were committed.
    public func finishPass() -> LostWrites? {
        commitOpenBatches()
        orgsWrittenByRequests.removeAll(keepingCapacity: true)
        guard !lostOrgs.isEmpty else { return nil }
        defer { lostOrgs.removeAll() }
        return LostWrites(orgs: lostOrgs, reply: FleetError.storageFailure(reason: "the write could not be committed").response)
    }

    /// Commits each org's open batch; an org whose writes were lost gets its committed state back.
    /// In the background, waits for the writer thread's commit.
    func commitOpenBatches() {
        if let writerThread { return commitBackgroundWork(on: writerThread) }
        let orgs = orgsWithOpenBatch
        orgsWithOpenBatch.removeAll(keepingCapacity: true)
        for org in orgs {
            do {
                try org.persistence.commitBatch()
            } catch {
                lostOrgs.insert(org.id)
                log("storage failure: \(error); org \(org.id) goes back to its last committed state")
                returnToCommittedState(org)
            }
        }
    }

    /// Puts the org's memory back in step with what its store holds.
    func returnToCommittedState(_ org: Org) {
        do {
            if let committed = try org.persistence.loadCommitted() {
                org.simulation = FleetSimulation(snapshot: committed, settings: org.simulation.standardSettings)
            }
        } catch {
            log("cannot reload org \(org.id) from its store: \(error)")
        }
    }

    /// Commits changes that create a deployment and returns it as now stored. Host faults it used
    /// are counted.
    func commitDeployment(_ changes: [FleetChange]) throws(FleetError) -> Deployment {
        try commit(changes)
        guard case .deploymentCreated(let created) = changes.first, let deployment = simulation.deployment(id: created.id)
        else { throw FleetError.storageFailure(reason: "the command produced no deployment") }
        if !faults.hostFaults(inOrg: current.id).isEmpty {
            faults.consumeHostFaults(
                inOrg: current.id, for: deployment.operations.filter { $0.state != .skipped }.map(\.hostKey))
        }
        if simulation.progressPolicy == .immediate {
            // Every host finishes at the instant of creation: run those events now, so the reply
            // already shows the outcome.
            let progress = simulation.advance(to: deployment.createdAt)
            if !progress.isEmpty { try write(progress) }
            return simulation.deployment(id: deployment.id) ?? deployment
        }
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

    func clockBody(wallNow: Instant) -> [UInt8] {
        let now = simulation.clock.now(wall: wallNow)
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("frozen", simulation.clock.mode == .manual)
        writer.field("mode", simulation.clock.mode.rawValue)
        writer.field("now", ISO8601.format(now))
        writer.field("now_unix", now.unixSeconds)
        writer.field("now_unix_ms", now.milliseconds)
        writer.field("offset_ms", simulation.clock.offsetMilliseconds)
        writer.field("speed", simulation.clock.speed)
        writer.endObject()
        return writer.bytes
    }
}

@available(*, unavailable)
extension FleetApplication: Sendable {}

/// The writes of a pass that were not kept: in which orgs, and what their held replies become.
public struct LostWrites: Sendable {
    public let orgs: Set<String>
    public let reply: APIResponse
}
