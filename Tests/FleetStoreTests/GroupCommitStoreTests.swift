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
        let doomed = seeded.fleet.planClockAdvance(byMilliseconds: 5_000) + [trigger[0]]
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
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        func insert(_ value: Int64) throws(SQLiteError) {
            try connection.transaction { () throws(SQLiteError) in
                try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(value))
            }
        }
        func values() throws -> [Int64] {
            let rows = try connection.statement("SELECT x FROM t ORDER BY x")
            var values: [Int64] = []
            while try rows.step() { values.append(rows.int64(at: 0)) }
            return values
        }
        try connection.beginBatch()
        try insert(1)
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
        #expect(try values() == [])
        // Reported once: the next batch works.
        try connection.beginBatch()
        try insert(2)
        try connection.commitBatch()
        #expect(try values() == [2])
    }
}

/// A write of one statement runs in the batch without a savepoint: a failure still takes back
/// only itself.
@Suite struct SingleStatementBatchTests {
    @Test func aFailedSingleStatementLeavesTheBatchAndItsOtherWrites() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        func insert(_ value: Int64) throws(SQLiteError) {
            try connection.singleStatement { () throws(SQLiteError) in
                try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(value))
            }
        }
        try connection.beginBatch()
        try insert(1)
        #expect(throws: SQLiteError.self) { try insert(1) }  // primary key
        #expect(connection.batchOpen)
        try insert(2)
        try connection.commitBatch()
        let rows = try connection.statement("SELECT x FROM t ORDER BY x")
        var values: [Int64] = []
        while try rows.step() { values.append(rows.int64(at: 0)) }
        #expect(values == [1, 2])
    }

    @Test func rollingABatchBackTakesEveryWriteAndEvenAStrayTransaction() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        func insert(_ value: Int64) throws(SQLiteError) {
            try connection.singleStatement { () throws(SQLiteError) in
                try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(value))
            }
        }
        func count() throws -> Int64 {
            try connection.statement("SELECT count(*) FROM t").firstRow { $0.int64(at: 0) } ?? -1
        }
        try connection.beginBatch()
        try insert(1)
        try insert(2)
        connection.rollbackBatch()
        #expect(!connection.batchOpen)
        #expect(try count() == 0)

        // A transaction left open behind the batch's back (as a ROLLBACK that failed would leave
        // one) is rolled back too, so the next batch can begin.
        try connection.execute("BEGIN")
        try connection.execute("INSERT INTO t (x) VALUES (3)")
        connection.rollbackBatch()
        try connection.beginBatch()
        try insert(4)
        try connection.commitBatch()
        #expect(try count() == 1)
    }
}
