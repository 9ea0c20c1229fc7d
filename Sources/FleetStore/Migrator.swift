/// Brings a database to the newest schema, one numbered step at a time, each in its own
/// transaction, recording progress in `PRAGMA user_version`.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int64
        public let sql: String

        public init(version: Int64, sql: String) {
            self.version = version
            self.sql = sql
        }
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int64 { migrations.last?.version ?? 0 }

    /// Applies the migrations newer than the database's version. A database from a newer FleetMock is refused.
    public func migrate(_ connection: SQLiteConnection) throws(SQLiteError) {
        let current = try connection.userVersion
        guard current <= latestVersion else {
            throw SQLiteError(
                code: 0, message: "schema version \(current) is newer than this FleetMock knows (\(latestVersion))",
                context: "migrating")
        }
        for migration in migrations where migration.version > current {
            try connection.transaction { () throws(SQLiteError) in
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
