/// How simulated time relates to the wall clock.
public enum ClockMode: String, Sendable, CaseIterable {
    /// Simulated time is the wall clock plus an offset (which `advance` grows).
    case wall
    /// Simulated time moves only when advanced explicitly.
    case manual
}

/// Simulated time. Pure: the wall clock is passed in, so tests and the manual mode need no sleeping.
public struct SimulationClock: Equatable, Sendable {
    /// The instant a fresh manual clock starts at: 2026-01-01T00:00:00Z, fixed so runs are repeatable.
    public static let defaultManualStart = Instant(seconds: 1_767_225_600)

    public var mode: ClockMode
    /// Added to the wall clock in `wall` mode.
    public var offsetMilliseconds: Int64
    /// The current simulated time in `manual` mode.
    public var manualNow: Instant

    public init(mode: ClockMode, offsetMilliseconds: Int64 = 0, manualNow: Instant = SimulationClock.defaultManualStart) {
        self.mode = mode
        self.offsetMilliseconds = offsetMilliseconds
        self.manualNow = manualNow
    }

    public func now(wall: Instant) -> Instant {
        switch mode {
        case .wall: return wall.adding(milliseconds: offsetMilliseconds)
        case .manual: return manualNow
        }
    }

    public mutating func advance(byMilliseconds delta: Int64) {
        switch mode {
        case .wall: offsetMilliseconds += delta
        case .manual: manualNow = manualNow.adding(milliseconds: delta)
        }
    }
}
