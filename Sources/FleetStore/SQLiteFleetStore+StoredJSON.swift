import CSQLite
import FleetJSON

/// Reading the JSON stored in columns.
extension SQLiteFleetStore {
    func decode(_ text: String) throws(SQLiteError) -> JSONValue {
        try readingJSON { () throws(JSONParseError) in try JSONParser.parse(text) }
    }

    func decodeStringObject(_ bytes: [UInt8]) throws(SQLiteError) -> [String: String] {
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
