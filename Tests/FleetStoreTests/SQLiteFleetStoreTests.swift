import FleetDomain
import FleetJSON
import FleetTestSupport
import Glibc
import Testing

@testable import FleetStore

@Suite struct SQLiteFleetStoreTests {
    let t0 = TestFleet.start

    @Test func newDatabaseIsMigratedAndEmpty() throws {
        let store = try SQLiteFleetStore(path: temporaryDatabasePath())
        #expect(try store.schemaVersion == 6)
        #expect(try store.load(clockMode: .manual) == nil)
    }

    @Test func noStatementPinsTheWALSoACheckpointCanEmptyIt() throws {
        let path = temporaryDatabasePath()
        var fleet = TestFleet.simulation()
        let store = try SQLiteFleetStore(path: path)
        try store.seed(fleet.snapshot)
        _ = try store.load(clockMode: .manual)  // reads meta values, as a start-up does
        for step in 0..<5 {
            let changes = try fleet.planTrigger(
                scheduleID: TestFleet.prodSchedule.id, now: t0.plus(seconds: Int64(step)))
            try store.persist(changes)
            fleet.apply(changes)
        }
        let draft = ScheduleDraft(
            name: "n", query: "env:qa",
            rule: RecurrenceRule(
                daysOfWeek: ["Mon"], startMaintenanceWindow: "02:00", maintenanceWindowDuration: 60, timezone: "UTC"))
        try store.persist(try fleet.planCreateSchedule(draft, by: "me", now: t0))
        // A second connection, as the sqlite3 CLI or a backup would be, truncates the WAL only if no
        // read transaction of the store's connection is still open.
        let other = try SQLiteConnection(path: path)
        let checkpoint = try other.statement("PRAGMA wal_checkpoint(TRUNCATE)")
        #expect(try checkpoint.step())
        #expect(checkpoint.int64(at: 0) == 0, "checkpoint blocked by an open read transaction")
        #expect(checkpoint.int64(at: 1) == 0, "WAL not truncated")
        other.close()
        store.close()
    }

    /// The main database file's size: it grows only when a checkpoint copies the WAL into it.
    private func fileSize(_ path: String) -> Int {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : -1
    }

    private func writeTwentyDeployments(background: Bool) throws -> (path: String, store: SQLiteFleetStore) {
        let path = temporaryDatabasePath()
        var fleet = TestFleet.simulation()
        let store = try SQLiteFleetStore(path: path)
        if background { try store.startBackgroundCheckpoints(intervalMilliseconds: 10) }
        try store.seed(fleet.snapshot)
        for step in 0..<20 {
            let changes = try fleet.planTrigger(
                scheduleID: TestFleet.prodSchedule.id, now: t0.plus(seconds: Int64(step)))
            try store.persist(changes)
            fleet.apply(changes)
        }
        return (path, store)
    }

    @Test(arguments: [true, false])
    func backgroundCheckpointsCopyTheWALIntoTheDatabaseFile(background: Bool) throws {
        let (path, store) = try writeTwentyDeployments(background: background)
        defer { store.close() }
        // Twenty 10-host deployments and the fleet are well over 16 KB; with everything still in the
        // WAL the database file holds at most its first page.
        var grew = false
        for _ in 0..<100 where !grew {
            usleep(10_000)
            grew = fileSize(path) > 16_384
        }
        #expect(grew == background, "database file is \(fileSize(path)) bytes")
    }

    @Test func aVersionOneDatabaseIsMigratedKeepingItsDeployments() throws {
        let path = temporaryDatabasePath()
        // What FleetMock 0.1 wrote: schema 1, one host_operations row per host.
        do {
            let connection = try SQLiteConnection(path: path)
            try Migrator([FleetSchema.migrator.migrations[0]]).migrate(connection)
            try connection.execute(
                """
                INSERT INTO meta VALUES ('seeded', 1), ('random_state', 7);
                INSERT INTO deployments (id, sequence, kind, payload, filter_query, created_at_ms, canceled_at_ms,
                                         schedule_id, concurrency, start_delay_ms)
                VALUES ('d1', 1, 'upgrade', '[{"name":"datadog-agent","version":"7.53.0"}]', 'env:prod', 1000, 9000,
                        NULL, 5, 0);
                INSERT INTO host_operations VALUES
                    ('d1', 0, 'k0', 'h0', 'succeeded', 1000, 5000, 4000, 0, '', '["7.51.0"]'),
                    ('d1', 1, 'k1', 'h1', 'canceled', NULL, 9000, 4000, 0, '', '["7.51.0"]'),
                    ('d1', 2, 'k2', 'h2', 'pending', NULL, NULL, 4000, 1, '', '["6.53.0"]');
                """)
            connection.close()
        }
        let migrated = try SQLiteFleetStore(path: path)
        #expect(try migrated.schemaVersion == 6)
        let loaded = try #require(try migrated.load(clockMode: .manual))
        let deployment = try #require(loaded.deployments.first)
        #expect(deployment.author == "")
        #expect(deployment.status == .canceled)
        #expect(deployment.operations.map(\.state) == [.succeeded, .canceled, .canceled])
        #expect(deployment.operations[2].plannedToFail)
        #expect(deployment.operations[2].initialVersions == ["6.53.0"])
    }

    @Test func aCancelWritesOneRowAndPendingHostsReadCanceledAfterReopening() throws {
        let path = temporaryDatabasePath()
        var fleet = TestFleet.simulation()
        let store = try SQLiteFleetStore(path: path)
        try store.seed(fleet.snapshot)
        let created = try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0)
        try store.persist(created)
        fleet.apply(created)
        let id = fleet.deployments[0].id
        let progress = fleet.advance(to: t0.plus(seconds: 40))
        try store.persist(progress)
        let cancel = try fleet.planCancel(deploymentID: id, now: t0.plus(seconds: 40))
        try store.persist(cancel)
        fleet.apply(cancel)
        store.close()
        let reopened = try SQLiteFleetStore(path: path)
        let loaded = try #require(try reopened.load(clockMode: .manual))
        #expect(loaded.deployments == Array(fleet.deployments))
        #expect(loaded.deployments[0].operations.contains { $0.state == .canceled })
        // The cancel is one small row beside the deployment's, which keeps its plan untouched.
        let raw = try SQLiteConnection(path: path)
        defer { raw.close() }
        #expect(
            try raw.statement("SELECT deployment_id, canceled_at_ms FROM deployment_cancellations").firstRow {
                [$0.string(at: 0), String($0.int64(at: 1))]
            } == [id, String(t0.plus(seconds: 40).milliseconds)])
    }

    @Test func seededSnapshotLoadsBackIdentically() throws {
        let path = temporaryDatabasePath()
        let snapshot = TestFleet.simulation().snapshot
        do {
            let store = try SQLiteFleetStore(path: path)
            try store.seed(snapshot)
            store.close()
        }
        let reopened = try SQLiteFleetStore(path: path)
        #expect(try reopened.load(clockMode: .manual) == snapshot)
    }

    @Test func persistedCommandsAndProgressSurviveReopening() throws {
        let path = temporaryDatabasePath()
        var fleet = TestFleet.simulation()
        let store = try SQLiteFleetStore(path: path)
        try store.seed(fleet.snapshot)

        let trigger = try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0)
        try store.persist(trigger)
        fleet.apply(trigger)
        try store.persist(fleet.advance(to: t0.plus(seconds: 100)))
        guard case .deploymentCreated(let created) = trigger[0] else { Issue.record("no deployment"); return }
        let cancel = try fleet.planCancel(deploymentID: created.id, now: t0.plus(seconds: 100))
        try store.persist(cancel)
        fleet.apply(cancel)
        let clock = try fleet.planClockAdvance(byMilliseconds: 100_000, wall: TestFleet.start)
        try store.persist(clock)
        fleet.apply(clock)
        store.close()

        let loaded = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual))
        #expect(loaded == fleet.snapshot)
        #expect(loaded.deployments.first?.status == .canceled)
    }

    @Test func aFailedTransactionLeavesNothingBehind() throws {
        var seeded = try SeededStore()
        let trigger = try seeded.planTrigger()
        try seeded.store.persist(trigger)
        seeded.fleet.apply(trigger)

        // A clock change followed by a duplicate deployment id: the second write violates the primary key.
        let doomed = try seeded.fleet.planClockAdvance(byMilliseconds: 5_000, wall: TestFleet.start) + [trigger[0]]
        #expect(throws: FleetError.self) { try seeded.store.persist(doomed) }
        seeded.store.close()

        let loaded = try #require(try seeded.committed())
        #expect(loaded.clock.manualNow == t0)
        #expect(loaded.deployments.count == 1)
    }

    @Test func aDatabaseFromANewerVersionIsRefused() throws {
        let path = temporaryDatabasePath()
        _ = try SQLiteFleetStore(path: path)
        let raw = try SQLiteConnection(path: path)
        try raw.execute("PRAGMA user_version = 99")
        raw.close()
        #expect(throws: SQLiteError.self) { try SQLiteFleetStore(path: path) }
    }

    @Test func connectionRollsBackAThrowingTransaction() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        #expect(throws: SQLiteError.self) {
            try connection.transaction { () throws(SQLiteError) in
                try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(1))
                try connection.statement("INSERT INTO t (x) VALUES (?)").run(.integer(1))
            }
        }
        let count = try connection.statement("SELECT count(*) FROM t")
        #expect(try count.step())
        #expect(count.int64(at: 0) == 0)
    }
}

/// Snapshot documents: what /__fleetmock/snapshot writes, /__fleetmock/restore reads back exactly.
@Suite struct SnapshotDocumentTests {
    @Test func aProgressedStateRoundTripsThroughItsDocumentAndTheStore() throws {
        var fleet = TestFleet.simulation()
        let t0 = TestFleet.start
        let draft = ScheduleDraft(
            name: "n", query: "env:qa",
            rule: RecurrenceRule(
                daysOfWeek: ["Mon"], startMaintenanceWindow: "02:00", maintenanceWindowDuration: 60, timezone: "UTC"))
        fleet.apply(try fleet.planCreateSchedule(draft, by: "me", now: t0.adding(milliseconds: 1_234)))
        let id = try fleet.trigger(at: t0)
        fleet.apply(
            try fleet.planDeployment(
                kind: .configure([
                    ConfigOperation(fileOp: .mergePatch, filePath: "/a.yaml", patch: .object(["x": .int(1)]))
                ]),
                filterQuery: "env:staging", author: "me", forcedFailures: [TestFleet.key("web-staging-1"): "disk full"],
                now: t0))
        _ = fleet.advance(to: t0.plus(seconds: 50))
        fleet.apply(try fleet.planCancel(deploymentID: id, now: t0.plus(seconds: 50)))
        let snapshot = fleet.snapshot
        let text = snapshot.document.serializedString
        let decoded = try FleetSnapshot(
            document: try JSONParser.parse(Array(text.utf8)), defaultClock: SimulationClock(mode: .wall), defaultSeed: 0
        )
        #expect(decoded == snapshot)

        var template = Array("/tmp/fleetmock-snapshot-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let store = try SQLiteFleetStore(path: folder + "/state.sqlite")
        try store.seed(TestFleet.simulation().snapshot)
        try store.replaceAll(with: decoded)
        #expect(try store.load(clockMode: nil) == snapshot)
    }

    @Test func aBadDocumentNamesTheField() throws {
        let document = try JSONParser.parse(
            Array(
                #"{"agent_versions": [], "hosts": [], "schedules": [], "deployments": [{"id": "x", "sequence": 1, "kind": "teleport"}]}"#
                    .utf8))
        #expect(throws: FixtureError(path: "snapshot.deployments[0].kind", reason: "must be upgrade or configure")) {
            _ = try FleetSnapshot(document: document, defaultClock: SimulationClock(mode: .manual), defaultSeed: 1)
        }
    }
}
