import FleetDomain
import FleetJSON

/// The control surface's fault routes: request rules (global) and host faults (per org, `?org=`).
extension ControlSurface {
    /// `POST /__fleetmock/faults`: a request rule, or with `host`, a host fault.
    static func addFault(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let body = try call.body()
        if let host = try body.string("host") {
            return .json(201, try addHostFault(host, body, org: org, call))
        }
        let rule = try rule(from: body, id: call.control.faults.makeID())
        call.control.faults.add(rule)
        var writer = JSONWriter()
        write(rule, into: &writer)
        return .json(201, writer.bytes)
    }

    /// `GET /__fleetmock/faults`: every rule, and the named org's host faults.
    static func listFaults(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let faults = call.control.faults
        var writer = JSONWriter(reservingCapacity: 1024)
        writer.beginObject()
        writer.key("faults")
        writer.beginArray()
        for rule in faults.rules { write(rule, into: &writer) }
        writer.endArray()
        writer.key("host_faults")
        writer.beginArray()
        for fault in faults.hostFaults(inOrg: org.id).values.sorted(by: { $0.hostname < $1.hostname }) {
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
        return .json(200, writer.bytes)
    }

    /// `DELETE /__fleetmock/faults`: every fault; with `?org=`, that org's alone.
    static func clearFaults(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        if call.input.has("org") {
            call.control.clearFaults(of: org)
        } else {
            call.control.faults.clear()
        }
        return APIResponse(status: 204)
    }

    /// `DELETE /__fleetmock/faults/{id}`
    static func removeFault(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        guard let id = call.input.parameters["id"] ?? nil, call.control.faults.remove(id: id, inOrg: org.id) else {
            throw FleetError.invalidField(path: "id", reason: "names no fault rule")
        }
        return APIResponse(status: 204)
    }

    /// An org's host faults and the rules scoped to its API keys: on its reset, its deletion, or
    /// `DELETE /__fleetmock/faults?org=`.
    func clearFaults(of org: Org) {
        faults.clear(inOrg: org.id, apiKeys: Set(org.credentials.apiKeyValues))
    }

    private static func addHostFault(_ host: String, _ body: JSONFields, org: Org, _ call: ControlCall)
        throws(FleetError) -> [UInt8]
    {
        guard
            let target = org.simulation.host(agentKey: host)
                ?? org.simulation.hosts.first(where: { $0.hostname == host })
        else { throw FleetError.invalidField(path: "host", reason: "'\(host)' is neither a hostname nor an agent key") }
        let times = try body.integer("times") ?? 1
        guard (1...10_000).contains(times) else {
            throw FleetError.invalidField(path: "times", reason: "must be from 1 to 10000, got \(times)")
        }
        let error = try body.string("error") ?? "Simulated failure forced by a FleetMock host fault"
        call.control.faults.add(
            FaultBook.HostFault(
                agentKey: target.agentKey, hostname: target.hostname, error: error, remaining: Int(times)),
            inOrg: org.id)
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

    private static func rule(from body: JSONFields, id: @autoclosure () -> String) throws(FleetError) -> FaultBook.Rule
    {
        let operation = try body.string("operation")
        if let operation, Operation(rawValue: operation).map({ $0.isControl }) ?? true {
            let known = Operation.allCases.filter { !$0.isControl }.map(\.rawValue).joined(separator: ", ")
            throw FleetError.invalidField(
                path: "operation", reason: "'\(operation)' is not an operation id; one of \(known)")
        }
        let method = try body.string("method")?.uppercased()
        let path = try body.string("path")
        if let path, !path.hasPrefix("/") {
            throw FleetError.invalidField(path: "path", reason: "must start with '/', got '\(path)'")
        }
        guard operation != nil || path != nil else {
            throw FleetError.invalidField(
                path: "operation", reason: "or path is required, to say which requests the rule shapes")
        }
        let status = try body.integer("status")
        if let status, !(100...599).contains(status) {
            throw FleetError.invalidField(
                path: "status", reason: "must be an HTTP status from 100 to 599, got \(status)")
        }
        let latency = try body.integer("latency_ms") ?? 0
        guard (0...60_000).contains(latency) else {
            throw FleetError.invalidField(path: "latency_ms", reason: "must be from 0 to 60000, got \(latency)")
        }
        let drop = try body.bool("drop") ?? false
        let responseBody = try body.value("body")
        guard status != nil || latency > 0 || drop || responseBody != nil else {
            throw FleetError.invalidField(
                path: "status", reason: "latency_ms, drop or body is required: the rule must do something")
        }
        let times = try body.integer("times")
        if let times, !(1...1_000_000).contains(times) {
            throw FleetError.invalidField(path: "times", reason: "must be from 1 to 1000000, got \(times)")
        }
        return FaultBook.Rule(
            id: id(), operation: operation, method: method, pathPattern: path, apiKey: try body.string("api_key"),
            status: status.map(Int.init) ?? (responseBody != nil ? 200 : nil), body: responseBody,
            latencyMilliseconds: latency, drop: drop, remaining: times.map(Int.init))
    }

    private static func write(_ rule: FaultBook.Rule, into writer: inout JSONWriter) {
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
}
