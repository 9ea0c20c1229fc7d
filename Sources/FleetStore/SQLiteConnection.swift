import CSQLite

/// One SQLite database handle with a cache of prepared statements. Every raw call goes through
/// `check(_:_:)`, so a result code never goes unread. Used from one thread at a time (see
/// `SQLiteFleetStore.beginSeed`).
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
        try check(
            sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil), "preparing \(sql)")
        guard let prepared else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", context: sql)
        }
        let statement = SQLiteStatement(prepared, connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Whether a transaction is left open across several `transaction` calls (group commit).
    private(set) var batchOpen = false
    /// Set when an error ended the open batch early: SQLite rolled it all back (a full disk, an I/O
    /// error), so writes acknowledged inside it are gone. `commitBatch` reports it.
    private var batchLost = false

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls everything back and is rethrown.
    /// Inside an open batch, `body` runs in a savepoint instead: an error rolls back `body`'s writes
    /// alone, and the rest waits for `commitBatch`.
    public func transaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        if batchOpen { return try savepoint(body) }
        // Prepared once and reused: sqlite3_exec would compile these on every request.
        try statement("BEGIN IMMEDIATE").run()
        // Whatever the body left mid-step must not outlive the transaction (see `SQLiteStatement.firstRow`).
        defer { resetStatements() }
        do {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            try? statement("ROLLBACK").run()
            throw error
        }
    }

    private func savepoint<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        try statement("SAVEPOINT write").run()
        do {
            let result = try body()
            try statement("RELEASE write").run()
            return result
        } catch {
            if let handle, sqlite3_get_autocommit(handle) != 0 {
                // SQLite ended the whole transaction on this error: the batch is gone.
                batchOpen = false
                batchLost = true
                resetStatements()
            } else {
                try? statement("ROLLBACK TO write").run()
                try? statement("RELEASE write").run()
            }
            throw error
        }
    }

    /// Runs `body`, which executes at most one writing statement, inside the open batch without a
    /// savepoint of its own: SQLite takes back a failed statement by itself (statement journal).
    /// Outside a batch, a transaction of its own.
    public func singleStatement<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        guard batchOpen else { return try transaction(body) }
        do {
            return try body()
        } catch {
            if let handle, sqlite3_get_autocommit(handle) != 0 {
                batchOpen = false
                batchLost = true
                resetStatements()
            }
            throw error
        }
    }

    /// Opens a batch if none is open: later `transaction` calls join it until `commitBatch`.
    public func beginBatch() throws(SQLiteError) {
        guard !batchOpen else { return }
        // Writes after a lost batch would build on state it no longer holds: none until
        // `commitBatch` has reported the loss (and memory is back in step).
        if batchLost {
            throw SQLiteError(code: SQLITE_ABORT, message: "an earlier write of this pass was lost", context: "BEGIN")
        }
        try statement("BEGIN IMMEDIATE").run()
        batchOpen = true
    }

    /// Commits the open batch, if any. Throws if it cannot be committed (it is rolled back) or if an
    /// earlier batch was lost since the last call.
    public func commitBatch() throws(SQLiteError) {
        defer { batchLost = false }
        if batchOpen {
            batchOpen = false
            defer { resetStatements() }
            do {
                try statement("COMMIT").run()
            } catch {
                try? statement("ROLLBACK").run()
                throw error
            }
        }
        if batchLost {
            throw SQLiteError(
                code: SQLITE_ABORT, message: "a write error rolled back the open batch", context: "COMMIT")
        }
    }

    /// Rolls the open batch back, if any, and forgets a lost one: nothing since the last commit stays.
    /// Any transaction still open goes, even one a failed ROLLBACK left behind, which would
    /// otherwise make every later BEGIN fail.
    public func rollbackBatch() {
        batchLost = false
        batchOpen = false
        resetStatements()
        if let handle, sqlite3_get_autocommit(handle) == 0 { try? statement("ROLLBACK").run() }
    }

    private func resetStatements() {
        for statement in statementCache.values { statement.reset() }
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
