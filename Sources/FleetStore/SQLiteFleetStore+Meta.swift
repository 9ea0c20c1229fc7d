import FleetDomain

/// Single values in `meta`: the clock, the random state, the progress policy, the seeded mark.
extension SQLiteFleetStore {
    func writeClock(_ clock: SimulationClock) throws(SQLiteError) {
        try writeMeta("clock_offset_ms", clock.offsetMilliseconds)
        try writeMeta("clock_manual_now_ms", clock.manualNow.milliseconds)
        try writeMeta("clock_frozen", clock.mode == .manual ? 1 : 0)
        try writeMeta("clock_speed_micro", Int64((clock.speed * 1_000_000).rounded()))
        try writeMeta("clock_anchor_wall_ms", clock.anchorWallMilliseconds)
    }

    func writeMeta(_ key: String, _ value: Int64) throws(SQLiteError) {
        try connection.statement(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        )
        .run(.text(key), .integer(value))
    }

    func readMeta(_ key: String) throws(SQLiteError) -> Int64? {
        let statement = try connection.statement("SELECT value FROM meta WHERE key = ?")
        try statement.bind(1, key)
        return try statement.firstRow { $0.int64(at: 0) }
    }
}
