import CSQLite

/// A prepared statement. Bind parameters are 1-based, columns 0-based, as in SQLite.
/// Finalized when released; its raw pointer never leaves this file.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection
    let sql: String

    init(_ handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try connection.check(sqlite3_bind_int64(handle, index, value), "binding \(index) of \(sql)")
    }

    public func bind(_ index: Int32, _ value: Int64?) throws(SQLiteError) {
        if let value { try bind(index, value) } else { try bindNull(index) }
    }

    public func bind(_ index: Int32, _ value: String) throws(SQLiteError) {
        var text = value
        let result = text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                CSQLite_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
            }
        }
        try connection.check(result, "binding \(index) of \(sql)")
    }

    public func bind(_ index: Int32, _ bytes: [UInt8]) throws(SQLiteError) {
        let result = bytes.withUnsafeBytes {
            CSQLite_bind_blob_transient(handle, index, $0.baseAddress, Int32($0.count))
        }
        try connection.check(result, "binding \(index) of \(sql)")
    }

    /// Text already in UTF-8 (JSON written for a column), bound as TEXT without a String made of it.
    public func bind(_ index: Int32, utf8 bytes: [UInt8]) throws(SQLiteError) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                CSQLite_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
            }
        }
        try connection.check(result, "binding \(index) of \(sql)")
    }

    public func bind(_ index: Int32, _ value: String?) throws(SQLiteError) {
        if let value { try bind(index, value) } else { try bindNull(index) }
    }

    public func bindNull(_ index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_null(handle, index), "binding \(index) of \(sql)")
    }

    /// Advances to the next row: true when a row is available, false when the statement is done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: result, message: connection.lastErrorMessage, context: "running \(sql)")
        }
    }

    public func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    public func optionalInt64(at column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    public func string(at column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// A column's bytes as stored, text or blob alike.
    public func bytes(at column: Int32) -> [UInt8] {
        // The pointer first, then the length, as SQLite asks (the length call may convert the value).
        guard let start = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column))))
    }

    public func optionalString(at column: Int32) -> String? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : string(at: column)
    }

    /// Steps once and reads the first row, if any, then resets: a statement left on a row keeps
    /// its read transaction open, which pins the WAL so no checkpoint can empty it.
    public func firstRow<Value>(_ read: (SQLiteStatement) -> Value) throws(SQLiteError) -> Value? {
        defer { reset() }
        return try step() ? read(self) : nil
    }

    /// Binds `values` to parameters 1... and runs the statement to completion.
    public func run(_ values: SQLiteValue...) throws(SQLiteError) {
        defer { reset() }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let number): try bind(index, number)
            case .text(let text): try bind(index, text)
            case .blob(let bytes): try bind(index, bytes)
            case .utf8(let bytes): try bind(index, utf8: bytes)
            case .null: try bindNull(index)
            }
        }
        try step()
    }
}

/// A value to bind, for `SQLiteStatement.run`.
public enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    /// TEXT given as its UTF-8 bytes.
    case utf8([UInt8])
    case null

    public static func optional(_ number: Int64?) -> SQLiteValue { number.map { .integer($0) } ?? .null }
    public static func optional(_ text: String?) -> SQLiteValue { text.map { .text($0) } ?? .null }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}
