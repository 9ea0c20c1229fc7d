import FleetDomain
import FleetJSON

/// The simulated clock and how host operations progress with it, per org (`?org=`).
extension ControlSurface {
    /// `GET /__fleetmock/clock`
    static func getClock(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        call.advance(org)
        return .json(200, clockBody(org, wallNow: call.wallNow))
    }

    /// `POST /__fleetmock/clock/advance` `{"seconds": S}`: moves time on, running what falls due.
    static func advanceClock(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let body = try call.input.jsonObject()
        guard let secondsValue = body["seconds"] else {
            throw FleetError.invalidBody(reason: "field 'seconds' is required")
        }
        guard let seconds = secondsValue.doubleValue, seconds.isFinite else {
            throw FleetError.invalidBody(reason: "field 'seconds' must be a number, not \(secondsValue.typeName)")
        }
        guard seconds >= 0, seconds <= 10 * 365 * 86_400 else {
            throw FleetError.invalidBody(reason: "field 'seconds' must be between 0 and 315360000, got \(seconds)")
        }
        call.advance(org)
        try call.commit(
            try org.simulation.planClockAdvance(byMilliseconds: Int64((seconds * 1000).rounded()), wall: call.wallNow),
            in: org)
        call.advance(org)
        return .json(200, clockBody(org, wallNow: call.wallNow))
    }

    /// `POST /__fleetmock/clock/freeze`
    static func freezeClock(_ call: ControlCall) throws(FleetError) -> APIResponse {
        try setClockRunning(false, call)
    }

    /// `POST /__fleetmock/clock/resume`, optionally `{"speed": X}`.
    static func resumeClock(_ call: ControlCall) throws(FleetError) -> APIResponse {
        try setClockRunning(true, call)
    }

    private static func setClockRunning(_ running: Bool, _ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        call.advance(org)
        let speed =
            running && call.input.hasBody
            ? try call.body().number("speed") ?? org.simulation.clock.speed : org.simulation.clock.speed
        try call.commit(try org.simulation.planClock(frozen: !running, speed: speed, wall: call.wallNow), in: org)
        return .json(200, clockBody(org, wallNow: call.wallNow))
    }

    /// `POST /__fleetmock/clock/set` `{"now": RFC 3339}` or `{"now_unix_ms": N}`.
    static func setClock(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        let body = try call.body()
        let instant: Instant
        if let text = try body.string("now") {
            guard let parsed = ISO8601.parse(text) else {
                throw FleetError.invalidField(
                    path: "now", reason: "must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z, got '\(text)'")
            }
            instant = parsed
        } else if let milliseconds = try body.integer("now_unix_ms") {
            guard SimulationClock.instants.contains(Instant(milliseconds: milliseconds)) else {
                let last = SimulationClock.instants.upperBound
                throw FleetError.invalidField(
                    path: "now_unix_ms",
                    reason: "must be from 0 to \(last.milliseconds) (\(ISO8601.format(last))), got \(milliseconds)")
            }
            instant = Instant(milliseconds: milliseconds)
        } else {
            throw FleetError.invalidField(path: "now", reason: "(or now_unix_ms) is required")
        }
        call.advance(org)
        try call.commit(try org.simulation.planClockSet(to: instant, wall: call.wallNow), in: org)
        call.advance(org)
        return .json(200, clockBody(org, wallNow: call.wallNow))
    }

    /// `GET /__fleetmock/progress`
    static func getProgress(_ call: ControlCall) throws(FleetError) -> APIResponse {
        .json(200, progressBody(try call.namedOrg()))
    }

    /// `POST /__fleetmock/progress` `{"policy": "immediate|stepped|timed"}`
    static func setProgress(_ call: ControlCall) throws(FleetError) -> APIResponse {
        let org = try call.namedOrg()
        guard let policy = try call.body().enumeration("policy", as: ProgressPolicy.self, required: true) else {
            throw FleetError.invalidField(path: "policy", reason: "is required")
        }
        call.advance(org)
        try call.commit(org.simulation.planProgressPolicy(policy, wall: call.wallNow), in: org)
        return .json(200, progressBody(org))
    }

    static func clockBody(_ org: Org, wallNow: Instant) -> [UInt8] {
        let clock = org.simulation.clock
        let now = clock.now(wall: wallNow)
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("frozen", clock.mode == .manual)
        writer.field("mode", clock.mode.rawValue)
        writer.field("now", ISO8601.format(now))
        writer.field("now_unix", now.unixSeconds)
        writer.field("now_unix_ms", now.milliseconds)
        writer.field("offset_ms", clock.offsetMilliseconds)
        writer.field("speed", clock.speed)
        writer.endObject()
        return writer.bytes
    }

    private static func progressBody(_ org: Org) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("policy", org.simulation.progressPolicy.rawValue)
        writer.endObject()
        return writer.bytes
    }
}
