/// How simulated time relates to the wall clock.
public enum ClockMode: String, Sendable, CaseIterable {
    /// Simulated time runs with the wall clock, `speed` times as fast, plus an offset (which
    /// `advance` grows).
    case wall
    /// Simulated time is frozen and moves only when advanced or set explicitly.
    case manual
}

/// Simulated time. Pure: the wall clock is passed in, so tests and the manual mode need no sleeping.
///
/// Running, `now = anchor + (wall - anchorWall) × speed` with `anchor = anchorWall + offset`; at
/// speed 1 that is simply `wall + offset`.
public struct SimulationClock: Equatable, Sendable {
    /// The instant a fresh manual clock starts at: 2026-01-01T00:00:00Z, fixed so runs are repeatable.
    public static let defaultManualStart = Instant(seconds: 1_767_225_600)
    public static let speeds: ClosedRange<Double> = 0.001...10_000
    /// The instants simulated time may take: the Unix epoch to 9000-01-01T00:00:00Z. The margin to
    /// Int64's end (and to ISO 8601's four-digit years) keeps every later sum in range: operation
    /// durations, estimated ends, timers. Set, advance and restore refuse to leave it; a clock read
    /// from an older file, or run fast for ages, stops at its end instead of overflowing.
    public static let instants = Instant(milliseconds: 0)...Instant(milliseconds: 221_845_392_000_000)
    /// Offsets and wall anchors further from zero than this cannot come from a clock in range.
    static let largestOffset = instants.upperBound.milliseconds

    public var mode: ClockMode
    public var offsetMilliseconds: Int64
    /// The current simulated time in `manual` mode.
    public var manualNow: Instant
    /// How many simulated milliseconds pass per wall millisecond while running.
    public var speed: Double
    /// The wall instant the current speed took effect.
    public var anchorWallMilliseconds: Int64

    public init(
        mode: ClockMode, offsetMilliseconds: Int64 = 0, manualNow: Instant = SimulationClock.defaultManualStart,
        speed: Double = 1, anchorWallMilliseconds: Int64 = 0
    ) {
        self.mode = mode
        self.offsetMilliseconds = offsetMilliseconds
        self.manualNow = manualNow
        self.speed = speed
        self.anchorWallMilliseconds = anchorWallMilliseconds
    }

    public func now(wall: Instant) -> Instant {
        switch mode {
        case .manual:
            return Self.bounded(Double(manualNow.milliseconds))
        case .wall where speed == 1:
            let (sum, overflow) = wall.milliseconds.addingReportingOverflow(offsetMilliseconds)
            return overflow || !Self.instants.contains(Instant(milliseconds: sum))
                ? Self.bounded(Double(wall.milliseconds) + Double(offsetMilliseconds)) : Instant(milliseconds: sum)
        case .wall:
            let elapsed = (Double(wall.milliseconds) - Double(anchorWallMilliseconds)) * speed
            return Self.bounded(Double(anchorWallMilliseconds) + Double(offsetMilliseconds) + elapsed.rounded(.down))
        }
    }

    /// The instant nearest `milliseconds` within `instants` (computed in Double: it cannot overflow).
    private static func bounded(_ milliseconds: Double) -> Instant {
        let lowest = Double(instants.lowerBound.milliseconds)
        let highest = Double(instants.upperBound.milliseconds)
        return Instant(milliseconds: Int64(min(max(milliseconds.isNaN ? lowest : milliseconds, lowest), highest)))
    }

    /// Whether `delta` moves now (at `wall`) to an instant still within `instants`.
    public func canAdvance(byMilliseconds delta: Int64, wall: Instant) -> Bool {
        delta >= 0 && delta <= Self.instants.upperBound.milliseconds - now(wall: wall).milliseconds
    }

    /// A clock whose fields could come from no clock in range (a hand-edited snapshot or file) is refused.
    public var hasFieldsInRange: Bool {
        Self.instants.contains(manualNow) && offsetMilliseconds.magnitude <= Self.largestOffset.magnitude
            && anchorWallMilliseconds.magnitude <= Self.largestOffset.magnitude && Self.speeds.contains(speed)
    }

    public mutating func advance(byMilliseconds delta: Int64) {
        switch mode {
        case .wall: offsetMilliseconds += delta
        case .manual: manualNow = manualNow.adding(milliseconds: delta)
        }
    }

    /// Stops time where it is.
    public mutating func freeze(wall: Instant) {
        manualNow = now(wall: wall)
        mode = .manual
    }

    /// Lets time run from where it is, `speed` times as fast as the wall clock.
    public mutating func run(wall: Instant, speed: Double) {
        let current = now(wall: wall)
        mode = .wall
        self.speed = speed
        anchorWallMilliseconds = wall.milliseconds
        offsetMilliseconds = current.milliseconds - wall.milliseconds
    }
}
