import FleetDomain
import Testing

@testable import FleetMockCLI

/// Which clock mode the flags ask for (`clockModeAsked`, nil keeping a stored state's), and the one
/// a new state starts with (`initialClockMode`).
@Suite struct ClockModeAskedTests {
    static func options(_ arguments: [String], environment: [String: String] = [:]) throws -> ServeOptions {
        try ServeOptions.parse(arguments: arguments, environment: environment)
    }

    @Test func noFlagAsksForNothingAndANewStateRunsOnTheWallClock() throws {
        let options = try Self.options([])
        #expect(options.clockModeAsked == nil)
        #expect(options.initialClockMode == .wall)
    }

    @Test(arguments: ClockMode.allCases)
    func clockGivenIsAsked(mode: ClockMode) throws {
        let options = try Self.options(["--clock", mode.rawValue])
        #expect(options.clockModeAsked == mode)
        #expect(options.initialClockMode == mode)
    }

    @Test func clockVariableCountsAsGiven() throws {
        let options = try Self.options([], environment: ["FLEETMOCK_CLOCK": "manual"])
        #expect(options.clockModeAsked == .manual)
        #expect(options.initialClockMode == .manual)
    }

    @Test(arguments: [nil, "wall", "manual"] as [String?])
    func steppedProgressFreezesTheClockWhateverClockSays(clock: String?) throws {
        let options = try Self.options(["--progress", "stepped"] + (clock.map { ["--clock", $0] } ?? []))
        #expect(options.clockModeAsked == .manual)
        #expect(options.initialClockMode == .manual)
    }

    @Test(arguments: [nil, "wall", "manual"] as [String?])
    func timedProgressRunsTheClockWhateverClockSays(clock: String?) throws {
        let options = try Self.options(["--progress", "timed"] + (clock.map { ["--clock", $0] } ?? []))
        #expect(options.clockModeAsked == .wall)
        #expect(options.initialClockMode == .wall)
    }

    @Test func immediateProgressLeavesItToClock() throws {
        let alone = try Self.options(["--progress", "immediate"])
        #expect(alone.clockModeAsked == nil)
        #expect(alone.initialClockMode == .wall)
        let manual = try Self.options(["--progress", "immediate", "--clock", "manual"])
        #expect(manual.clockModeAsked == .manual)
        #expect(manual.initialClockMode == .manual)
    }

    @Test func progressVariableAsksAsItsFlagDoes() throws {
        let options = try Self.options(["--clock", "wall"], environment: ["FLEETMOCK_PROGRESS": "stepped"])
        #expect(options.clockModeAsked == .manual)
    }
}
