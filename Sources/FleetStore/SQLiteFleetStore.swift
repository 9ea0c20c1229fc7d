import CSQLite
import Glibc
import FleetDomain
import FleetJSON

/// The fleet's durable state in one SQLite file: WAL journal, `synchronous=NORMAL` (a process crash
/// loses no committed transaction), one transaction per `persist` call.
public final class SQLiteFleetStore: FleetPersistence {
    private let connection: SQLiteConnection
    private let path: String
    private var checkpointer: WALCheckpointer?
    /// The file's identity (device, inode) when opened; nil in memory.
    private var identity: (device: UInt64, inode: UInt64)?
    private var replacedFileReleased = false

    public init(path: String) throws(SQLiteError) {
        self.path = path
        connection = try SQLiteConnection(path: path)
        // Before anything writes: another application's database, or a file that is not one, is
        // refused and left byte for byte as it was (switching it to WAL would already change it).
        try Self.requireFleetMockState(connection)
        identity = Self.identity(of: path)
        try connection.execute(
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            PRAGMA journal_size_limit = 16777216;
            """)
        let versionBefore = try connection.userVersion
        try FleetSchema.migrator.migrate(connection)
        if versionBefore > 0, versionBefore < 5 { try regroupHostChunks() }
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        guard path != ":memory:" else { return nil }
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    /// One `stat` per write: throws once the file is gone or another one is at its path.
    public func requireFileInPlace() throws(FleetError) {
        guard let identity else { return }
        if let now = Self.identity(of: path), now == identity { return }
        throw FleetError.stateFileReplaced(path: path)
    }

    /// After `requireFileInPlace` threw, with no write of this store in flight: the WAL at the path
    /// (ours) is checkpointed into the file we hold and emptied, so a later start on a file put at
    /// the path never replays our frames over it. Tried again until a checkpoint was not blocked.
    public func releaseReplacedFile() {
        guard !replacedFileReleased,
            let busy = try? connection.statement("PRAGMA wal_checkpoint(TRUNCATE)").firstRow({ $0.int64(at: 0) })
        else { return }
        replacedFileReleased = busy == 0
    }

    /// An empty file (or a new one), or one that FleetMock's migrations made: a `meta` table under a
    /// non-zero `user_version`. A FleetMock file always has both once its first migration committed.
    private static func requireFleetMockState(_ connection: SQLiteConnection) throws(SQLiteError) {
        let tables: Int64
        let version: Int64
        do {
            tables = try connection.statement("SELECT count(*) FROM sqlite_master").firstRow { $0.int64(at: 0) } ?? 0
            version = try connection.userVersion
        } catch where error.code & 0xff == SQLITE_NOTADB {
            throw SQLiteError(code: error.code, message: "not a FleetMock state: not an SQLite database", context: "opening")
        }
        guard version > 0 || tables > 0 else { return }
        let hasMeta = try connection.statement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
            .firstRow { _ in true } ?? false
        guard version > 0, hasMeta else {
            throw SQLiteError(
                code: SQLITE_NOTADB,
                message: "not a FleetMock state: another application's SQLite database",
                context: "opening")
        }
    }

    /// Schema 5's migration makes each host of an older file a chunk of its own (SQL's grouping
    /// promises no order inside a group): regrouped here, 1,000 to a row, as a seeding writes them.
    private func regroupHostChunks() throws(SQLiteError) {
        let hosts = try loadHosts()
        guard hosts.count > 1 else { return }
        try connection.transaction { () throws(SQLiteError) in
            try clearHosts()
            try writeHostChunks(hosts)
        }
    }

    /// Moves WAL checkpoints to a background thread with its own connection. A file database only;
    /// SQLite still checkpoints at commit if the WAL ever passes about 256 MB, which bounds the disk.
    public func startBackgroundCheckpoints(intervalMilliseconds: UInt32 = 50) throws(SQLiteError) {
        guard path != ":memory:", checkpointer == nil else { return }
        // The checkpoint thread also shrinks the WAL after a burst; a commit never truncates it.
        try connection.execute("PRAGMA wal_autocheckpoint = 65536; PRAGMA journal_size_limit = -1")
        let checkpointer = WALCheckpointer(path: path, intervalMilliseconds: intervalMilliseconds)
        checkpointer.start()
        self.checkpointer = checkpointer
    }

    public func close() {
        checkpointer?.stop()
        checkpointer = nil
        connection.close()
    }

    public var schemaVersion: Int64 {
        get throws(SQLiteError) { try connection.userVersion }
    }

    // MARK: Seeding and loading

    /// Writes a whole snapshot (fixtures) into a database never seeded, in one transaction, with
    /// what it was made from; after `beginSeed`, everything but the hosts.
    public func seed(_ snapshot: FleetSnapshot, origin: StateOrigin? = nil) throws(SQLiteError) {
        if let written = hostsWrittenBySeed {
            hostsWrittenBySeed = nil
            guard written == snapshot.hosts.count else {
                throw SQLiteError(
                    code: SQLITE_MISUSE, message: "\(written) hosts written, \(snapshot.hosts.count) read", context: "seeding")
            }
            try connection.transaction { () throws(SQLiteError) in
                // The hosts written ahead take the place of whatever an unfinished seeding left.
                try connection.execute(
                    "DELETE FROM host_states; DROP TABLE host_chunks; ALTER TABLE \(Self.seedingTable) RENAME TO host_chunks")
                try writeAllButHosts(snapshot)
                if let origin { try record(origin) }
            }
            return
        }
        try connection.transaction { () throws(SQLiteError) in
            try connection.execute("DROP TABLE IF EXISTS \(Self.seedingTable)")
            try clearHosts()
            try write(snapshot)
            if let origin { try record(origin) }
        }
    }

    /// What the state was seeded from; nil for a file seeded before FleetMock recorded it.
    public func origin() throws(SQLiteError) -> StateOrigin? {
        try connection.statement("SELECT fixtures, fixtures_digest, seed FROM origin WHERE id = 1").firstRow {
            StateOrigin(
                fixtures: $0.string(at: 0), fixturesDigest: UInt64(bitPattern: $0.int64(at: 1)),
                seed: UInt64(bitPattern: $0.int64(at: 2)))
        }
    }

    private func record(_ origin: StateOrigin) throws(SQLiteError) {
        try connection.statement("INSERT OR REPLACE INTO origin (id, fixtures, fixtures_digest, seed) VALUES (1, ?, ?, ?)")
            .run(.text(origin.fixtures), .integer(Int64(bitPattern: origin.fixturesDigest)), .integer(Int64(bitPattern: origin.seed)))
    }

    /// Hosts written by `beginSeed`, which `seed` then leaves out.
    private var hostsWrittenBySeed: Int?

    /// Writes and commits the hosts' text ahead of the rest of the seeding, so that it can happen
    /// while the hosts are being read from that same text (on another thread: nothing else may use
    /// the store until this returns), into a table of their own that `seed` swaps in with the rest
    /// in one transaction. The database counts as seeded only then: a start refused or crashed in
    /// between leaves the file's hosts as they were, and the next one seeds it again.
    public func beginSeed(hostsText: HostsText) throws(SQLiteError) {
        // A chunk's pages are written once, in order: with the default small page cache they spill
        // to the WAL as they are written, on the thread doing this, rather than all at the commit.
        try connection.transaction { () throws(SQLiteError) in
            try connection.execute(
                """
                DROP TABLE IF EXISTS \(Self.seedingTable);
                CREATE TABLE \(Self.seedingTable) (first_position INTEGER PRIMARY KEY, hosts TEXT NOT NULL)
                """)
            try writeHostChunks(text: hostsText, into: Self.seedingTable)
        }
        hostsWrittenBySeed = hostsText.hostRanges.count
    }

    /// Where `beginSeed` writes the hosts until `seed` makes them `host_chunks`.
    static let seedingTable = "host_chunks_seeding"

    /// Takes back what `beginSeed` wrote (the fixture's hosts turned out unreadable).
    public func abandonSeed() {
        hostsWrittenBySeed = nil
        try? connection.execute("DROP TABLE IF EXISTS \(Self.seedingTable)")
    }

    /// Hosts left by a seeding that never finished.
    private func clearHosts() throws(SQLiteError) {
        try connection.execute("DELETE FROM host_chunks; DELETE FROM host_states")
    }

    /// Reset and restore: everything deleted and the snapshot written, in one transaction.
    public func replaceAll(with snapshot: FleetSnapshot) throws(FleetError) {
        do {
            try connection.transaction { () throws(SQLiteError) in
                let tables = [
                    "agent_versions", "host_chunks", "host_states", "schedules", "deployments", "deployment_cancellations",
                    "host_operations", "meta",
                ]
                for table in tables {
                    try connection.execute("DELETE FROM \(table)")
                }
                try write(snapshot)
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    private func write(_ snapshot: FleetSnapshot) throws(SQLiteError) {
        if let text = snapshot.hostsText, text.hostRanges.count == snapshot.hosts.count {
            // The text the hosts were read from, as it is: nothing to write out again.
            try writeHostChunks(text: text)
        } else {
            try writeHostChunks(snapshot.hosts)
        }
        try writeAllButHosts(snapshot)
    }

    /// The snapshot but its hosts, and the mark that makes the database seeded.
    private func writeAllButHosts(_ snapshot: FleetSnapshot) throws(SQLiteError) {
        for version in snapshot.catalog.versions {
            try connection.statement("INSERT INTO agent_versions (version) VALUES (?)").run(.text(version.text))
        }
        for (position, schedule) in snapshot.schedules.enumerated() {
            try insert(schedule, position: position)
        }
        for deployment in snapshot.deployments {
            try insert(deployment)
        }
        try writeClock(snapshot.clock)
        try writeMeta("random_state", Int64(bitPattern: snapshot.randomState))
        if let policy = snapshot.progressPolicy {
            try writeMeta("progress_policy", Int64(ProgressPolicy.allCases.firstIndex(of: policy)!))
        }
        try writeMeta("seeded", 1)
    }

    /// The stored state, or nil when the database has never been seeded. `clockMode` overrides the
    /// stored mode (an explicit --clock); nil keeps what was stored.
    public func load(clockMode: ClockMode?) throws(SQLiteError) -> FleetSnapshot? {
        guard try readMeta("seeded") == 1 else { return nil }
        var versions: [AgentVersion] = []
        let versionRows = try connection.statement("SELECT version FROM agent_versions")
        while try versionRows.step() {
            if let version = AgentVersion(versionRows.string(at: 0)) { versions.append(version) }
        }
        let hosts = try loadHosts()
        var schedules: [Schedule] = []
        let scheduleRows = try connection.statement(
            """
            SELECT id, name, query, rule, status, version_to_latest, created_at_ms, created_by, updated_at_ms, updated_by
            FROM schedules ORDER BY position
            """)
        while try scheduleRows.step() {
            let rule = try decode(scheduleRows.string(at: 3))
            schedules.append(
                Schedule(
                    id: scheduleRows.string(at: 0), name: scheduleRows.string(at: 1), query: scheduleRows.string(at: 2),
                    rule: RecurrenceRule(
                        daysOfWeek: rule["days_of_week"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                        startMaintenanceWindow: rule["start_maintenance_window"]?.stringValue ?? "",
                        maintenanceWindowDuration: rule["maintenance_window_duration"]?.intValue ?? 0,
                        timezone: rule["timezone"]?.stringValue ?? ""),
                    status: ScheduleStatus(rawValue: scheduleRows.string(at: 4)) ?? .inactive,
                    versionToLatest: Int(scheduleRows.int64(at: 5)),
                    createdAt: Instant(milliseconds: scheduleRows.int64(at: 6)), createdBy: scheduleRows.string(at: 7),
                    updatedAt: Instant(milliseconds: scheduleRows.int64(at: 8)), updatedBy: scheduleRows.string(at: 9)))
        }
        let storedFrozen = try readMeta("clock_frozen")
        let storedPolicy = try readMeta("progress_policy").flatMap { index in
            ProgressPolicy.allCases.indices.contains(Int(index)) ? ProgressPolicy.allCases[Int(index)] : nil
        }
        return FleetSnapshot(
            catalog: AgentVersionCatalog(versions), hosts: hosts, schedules: schedules,
            deployments: try loadDeployments(hosts: hosts),
            clock: SimulationClock(
                mode: clockMode ?? storedFrozen.map { $0 == 1 ? ClockMode.manual : .wall } ?? .wall,
                offsetMilliseconds: try readMeta("clock_offset_ms") ?? 0,
                manualNow: Instant(
                    milliseconds: try readMeta("clock_manual_now_ms") ?? SimulationClock.defaultManualStart.milliseconds),
                speed: Double(try readMeta("clock_speed_micro") ?? 1_000_000) / 1_000_000,
                anchorWallMilliseconds: try readMeta("clock_anchor_wall_ms") ?? 0),
            randomState: UInt64(bitPattern: try readMeta("random_state") ?? 0), progressPolicy: storedPolicy)
    }

    private func loadDeployments(hosts: [SimulatedHost]) throws(SQLiteError) -> [Deployment] {
        // Rows of hosts whose state changed, by deployment and position; they override the plan.
        var changedByDeployment: [String: [Int: HostOperation]] = [:]
        let operationRows = try connection.statement(
            """
            SELECT deployment_id, position, host_key, hostname, state, started_at_ms, finished_at_ms,
                   planned_duration_ms, planned_to_fail, error, initial_versions
            FROM host_operations
            """)
        while try operationRows.step() {
            let operation = HostOperation(
                hostKey: operationRows.string(at: 2), hostname: operationRows.string(at: 3),
                state: HostOperationState(rawValue: operationRows.string(at: 4)) ?? .pending,
                startedAt: operationRows.optionalInt64(at: 5).map(Instant.init(milliseconds:)),
                finishedAt: operationRows.optionalInt64(at: 6).map(Instant.init(milliseconds:)),
                plannedDurationMilliseconds: operationRows.int64(at: 7), plannedToFail: operationRows.int64(at: 8) != 0,
                error: operationRows.string(at: 9),
                initialVersions: try decode(operationRows.string(at: 10)).arrayValue?.compactMap(\.stringValue) ?? [])
            changedByDeployment[operationRows.string(at: 0), default: [:]][Int(operationRows.int64(at: 1))] = operation
        }
        var canceledAtByDeployment: [String: Instant] = [:]
        let cancellationRows = try connection.statement(
            "SELECT deployment_id, canceled_at_ms FROM deployment_cancellations ORDER BY rowid")
        while try cancellationRows.step() {
            let canceledAt = Instant(milliseconds: cancellationRows.int64(at: 1))
            canceledAtByDeployment[cancellationRows.string(at: 0)] = canceledAt
        }
        var deployments: [Deployment] = []
        var sharedTexts = OperationPlanCoding.SharedTexts(hosts: hosts)
        let rows = try connection.statement(
            """
            SELECT id, sequence, kind, payload, filter_query, created_at_ms, schedule_id, concurrency,
                   start_delay_ms, author, plan
            FROM deployments ORDER BY sequence
            """)
        while try rows.step() {
            let id = rows.string(at: 0)
            let changed = changedByDeployment[id] ?? [:]
            // Deployments stored before schema 3 have no plan: every host has its own row.
            let plan = rows.bytes(at: 10)
            var operations = plan.isEmpty
                ? changed.keys.sorted().map { changed[$0]! } : try OperationPlanCoding.decode(plan, sharing: &sharedTexts)
            if !plan.isEmpty {
                for (position, operation) in changed where position < operations.count {
                    operations[position] = operations[position].withProgress(of: operation)
                }
            }
            var deployment = Deployment(
                id: id, sequence: rows.int64(at: 1),
                kind: try DeploymentKindCoding.decode(kind: rows.string(at: 2), payload: decode(rows.string(at: 3))),
                filterQuery: rows.string(at: 4), createdAt: Instant(milliseconds: rows.int64(at: 5)),
                canceledAt: nil, scheduleID: rows.optionalString(at: 6), author: rows.string(at: 9),
                concurrency: Int(rows.int64(at: 7)), startDelayMilliseconds: rows.int64(at: 8), operations: operations)
            // Cancel stores only the instant: the hosts still pending then are canceled, as the
            // domain defines it.
            if let canceledAt = canceledAtByDeployment[id] { deployment.markCanceled(at: canceledAt) }
            deployments.append(deployment)
        }
        return deployments
    }

    // MARK: Persisting changes

    public func persist(_ changes: [FleetChange]) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try connection.transaction { () throws(SQLiteError) in
                for change in changes { try write(change) }
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func persistInBatch(_ changes: [FleetChange]) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try connection.beginBatch()
            // One statement needs no savepoint (a cancel, a host's progress): SQLite undoes a
            // failed statement by itself.
            if changes.count == 1, Self.writesOneStatement(changes[0]) {
                try connection.singleStatement { () throws(SQLiteError) in try write(changes[0]) }
                return
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
        try persist(changes)
    }

    /// Whether `write(change)` runs exactly one writing statement (kept beside `write`'s cases:
    /// a change listed here runs in a batch with no savepoint of its own).
    private static func writesOneStatement(_ change: FleetChange) -> Bool {
        switch change {
        case .deploymentCanceled, .operationUpdated, .hostUpdated, .scheduleUpdated, .scheduleDeleted,
            .randomStateUpdated, .progressPolicyUpdated:
            return true
        case .deploymentCreated, .scheduleCreated, .clockUpdated:
            return false
        }
    }

    public func commitBatch() throws(FleetError) {
        do {
            try connection.commitBatch()
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func rollbackBatch() {
        connection.rollbackBatch()
    }

    public func loadCommitted() throws(FleetError) -> FleetSnapshot? {
        do {
            return try load(clockMode: nil)
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    /// Each change's statements. `writesOneStatement` lists the changes written by exactly one:
    /// a change here that comes to need a second statement must leave that list.
    private func write(_ change: FleetChange) throws(SQLiteError) {
        switch change {
        case .deploymentCreated(let deployment):
            try insert(deployment)
        case .deploymentCanceled(let id, let time):
            // One row: the pending hosts' cancellation follows from the instant when loading.
            try writeCancellation(of: id, at: time)
        case .operationUpdated(let id, let position, let operation):
            try upsert(operation, deploymentID: id, position: position)
        case .hostUpdated(let host):
            var json = HostsJSONWriter()
            try connection.statement(
                """
                INSERT INTO host_states (agent_key, packages, config_files) VALUES (?, ?, ?)
                ON CONFLICT(agent_key) DO UPDATE SET packages = excluded.packages, config_files = excluded.config_files
                """
            ).run(.text(host.agentKey), .utf8(json.packages(host.packages)), .utf8(json.configFiles(host.configFiles)))
        case .scheduleCreated(let schedule):
            let position = try connection.statement("SELECT COALESCE(MAX(position), -1) + 1 FROM schedules")
                .firstRow { $0.int64(at: 0) } ?? 0
            try insert(schedule, position: Int(position))
        case .scheduleUpdated(let schedule):
            try connection.statement(
                """
                UPDATE schedules SET name = ?, query = ?, rule = ?, status = ?, version_to_latest = ?,
                    updated_at_ms = ?, updated_by = ?
                WHERE id = ?
                """
            ).run(
                .text(schedule.name), .text(schedule.query), .text(encodeRule(schedule.rule)),
                .text(schedule.status.rawValue), .integer(Int64(schedule.versionToLatest)),
                .integer(schedule.updatedAt.milliseconds), .text(schedule.updatedBy), .text(schedule.id))
        case .scheduleDeleted(let id):
            try connection.statement("DELETE FROM schedules WHERE id = ?").run(.text(id))
        case .clockUpdated(let clock):
            try writeClock(clock)
        case .randomStateUpdated(let state):
            try writeMeta("random_state", Int64(bitPattern: state))
        case .progressPolicyUpdated(let policy):
            try writeMeta("progress_policy", Int64(ProgressPolicy.allCases.firstIndex(of: policy)!))
        }
    }

    /// Hosts per row of `host_chunks`: big enough that 100,000 hosts are 100 inserts, small
    /// enough that a chunk is a few hundred kilobytes of text to hold while it is written or read.
    static let hostsPerChunk = 1_000

    /// Each chunk the host objects and the commas between them, as they are in the text.
    private func writeHostChunks(text: HostsText, into table: String = "host_chunks") throws(SQLiteError) {
        try writeHostChunks(count: text.hostRanges.count, into: table) { positions in
            let span = text.hostRanges[positions.lowerBound].lowerBound..<text.hostRanges[positions.upperBound - 1].upperBound
            var chunk = [UInt8(ascii: "[")]
            chunk.reserveCapacity(span.count + 2)
            chunk.append(contentsOf: text.bytes[span])
            chunk.append(UInt8(ascii: "]"))
            return chunk
        }
    }

    private func writeHostChunks(_ hosts: [SimulatedHost]) throws(SQLiteError) {
        var json = HostsJSONWriter()
        try writeHostChunks(count: hosts.count) { positions in
            var writer = JSONWriter(reservingCapacity: 512 * positions.count)
            writer.beginArray()
            for position in positions { json.write(hosts[position], into: &writer) }
            writer.endArray()
            return writer.bytes
        }
    }

    /// One row per `hostsPerChunk` hosts, keyed by the position of its first, its JSON text made
    /// by `text` from the positions it holds.
    private func writeHostChunks(
        count: Int, into table: String = "host_chunks", text: (Range<Int>) -> [UInt8]
    ) throws(SQLiteError) {
        for first in stride(from: 0, to: count, by: Self.hostsPerChunk) {
            let positions = first..<min(first + Self.hostsPerChunk, count)
            try connection.statement("INSERT INTO \(table) (first_position, hosts) VALUES (?, ?)")
                .run(.integer(Int64(first)), .utf8(text(positions)))
        }
    }

    /// The fleet in its order, each host with its latest packages and configuration files.
    private func loadHosts() throws(SQLiteError) -> [SimulatedHost] {
        var hosts: [SimulatedHost] = []
        var reader = FixtureHostsReader(checksUniqueKeys: false)
        let chunks = try connection.statement("SELECT hosts FROM host_chunks ORDER BY first_position")
        do {
            while try chunks.step() {
                try reader.read(chunks.bytes(at: 0), at: 0, depth: 0, path: "host_chunks", into: &hosts)
            }
        } catch let error as FixtureError {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "stored hosts are unreadable: \(error)", context: "loading")
        } catch let error as SQLiteError {
            throw error
        } catch {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "\(error)", context: "loading")
        }
        let states = try connection.statement("SELECT agent_key, packages, config_files FROM host_states")
        var positions: [String: Int] = [:]
        while try states.step() {
            if positions.isEmpty {
                // A damaged file could name a host twice: the first one, not a trap.
                positions = Dictionary(hosts.indices.map { (hosts[$0].agentKey, $0) }, uniquingKeysWith: { first, _ in first })
            }
            guard let position = positions[states.string(at: 0)] else { continue }
            hosts[position].packages = try decodeStringObject(states.bytes(at: 1))
            hosts[position].configFiles = try decode(states.string(at: 2)).objectValue ?? [:]
        }
        return hosts
    }

    private func encodeRule(_ rule: RecurrenceRule) -> String {
        JSONValue.object([
            "days_of_week": .array(rule.daysOfWeek.map(JSONValue.string)),
            "start_maintenance_window": .string(rule.startMaintenanceWindow),
            "maintenance_window_duration": .int(rule.maintenanceWindowDuration),
            "timezone": .string(rule.timezone),
        ]).serializedString
    }

    private func insert(_ schedule: Schedule, position: Int) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO schedules (id, position, name, query, rule, status, version_to_latest, created_at_ms,
                                   created_by, updated_at_ms, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run(
            .text(schedule.id), .integer(Int64(position)), .text(schedule.name), .text(schedule.query),
            .text(encodeRule(schedule.rule)), .text(schedule.status.rawValue), .integer(Int64(schedule.versionToLatest)),
            .integer(schedule.createdAt.milliseconds), .text(schedule.createdBy), .integer(schedule.updatedAt.milliseconds),
            .text(schedule.updatedBy))
    }

    private func insert(_ deployment: Deployment) throws(SQLiteError) {
        let (kind, payload) = DeploymentKindCoding.encode(deployment.kind)
        try connection.statement(
            """
            INSERT INTO deployments (id, sequence, kind, payload, filter_query, created_at_ms,
                                     schedule_id, concurrency, start_delay_ms, author, plan)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run(
            .text(deployment.id), .integer(deployment.sequence), .text(kind), .text(payload.serializedString),
            .text(deployment.filterQuery), .integer(deployment.createdAt.milliseconds),
            .optional(deployment.scheduleID),
            .integer(Int64(deployment.concurrency)), .integer(deployment.startDelayMilliseconds), .text(deployment.author),
            .blob(OperationPlanCoding.encode(deployment.operations)))
        if let canceledAt = deployment.canceledAt { try writeCancellation(of: deployment.id, at: canceledAt) }
        // A new deployment's hosts are all pending or skipped (the plan holds both); a restored one
        // may have progressed. By position (see HostOperation).
        for position in deployment.operations.indices
        where deployment.operations[position].state != .pending && deployment.operations[position].state != .skipped {
            try upsert(deployment.operations[position], deploymentID: deployment.id, position: position)
        }
    }

    /// Appended, never updated: a deployment is canceled once, and loading takes the last row.
    private func writeCancellation(of deploymentID: String, at time: Instant) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO deployment_cancellations (deployment_id, canceled_at_ms) VALUES (?, ?)
            """
        ).run(.text(deploymentID), .integer(time.milliseconds))
    }

    private func upsert(_ operation: HostOperation, deploymentID: String, position: Int) throws(SQLiteError) {
        try connection.statement(
            """
            INSERT INTO host_operations (deployment_id, position, host_key, hostname, state, started_at_ms,
                finished_at_ms, planned_duration_ms, planned_to_fail, error, initial_versions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (deployment_id, position) DO UPDATE SET
                state = excluded.state, started_at_ms = excluded.started_at_ms,
                finished_at_ms = excluded.finished_at_ms, error = excluded.error
            """
        ).run(
            .text(deploymentID), .integer(Int64(position)), .text(operation.hostKey), .text(operation.hostname),
            .text(operation.state.rawValue), .optional(operation.startedAt?.milliseconds),
            .optional(operation.finishedAt?.milliseconds), .integer(operation.plannedDurationMilliseconds),
            .integer(operation.plannedToFail ? 1 : 0), .text(operation.error),
            .text(JSONValue.array(operation.initialVersions.map(JSONValue.string)).serializedString))
    }

    // MARK: The org registry (kept in the default org's database)

    public func saveOrgRecord(_ record: OrgRecord) throws(FleetError) {
        do {
            try connection.transaction { () throws(SQLiteError) in
                try connection.statement("INSERT INTO orgs (id, created_at_ms, credentials, fixture) VALUES (?, ?, ?, ?)")
                    .run(
                        .text(record.id), .integer(record.createdAt.milliseconds),
                        .text(record.credentials.document.serializedString), .optional(record.fixture?.serializedString))
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func deleteOrgRecord(id: String) throws(FleetError) {
        do {
            try connection.transaction { () throws(SQLiteError) in
                try connection.statement("DELETE FROM orgs WHERE id = ?").run(.text(id))
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    public func loadOrgRecords() throws(SQLiteError) -> [OrgRecord] {
        var records: [OrgRecord] = []
        let rows = try connection.statement("SELECT id, created_at_ms, credentials, fixture FROM orgs ORDER BY created_at_ms, id")
        while try rows.step() {
            let credentials: Credentials
            do {
                credentials = try Fixture.credentials(from: try decode(rows.string(at: 2)))
            } catch {
                throw SQLiteError(code: SQLITE_CORRUPT, message: "stored org credentials are unreadable: \(error)", context: "loading")
            }
            records.append(OrgRecord(
                id: rows.string(at: 0), createdAt: Instant(milliseconds: rows.int64(at: 1)), credentials: credentials,
                fixture: try rows.optionalString(at: 3).map { (text) throws(SQLiteError) in try decode(text) }))
        }
        return records
    }

    // MARK: Meta values

    private func writeClock(_ clock: SimulationClock) throws(SQLiteError) {
        try writeMeta("clock_offset_ms", clock.offsetMilliseconds)
        try writeMeta("clock_manual_now_ms", clock.manualNow.milliseconds)
        try writeMeta("clock_frozen", clock.mode == .manual ? 1 : 0)
        try writeMeta("clock_speed_micro", Int64((clock.speed * 1_000_000).rounded()))
        try writeMeta("clock_anchor_wall_ms", clock.anchorWallMilliseconds)
    }

    private func writeMeta(_ key: String, _ value: Int64) throws(SQLiteError) {
        try connection.statement("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .run(.text(key), .integer(value))
    }

    private func readMeta(_ key: String) throws(SQLiteError) -> Int64? {
        let statement = try connection.statement("SELECT value FROM meta WHERE key = ?")
        try statement.bind(1, key)
        return try statement.firstRow { $0.int64(at: 0) }
    }

    private func decode(_ text: String) throws(SQLiteError) -> JSONValue {
        try readingJSON { () throws(JSONParseError) in try JSONParser.parse(text) }
    }

    private func decodeStringObject(_ bytes: [UInt8]) throws(SQLiteError) -> [String: String] {
        try readingJSON { () throws(JSONParseError) in try JSONParser.parseStringObject(bytes) }
    }

    /// Stored JSON that does not parse is a damaged file.
    private func readingJSON<Value>(_ read: () throws(JSONParseError) -> Value) throws(SQLiteError) -> Value {
        do {
            return try read()
        } catch {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "stored JSON is unreadable: \(error)", context: "loading")
        }
    }
}

@available(*, unavailable)
extension SQLiteFleetStore: Sendable {}

/// The fixtures (how they were named, and a digest of their `fleet.json`) and the seed a state was made from.
public struct StateOrigin: Equatable, Sendable {
    public var fixtures: String
    public var fixturesDigest: UInt64
    public var seed: UInt64

    public init(fixtures: String, fixturesDigest: UInt64, seed: UInt64) {
        self.fixtures = fixtures
        self.fixturesDigest = fixturesDigest
        self.seed = seed
    }
}

/// How a deployment's kind is stored: a name and a JSON payload (target packages or file operations).
enum DeploymentKindCoding {
    static func encode(_ kind: DeploymentKind) -> (String, JSONValue) {
        switch kind {
        case .upgrade(let targets):
            return ("upgrade", .array(targets.map { .object(["name": .string($0.name), "version": .string($0.version)]) }))
        case .configure(let operations):
            return (
                "configure",
                .array(operations.map { operation in
                    var members: [String: JSONValue] = [
                        "file_op": .string(operation.fileOp.rawValue), "file_path": .string(operation.filePath),
                    ]
                    if let patch = operation.patch { members["patch"] = patch }
                    return .object(members)
                })
            )
        }
    }

    static func decode(kind: String, payload: JSONValue) throws(SQLiteError) -> DeploymentKind {
        let items = payload.arrayValue ?? []
        switch kind {
        case "upgrade":
            return .upgrade(items.map {
                PackageTarget(name: $0["name"]?.stringValue ?? "", version: $0["version"]?.stringValue ?? "")
            })
        case "configure":
            return .configure(items.map {
                ConfigOperation(
                    fileOp: ConfigOperation.FileOp(rawValue: $0["file_op"]?.stringValue ?? "") ?? .mergePatch,
                    filePath: $0["file_path"]?.stringValue ?? "", patch: $0["patch"])
            })
        default:
            throw SQLiteError(code: SQLITE_CORRUPT, message: "unknown deployment kind '\(kind)'", context: "loading")
        }
    }
}
