import FleetDomain
import FleetTestSupport
import Glibc
import Testing

@testable import FleetStore

/// Batches in the store: writes joined into one open transaction, each in a savepoint of its own.
@Suite struct GroupCommitStoreTests {
    let t0 = TestFleet.start

    @Test func batchedWritesBecomeVisibleOnlyAtCommit() throws {
        var seeded = try SeededStore()
        for _ in 0..<3 {
            let trigger = try seeded.planTrigger()
            try seeded.store.persistInBatch(trigger)
            seeded.fleet.apply(trigger)
        }
        #expect(try seeded.committed()?.deployments.count == 0)
        try seeded.store.commitBatch()
        #expect(try seeded.committed() == seeded.fleet.snapshot)
    }

    @Test func aFailedWriteInsideABatchTakesBackOnlyItself() throws {
        var seeded = try SeededStore()
        let trigger = try seeded.planTrigger()
        try seeded.store.persistInBatch(trigger)
        seeded.fleet.apply(trigger)
        // A clock change, then a duplicate deployment id: the whole write goes, the batch stays.
        let doomed = try seeded.fleet.planClockAdvance(byMilliseconds: 5_000, wall: TestFleet.start) + [trigger[0]]
        #expect(throws: FleetError.self) { try seeded.store.persistInBatch(doomed) }
        guard case .deploymentCreated(let created) = trigger[0] else { Issue.record("no deployment"); return }
        let cancel = try seeded.fleet.planCancel(deploymentID: created.id, now: t0)
        try seeded.store.persistInBatch(cancel)
        seeded.fleet.apply(cancel)
        try seeded.store.commitBatch()

        let loaded = try #require(try seeded.committed())
        #expect(loaded.clock.manualNow == t0)
        #expect(loaded == seeded.fleet.snapshot)
        #expect(loaded.deployments.map(\.status) == [.canceled])
    }

    @Test func aTransactionOutsideABatchStillCommitsAtOnce() throws {
        let seeded = try SeededStore()
        try seeded.store.persist(try seeded.planTrigger())
        #expect(try seeded.committed()?.deployments.count == 1)
        try seeded.store.commitBatch()  // nothing open: nothing to do
        #expect(try seeded.committed()?.deployments.count == 1)
    }

    @Test func aBatchSQLiteRolledBackIsReportedAtCommitAndNoWriteBuildsOnItBefore() throws {
        let table = try IntegerTable()
        let connection = table.connection
        try connection.beginBatch()
        try table.insertInTransaction(1)
        // As SQLite does on a full disk or an I/O error: the whole transaction ends with the error.
        #expect(throws: SQLiteError.self) {
            try connection.transaction { () throws(SQLiteError) in
                try connection.execute("ROLLBACK")
                throw SQLiteError(code: 13, message: "database or disk is full (test)", context: "INSERT")
            }
        }
        #expect(!connection.batchOpen)
        // Later writes of the pass would build on the lost ones: refused until the loss is reported.
        #expect(throws: SQLiteError.self) { try connection.beginBatch() }
        #expect(throws: SQLiteError.self) { try connection.commitBatch() }
        #expect(try table.values() == [])
        // Reported once: the next batch works.
        try connection.beginBatch()
        try table.insertInTransaction(2)
        try connection.commitBatch()
        #expect(try table.values() == [2])
    }
}

/// A write of one statement runs in the batch without a savepoint: a failure still takes back
/// only itself.
@Suite struct SingleStatementBatchTests {
    @Test func aFailedSingleStatementLeavesTheBatchAndItsOtherWrites() throws {
        let table = try IntegerTable()
        let connection = table.connection
        try connection.beginBatch()
        try table.insertAsSingleStatement(1)
        #expect(throws: SQLiteError.self) { try table.insertAsSingleStatement(1) }  // primary key
        #expect(connection.batchOpen)
        try table.insertAsSingleStatement(2)
        try connection.commitBatch()
        #expect(try table.values() == [1, 2])
    }

    @Test func rollingABatchBackTakesEveryWriteAndEvenAStrayTransaction() throws {
        let table = try IntegerTable()
        let connection = table.connection
        try connection.beginBatch()
        try table.insertAsSingleStatement(1)
        try table.insertAsSingleStatement(2)
        connection.rollbackBatch()
        #expect(!connection.batchOpen)
        #expect(try table.values() == [])

        // A transaction left open behind the batch's back (as a ROLLBACK that failed would leave
        // one) is rolled back too, so the next batch can begin.
        try connection.execute("BEGIN")
        try connection.execute("INSERT INTO t (x) VALUES (3)")
        connection.rollbackBatch()
        try connection.beginBatch()
        try table.insertAsSingleStatement(4)
        try connection.commitBatch()
        #expect(try table.values() == [4])
    }
}

/// A one-column table on a connection of its own: the batch mechanics without a fleet.
private struct IntegerTable {
    let connection: SQLiteConnection

    init() throws {
        connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    }

    func insertInTransaction(_ value: Int64) throws(SQLiteError) {
        try connection.transaction { () throws(SQLiteError) in try insert(value) }
    }

    func insertAsSingleStatement(_ value: Int64) throws(SQLiteError) {
        try connection.singleStatement { () throws(SQLiteError) in try insert(value) }
    }

    private func insert(_ value: Int64) throws(SQLiteError) {
        try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(value))
    }

    func values() throws -> [Int64] {
        let rows = try connection.statement("SELECT x FROM t ORDER BY x")
        var values: [Int64] = []
        while try rows.step() { values.append(rows.int64(at: 0)) }
        return values
    }
}
