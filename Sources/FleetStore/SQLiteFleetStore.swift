import CSQLite
import FleetDomain
import Glibc

/// The fleet's durable state in one SQLite file: WAL journal, `synchronous=NORMAL` (a process crash
/// loses no committed transaction), one transaction per `persist` call.
public final class SQLiteFleetStore: FleetPersistence {
    let connection: SQLiteConnection
    let path: String
    private var checkpointer: WALCheckpointer?
    /// The file's identity (device, inode) when opened; nil in memory.
    private var identity: (device: UInt64, inode: UInt64)?
    private var replacedFileReleased = false

    /// Hosts written by `beginSeed`, which `seed` then leaves out.
    var hostsWrittenBySeed: Int?

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
        } catch  where error.code & 0xff == SQLITE_NOTADB {
            throw SQLiteError(
                code: error.code, message: "not a FleetMock state: not an SQLite database", context: "opening")
        }
        guard version > 0 || tables > 0 else { return }
        let hasMeta =
            try connection.statement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
            .firstRow { _ in true } ?? false
        guard version > 0, hasMeta else {
            throw SQLiteError(
                code: SQLITE_NOTADB,
                message: "not a FleetMock state: another application's SQLite database",
                context: "opening")
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
}

@available(*, unavailable)
extension SQLiteFleetStore: Sendable {}
