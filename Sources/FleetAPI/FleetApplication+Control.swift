import FleetDomain
import FleetJSON

/// FleetMock's own surface (`/__fleetmock/`): no credentials, no rate limit, never journaled or
/// faulted. Health, readiness, routes, the clock, the request journal and fault rules.
extension FleetApplication {
    func handleControl(_ operation: Operation, input: RequestInput, wallNow: Instant) throws(FleetError) -> APIResponse {
        switch operation {
        case .controlCreateOrg:
            return .json(201, try createOrg(input.hasBody ? JSONFields(try input.jsonObject(), path: "") : nil, wallNow: wallNow))
        case .controlDashboard:
            guard let page = dashboardPage else {
                throw FleetError.invalidField(path: "ui", reason: "the dashboard page (ui/index.html) was not found at start")
            }
            return APIResponse(
                status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], body: page)
        case .controlListOrgs:
            return .json(200, orgsBody())
        case .controlDeleteOrg:
            try deleteOrg(input.parameters["id"].flatMap { $0 } ?? "")
            return APIResponse(status: 204)
        case .controlReset where !input.has("org"):
            // Every org back to its fixtures.
            var orgsReset = 0
            for org in orgs.values.sorted(by: { $0.id < $1.id }) {
                _ = try within(org) { () throws(FleetError) in try handleControlInCurrentOrg(operation, input: input, wallNow: wallNow) }
                orgsReset += 1
            }
            journal.clear()
            faults.clear()
            return .json(200, resetBody(orgs: orgsReset))
        default:
            // Everything else acts on one org: `?org=ID`, or the default one.
            return try within(try namedOrg(input)) { () throws(FleetError) in
                try handleControlInCurrentOrg(operation, input: input, wallNow: wallNow)
            }
        }
    }

    func resetBody(orgs count: Int) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("deployments", simulation.deployments.count)
        writer.field("hosts", simulation.hosts.count)
        writer.field("orgs", count)
        writer.field("schedules", simulation.schedules.count)
        writer.field("status", "reset")
        writer.endObject()
        return writer.bytes
    }

    private func handleControlInCurrentOrg(_ operation: Operation, input: RequestInput, wallNow: Instant)
        throws(FleetError) -> APIResponse
    {
        switch operation {
        case .controlHealth:
            return .json(200, Array(#"{"status":"ok"}"#.utf8))
        case .controlRoutes:
            return .json(200, Self.routesBody)
        case .controlFreezeClock, .controlResumeClock:
            advanceSimulation(wallNow: wallNow)
            let speed = operation == .controlResumeClock && input.hasBody
                ? try JSONFields(try input.jsonObject(), path: "").number("speed") ?? simulation.clock.speed
                : simulation.clock.speed
            try commit(try simulation.planClock(frozen: operation == .controlFreezeClock, speed: speed, wall: wallNow))
            return .json(200, clockBody(wallNow: wallNow))
        case .controlSetClock:
            let body = try JSONFields(try input.jsonObject(), path: "")
            let instant: Instant
            if let text = try body.string("now") {
                guard let parsed = ISO8601.parse(text) else {
                    throw FleetError.invalidField(path: "now", reason: "must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z, got '\(text)'")
                }
                instant = parsed
            } else if let milliseconds = try body.integer("now_unix_ms") {
                guard SimulationClock.instants.contains(Instant(milliseconds: milliseconds)) else {
                    throw FleetError.invalidField(
                        path: "now_unix_ms", reason: "must be from 0 to \(SimulationClock.instants.upperBound.milliseconds) "
                            + "(\(ISO8601.format(SimulationClock.instants.upperBound))), got \(milliseconds)")
                }
                instant = Instant(milliseconds: milliseconds)
            } else {
                throw FleetError.invalidField(path: "now", reason: "(or now_unix_ms) is required")
            }
            advanceSimulation(wallNow: wallNow)
            try commit(try simulation.planClockSet(to: instant, wall: wallNow))
            advanceSimulation(wallNow: wallNow)
            return .json(200, clockBody(wallNow: wallNow))
        case .controlGetProgress:
            return .json(200, progressBody())
        case .controlSetProgress:
            let body = try JSONFields(try input.jsonObject(), path: "")
            guard let policy = try body.enumeration("policy", as: ProgressPolicy.self, required: true) else {
                throw FleetError.invalidField(path: "policy", reason: "is required")
            }
            advanceSimulation(wallNow: wallNow)
            try commit(simulation.planProgressPolicy(policy, wall: wallNow))
            return .json(200, progressBody())
        case .controlReset:
            let fixtures = try loadFixtures()
            try persistence.replaceAll(with: fixtures)
            current.replaceSimulation(with: fixtures)
            rateLimiter = RateLimiter(settings: rateLimiter.settings)
            clearFaults(of: current)
            return .json(200, resetBody(orgs: 1))
        case .controlSnapshot:
            advanceSimulation(wallNow: wallNow)
            return .json(200, simulation.snapshot.document.serialized)
        case .controlRestore:
            let document = try input.jsonObject()
            let snapshot: FleetSnapshot
            do {
                snapshot = try FleetSnapshot(document: document, defaultClock: simulation.clock, defaultSeed: simulation.random.state)
            } catch {
                throw FleetError.invalidField(path: error.path, reason: error.reason)
            }
            try persistence.replaceAll(with: snapshot)
            current.replaceSimulation(with: snapshot)
            advanceSimulation(wallNow: wallNow)
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("deployments", simulation.deployments.count)
            writer.field("hosts", simulation.hosts.count)
            writer.field("schedules", simulation.schedules.count)
            writer.field("status", "restored")
            writer.endObject()
            return .json(200, writer.bytes)
        case .controlListRequests:
            var filter = RequestJournal.Filter()
            filter.operation = try input.string("operation")
            filter.method = try input.string("method")
            if input.has("status") { filter.status = try input.integer("status", default: 0, in: 100...599) }
            // Every entry kept unless a limit is asked for; `?org=` also selects that org's entries.
            filter.limit = try input.integer("limit", default: journal.capacity, in: 0...journal.capacity)
            if input.has("org") { filter.org = current.id }
            if let since = try input.string("since") {
                guard let instant = ISO8601.parse(since) ?? Int64(since).map(Instant.init(milliseconds:)) else {
                    throw FleetError.invalidParameter(
                        name: "since", reason: "must be an RFC 3339 time or Unix milliseconds, got '\(since)'")
                }
                filter.since = instant
            }
            return .json(200, journal.render(journal.entries(matching: filter)))
        case .controlClearRequests:
            journal.clear()
            return APIResponse(status: 204)
        case .controlAddFault:
            let added = try addFault(try JSONFields(try input.jsonObject(), path: ""))
            return .json(201, added)
        case .controlListFaults:
            return .json(200, renderFaults())
        case .controlClearFaults:
            if input.has("org") {
                clearFaults(of: current)
            } else {
                faults.clear()
            }
            return APIResponse(status: 204)
        case .controlRemoveFault:
            guard let id = input.parameters["id"] ?? nil, faults.remove(id: id, inOrg: current.id) else {
                throw FleetError.invalidField(path: "id", reason: "names no fault rule")
            }
            return APIResponse(status: 204)
        case .controlFleetView:
            advanceSimulation(wallNow: wallNow)
            let filter = try input.query("filter")
            return .json(200, fleetViewBody(filter: filter, filtered: input.has("filter")))
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
            try commit(try simulation.planClockAdvance(byMilliseconds: Int64((seconds * 1000).rounded()), wall: wallNow))
            advanceSimulation(wallNow: wallNow)
            return .json(200, clockBody(wallNow: wallNow))
        default:
            throw FleetError.routeNotFound(method: "GET", path: operation.rawValue)
        }
    }


    /// Every host in one compact list, for the dashboard: what a tile shows, the state of the host's
    /// operation in the newest deployment that acts on it (one that skipped it only when none
    /// other did: a later trigger skipping a busy host must not hide its running operation), and
    /// whether it matches `filter`.
    func fleetViewBody(filter: HostQuery, filtered: Bool) -> [UInt8] {
        var latest: [String: (deployment: String, state: HostOperationState)] = [:]
        for deployment in simulation.deployments.reversed() {
            for operation in deployment.operations {
                if let seen = latest[operation.hostKey], seen.state != .skipped || operation.state == .skipped { continue }
                latest[operation.hostKey] = (deployment.id, operation.state)
            }
        }
        var writer = JSONWriter(reservingCapacity: 160 * simulation.hosts.count + 256)
        writer.beginObject()
        writer.key("hosts")
        writer.beginArray()
        var matching = 0
        for host in simulation.hosts {
            writer.beginObject()
            writer.field("agent_key", host.agentKey)
            writer.field("agent_version", host.agentVersion ?? "")
            writer.field("env", host.tagValues("env").first ?? "")
            writer.field("hostname", host.hostname)
            if filtered {
                let matches = filter.matches(host)
                if matches { matching += 1 }
                writer.field("matches", matches)
            }
            if let operation = latest[host.agentKey] {
                writer.field("deployment_id", operation.deployment)
                writer.field("operation", operation.state.rawValue)
            }
            writer.field("service", host.tagValues("service").first ?? "")
            writer.endObject()
        }
        writer.endArray()
        if filtered { writer.field("matching", matching) }
        writer.field("total", simulation.hosts.count)
        writer.endObject()
        return writer.bytes
    }

    func progressBody() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("policy", simulation.progressPolicy.rawValue)
        writer.endObject()
        return writer.bytes
    }

    // MARK: Faults

    /// An org's host faults and the rules scoped to its API keys: on its reset, its deletion, or
    /// `DELETE /__fleetmock/faults?org=`.
    func clearFaults(of org: Org) {
        faults.clear(inOrg: org.id, apiKeys: Set(org.credentials.apiKeyValues))
    }

    /// `POST /__fleetmock/faults`: a request rule, or with `host`, a host fault.
    private func addFault(_ body: JSONFields) throws(FleetError) -> [UInt8] {
        if let host = try body.string("host") {
            guard let target = simulation.host(agentKey: host) ?? simulation.hosts.first(where: { $0.hostname == host })
            else { throw FleetError.invalidField(path: "host", reason: "'\(host)' is neither a hostname nor an agent key") }
            let times = try body.integer("times") ?? 1
            guard (1...10_000).contains(times) else {
                throw FleetError.invalidField(path: "times", reason: "must be from 1 to 10000, got \(times)")
            }
            let error = try body.string("error") ?? "Simulated failure forced by a FleetMock host fault"
            let fault = FaultBook.HostFault(
                agentKey: target.agentKey, hostname: target.hostname, error: error, remaining: Int(times))
            faults.add(fault, inOrg: current.id)
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("agent_key", target.agentKey)
            writer.field("error", error)
            writer.field("host", target.hostname)
            writer.field("id", "host-" + target.agentKey)
            writer.field("times", times)
            writer.endObject()
            return writer.bytes
        }
        let operation = try body.string("operation")
        if let operation, Operation(rawValue: operation).map({ $0.isControl }) ?? true {
            let known = Operation.allCases.filter { !$0.isControl }.map(\.rawValue).joined(separator: ", ")
            throw FleetError.invalidField(path: "operation", reason: "'\(operation)' is not an operation id; one of \(known)")
        }
        let method = try body.string("method")?.uppercased()
        let path = try body.string("path")
        if let path, !path.hasPrefix("/") {
            throw FleetError.invalidField(path: "path", reason: "must start with '/', got '\(path)'")
        }
        guard operation != nil || path != nil else {
            throw FleetError.invalidField(path: "operation", reason: "or path is required, to say which requests the rule shapes")
        }
        let status = try body.integer("status")
        if let status, !(100...599).contains(status) {
            throw FleetError.invalidField(path: "status", reason: "must be an HTTP status from 100 to 599, got \(status)")
        }
        let latency = try body.integer("latency_ms") ?? 0
        guard (0...60_000).contains(latency) else {
            throw FleetError.invalidField(path: "latency_ms", reason: "must be from 0 to 60000, got \(latency)")
        }
        let drop = try body.bool("drop") ?? false
        let responseBody = try body.value("body")
        guard status != nil || latency > 0 || drop || responseBody != nil else {
            throw FleetError.invalidField(path: "status", reason: "latency_ms, drop or body is required: the rule must do something")
        }
        let times = try body.integer("times")
        if let times, !(1...1_000_000).contains(times) {
            throw FleetError.invalidField(path: "times", reason: "must be from 1 to 1000000, got \(times)")
        }
        let rule = FaultBook.Rule(
            id: faults.makeID(), operation: operation, method: method, pathPattern: path, apiKey: try body.string("api_key"),
            status: status.map(Int.init) ?? (responseBody != nil ? 200 : nil), body: responseBody,
            latencyMilliseconds: latency, drop: drop, remaining: times.map(Int.init))
        faults.add(rule)
        var writer = JSONWriter()
        write(rule, into: &writer)
        return writer.bytes
    }

    private func write(_ rule: FaultBook.Rule, into writer: inout JSONWriter) {
        writer.beginObject()
        if let apiKey = rule.apiKey { writer.field("api_key", apiKey) }
        if let body = rule.body { writer.field("body", body) }
        writer.field("drop", rule.drop)
        writer.field("hits", rule.hits)
        writer.field("id", rule.id)
        writer.field("latency_ms", rule.latencyMilliseconds)
        if let method = rule.method { writer.field("method", method) }
        if let operation = rule.operation { writer.field("operation", operation) }
        if let path = rule.pathPattern { writer.field("path", path) }
        if let status = rule.status { writer.field("status", status) }
        if let remaining = rule.remaining { writer.field("times", remaining) }
        writer.endObject()
    }

    private func renderFaults() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024)
        writer.beginObject()
        writer.key("faults")
        writer.beginArray()
        for rule in faults.rules { write(rule, into: &writer) }
        writer.endArray()
        writer.key("host_faults")
        writer.beginArray()
        for fault in faults.hostFaults(inOrg: current.id).values.sorted(by: { $0.hostname < $1.hostname }) {
            writer.beginObject()
            writer.field("agent_key", fault.agentKey)
            writer.field("error", fault.error)
            writer.field("host", fault.hostname)
            writer.field("id", "host-" + fault.agentKey)
            writer.field("times", fault.remaining)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// The answer a fault rule or the `Prefer` header forces, if any, and the rule's id.
    func faultedResponse(_ request: APIRequest, path: String, operation: Operation?, wallNow: Instant)
        -> (APIResponse, String?)?
    {
        var status: Int?
        var body: JSONValue?
        var latency: Int64 = 0
        var drop = false
        var id: String?
        if let rule = faults.take(operation: operation, method: request.method, path: path, apiKey: request.header("DD-API-KEY")) {
            (status, body, latency, drop, id) = (rule.status, rule.body, rule.latencyMilliseconds, rule.drop, rule.id)
        } else if let prefer = PreferHeader(request.header("Prefer")), prefer.status != nil || prefer.drop {
            (status, latency, drop, id) = (prefer.status, prefer.latencyMilliseconds, prefer.drop, "prefer")
        } else {
            return nil
        }
        var response: APIResponse
        if let status {
            if let body {
                response = .json(status, body.serialized)
            } else if status >= 400 {
                response = FleetError.forced(status: status, by: id ?? "").response
            } else {
                response = APIResponse(status: status)
            }
        } else {
            // Latency or a drop alone: the request runs as usual.
            let pathEnd = request.target.firstIndex(of: "?") ?? request.target.endIndex
            let queryString = pathEnd < request.target.endIndex
                ? request.target[request.target.index(after: pathEnd)...] : Substring()
            let routing: Result<Router.Match, FleetError>
            do throws(FleetError) {
                routing = .success(try router.match(method: request.method, path: path))
            } catch {
                routing = .failure(error)
            }
            response = answer(request, path: path, queryString: queryString, routing: routing, wallNow: wallNow)
        }
        if status != nil, path.hasPrefix("/api/") {
            // A forced 429 says when to retry, so a client's retry path can be exercised.
            let limit = rateLimiter.settings
            appendRateLimitHeaders(
                RateLimiter.Status(
                    limit: limit.limit, periodSeconds: limit.periodSeconds, remaining: status == 429 ? 0 : limit.limit,
                    resetSeconds: 1, name: operation?.rateLimitName ?? "unknown"),
                named: operation?.rateLimitName ?? "unknown", to: &response)
        }
        response.delayMilliseconds = latency
        response.dropConnection = drop
        return (response, id)
    }
}
