import FleetDomain
import FleetTestSupport
import Testing

/// Simulated time stays within `SimulationClock.instants`, whatever fields a clock was given.
@Suite struct ClockBoundsTests {
    let wall = Instant(milliseconds: 1_767_225_600_000)

    @Test func fieldsFromNoClockInRangeSaturateInsteadOfOverflowing() {
        let last = SimulationClock.instants.upperBound
        let clocks = [
            SimulationClock(mode: .wall, offsetMilliseconds: .max - 5),
            SimulationClock(mode: .wall, offsetMilliseconds: .min + 5),
            SimulationClock(mode: .wall, offsetMilliseconds: .max / 2, speed: 10_000, anchorWallMilliseconds: .min / 2),
            SimulationClock(mode: .manual, manualNow: Instant(milliseconds: .max)),
        ]
        #expect(clocks.map { $0.now(wall: wall) } == [last, SimulationClock.instants.lowerBound, last, last])
        #expect(clocks.allSatisfy { !$0.hasFieldsInRange })
        // The most negative offsets have no absolute value in Int64: asked about, never a trap.
        #expect(!SimulationClock(mode: .wall, offsetMilliseconds: .min).hasFieldsInRange)
        #expect(!SimulationClock(mode: .wall, anchorWallMilliseconds: .min).hasFieldsInRange)
        #expect(SimulationClock(mode: .wall).hasFieldsInRange)
    }

    @Test func aClockRunningFastStopsAtItsLastInstant() {
        var clock = SimulationClock(mode: .wall)
        clock.run(wall: wall, speed: 10_000)
        #expect(clock.now(wall: Instant(milliseconds: .max)) == SimulationClock.instants.upperBound)
    }

    @Test func advancingAndSettingArePlannedOnlyWithinTheBound() throws {
        var fleet = TestFleet.simulation()
        fleet.apply([
            .clockUpdated(SimulationClock(mode: .manual, manualNow: Instant(milliseconds: 221_845_391_000_000)))
        ])
        #expect(throws: FleetError.self) { try fleet.planClockAdvance(byMilliseconds: 1_000_001, wall: wall) }
        #expect(throws: FleetError.self) {
            try fleet.planClockSet(to: Instant(milliseconds: 221_845_392_000_001), wall: wall)
        }
        #expect(throws: FleetError.self) { try fleet.planClockAdvance(byMilliseconds: -1, wall: wall) }
        let changes = try fleet.planClockAdvance(byMilliseconds: 1_000_000, wall: wall)
        #expect(
            changes == [.clockUpdated(SimulationClock(mode: .manual, manualNow: SimulationClock.instants.upperBound))])
    }
}
