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
            return manualNow
        case .wall where speed == 1:
            return wall.adding(milliseconds: offsetMilliseconds)
        case .wall:
            let elapsed = Double(wall.milliseconds - anchorWallMilliseconds) * speed
            return Instant(milliseconds: anchorWallMilliseconds + offsetMilliseconds + Int64(elapsed.rounded(.down)))
        }
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
