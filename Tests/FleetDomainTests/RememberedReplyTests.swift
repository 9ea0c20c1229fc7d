import FleetDomain
import FleetTestSupport
import Testing

/// A remembered reply must never outlive the state it was rendered from.
@Suite struct RememberedReplyTests {
    let t0 = TestFleet.start

    @Test func everyKindOfChangeForgetsRememberedReplies() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        let reply: [UInt8] = Array("rendered".utf8)

        fleet.remember(reply, for: "k")
        #expect(fleet.rememberedReply(for: "k") == reply)
        _ = fleet.advance(to: t0)  // nothing due yet: the state is unchanged
        #expect(fleet.rememberedReply(for: "k") == reply)

        _ = fleet.advance(to: t0.plus(seconds: 6))  // the first hosts start
        #expect(fleet.rememberedReply(for: "k") == nil)

        fleet.remember(reply, for: "k")
        fleet.apply(try fleet.planClockAdvance(byMilliseconds: 1, wall: TestFleet.start))
        #expect(fleet.rememberedReply(for: "k") == nil)

        fleet.remember(reply, for: "k")
        _ = fleet.advance(to: t0.plus(seconds: 600))  // hosts finish: their versions change
        #expect(fleet.rememberedReply(for: "k") == nil)

        let second = try fleet.trigger(at: t0.plus(seconds: 600))
        fleet.remember(reply, for: "k")
        try fleet.cancel(second, at: t0.plus(seconds: 600))
        #expect(fleet.rememberedReply(for: "k") == nil)

        fleet.remember(reply, for: "k")
        fleet.apply(fleet.planProgressPolicy(.immediate, wall: t0))
        #expect(fleet.rememberedReply(for: "k") == nil)
        #expect(fleet.deployment(id: id) != nil)
    }

    @Test func rememberedRepliesAreBounded() {
        var fleet = TestFleet.simulation()
        for index in 0..<200 { fleet.remember([UInt8(index % 256)], for: "k\(index)") }
        let kept = (0..<200).filter { fleet.rememberedReply(for: "k\($0)") != nil }.count
        #expect(kept > 0 && kept <= 16)
        #expect(fleet.rememberedReply(for: "k199") == [199])
    }
}
