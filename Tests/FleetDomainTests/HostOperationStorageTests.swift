import FleetDomain
import Testing

/// A host operation is stored compactly (times with a sentinel, the position as 32 bits, the error
/// texts behind one optional reference); it must read and change exactly as the plain fields did.
@Suite struct HostOperationStorageTests {
    private func operation(plannedError: String? = nil, error: String = "", position: Int = 3) -> HostOperation {
        HostOperation(
            hostKey: "key-1", hostname: "web-1", hostPosition: position, plannedDurationMilliseconds: 90_000,
            plannedToFail: plannedError != nil, plannedError: plannedError, error: error, initialVersions: ["7.52.1"])
    }

    @Test func fieldsReadAsTheyWereGiven() {
        let started = Instant(milliseconds: 1_767_225_600_000)
        let full = HostOperation(
            hostKey: "key-1", hostname: "web-1", hostPosition: 7, state: .failed, startedAt: started,
            finishedAt: started.adding(milliseconds: 500), plannedDurationMilliseconds: 500, plannedToFail: true,
            plannedError: "disk full", error: "disk full", initialVersions: ["7.52.1"])
        #expect(full.hostPosition == 7)
        #expect(full.state == .failed)
        #expect(full.startedAt == started)
        #expect(full.finishedAt == started.adding(milliseconds: 500))
        #expect(full.plannedFinish == started.adding(milliseconds: 500))
        #expect(full.plannedError == "disk full")
        #expect(full.error == "disk full")
        // Time zero (the epoch) is a time like any other, not "none".
        let atEpoch = HostOperation(
            hostKey: "k", hostname: "h", startedAt: Instant(milliseconds: 0), plannedDurationMilliseconds: 1,
            plannedToFail: false, initialVersions: [])
        #expect(atEpoch.startedAt == Instant(milliseconds: 0))
        #expect(atEpoch.finishedAt == nil)
        #expect(operation().plannedError == nil && operation().error == "")
    }

    @Test func settingTheErrorKeepsThePlannedOneAndLeavesCopiesAlone() {
        let planned = operation(plannedError: "planned")
        var reported = planned.withProgress(of: operation(error: "interrupted"))
        #expect(reported.error == "interrupted")
        #expect(reported.plannedError == "planned")
        #expect(planned.error == "")
        reported = reported.withProgress(of: operation())
        #expect(reported.error == "")
        #expect(reported.plannedError == "planned")
        #expect(operation(error: "x").withProgress(of: operation()) == operation())
    }

    @Test func aPositionBeyond32BitsIsUnknown() {
        #expect(operation(position: Int(Int32.max) + 1).hostPosition == -1)
        #expect(operation(position: -1).hostPosition == -1)
        #expect(operation(position: 99_999).hostPosition == 99_999)
    }

    /// Millions of these are kept (48 per trigger): a field added carelessly shows here.
    @Test func anOperationTakes80Bytes() {
        #expect(MemoryLayout<HostOperation>.stride == 80)
    }
}
