import FleetDomain
import FleetTestSupport
import Glibc

@testable import FleetStore

/// A database path in a fresh temporary folder: each test gets its own file.
func temporaryDatabasePath() -> String {
    var template = Array("/tmp/fleetmock-store-XXXXXX".utf8CString)
    let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    return folder + "/state.sqlite"
}

/// A store on a new file seeded with the test fleet, and that fleet, for tests that write through it.
struct SeededStore {
    let path: String
    var fleet: FleetSimulation
    let store: SQLiteFleetStore

    init() throws {
        path = temporaryDatabasePath()
        fleet = TestFleet.simulation()
        store = try SQLiteFleetStore(path: path)
        try store.seed(fleet.snapshot)
    }

    /// The changes of a trigger of the prod schedule at `now`, not yet persisted nor applied.
    func planTrigger(at now: Instant = TestFleet.start) throws -> [FleetChange] {
        try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: now)
    }

    /// What a new connection reads from the file: only committed writes.
    func committed() throws -> FleetSnapshot? {
        let reader = try SQLiteFleetStore(path: path)
        defer { reader.close() }
        return try reader.load(clockMode: .manual)
    }
}
