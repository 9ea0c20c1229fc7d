/// What a state was seeded from, recorded so that a start asking for other fixtures is refused.
extension SQLiteFleetStore {
    /// What the state was seeded from; nil for a file seeded before FleetMock recorded it.
    public func origin() throws(SQLiteError) -> StateOrigin? {
        try connection.statement("SELECT fixtures, fixtures_digest, seed FROM origin WHERE id = 1").firstRow {
            StateOrigin(
                fixtures: $0.string(at: 0), fixturesDigest: UInt64(bitPattern: $0.int64(at: 1)),
                seed: UInt64(bitPattern: $0.int64(at: 2)))
        }
    }

    func record(_ origin: StateOrigin) throws(SQLiteError) {
        try connection.statement(
            "INSERT OR REPLACE INTO origin (id, fixtures, fixtures_digest, seed) VALUES (1, ?, ?, ?)"
        )
        .run(
            .text(origin.fixtures), .integer(Int64(bitPattern: origin.fixturesDigest)),
            .integer(Int64(bitPattern: origin.seed)))
    }
}
