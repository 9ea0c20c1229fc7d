import CSQLite
import FleetDomain

/// The org registry, kept in the default org's database.
extension SQLiteFleetStore {
    public func saveOrgRecord(_ record: OrgRecord) throws(FleetError) {
        do {
            try connection.transaction { () throws(SQLiteError) in
                try connection.statement(
                    "INSERT INTO orgs (id, created_at_ms, credentials, fixture) VALUES (?, ?, ?, ?)"
                )
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
        let rows = try connection.statement(
            "SELECT id, created_at_ms, credentials, fixture FROM orgs ORDER BY created_at_ms, id")
        while try rows.step() {
            let credentials: Credentials
            do {
                credentials = try Fixture.credentials(from: try decode(rows.string(at: 2)))
            } catch {
                throw SQLiteError(
                    code: SQLITE_CORRUPT, message: "stored org credentials are unreadable: \(error)", context: "loading"
                )
            }
            records.append(
                OrgRecord(
                    id: rows.string(at: 0), createdAt: Instant(milliseconds: rows.int64(at: 1)),
                    credentials: credentials,
                    fixture: try rows.optionalString(at: 3).map { (text) throws(SQLiteError) in try decode(text) }))
        }
        return records
    }
}
