import CSQLite

/// One SQLite database handle with a cache of prepared statements. Every raw call goes through
/// `check(_:_:)`, so a result code never goes unread. Used from one thread only.
public final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statementCache: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path`; `:memory:` is a private in-memory database.
    public init(path: String) throws(SQLiteError) {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)  // the handle exists even when open fails
            throw SQLiteError(code: result, message: message, context: "opening \(path)")
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
    }

    deinit {
        close()
    }

    /// Finalizes every statement and closes the handle; safe to call twice.
    public func close() {
        statementCache.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    func check(_ result: Int32, _ context: @autoclosure () -> String) throws(SQLiteError) {
        guard result == SQLITE_OK || result == SQLITE_ROW || result == SQLITE_DONE else {
            throw SQLiteError(code: result, message: lastErrorMessage, context: context())
        }
    }

    var lastErrorMessage: String {
        handle.map { String(cString: sqlite3_errmsg($0)) } ?? "database is closed"
    }

    /// Runs one or more statements that return no rows (schema, pragmas, transaction control).
    public func execute(_ sql: String) throws(SQLiteError) {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed", context: sql) }
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// A prepared statement for `sql`, compiled once and reused (reset and unbound) afterwards.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statementCache[sql] {
            cached.reset()
            return cached
        }
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed", context: sql) }
        var prepared: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil), "preparing \(sql)")
        guard let prepared else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", context: sql)
        }
        let statement = SQLiteStatement(prepared, connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls everything back and is rethrown.
    public func transaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        // Prepared once and reused: sqlite3_exec would compile these on every request.
        try statement("BEGIN IMMEDIATE").run()
        // Whatever the body left mid-step must not outlive the transaction (it would pin the WAL).
        defer { for statement in statementCache.values { statement.reset() } }
        do {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            try? statement("ROLLBACK").run()
            throw error
        }
    }

    /// `PRAGMA user_version`, which the migrator uses as the schema version.
    public var userVersion: Int64 {
        get throws(SQLiteError) {
            try statement("PRAGMA user_version").firstRow { $0.int64(at: 0) } ?? 0
        }
    }
}

@available(*, unavailable)
extension SQLiteConnection: Sendable {}
