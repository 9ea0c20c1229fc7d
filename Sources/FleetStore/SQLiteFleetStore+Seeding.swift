import CSQLite
import FleetDomain

/// Seeding a database never seeded, from fixtures: at once, or with the hosts written ahead.
extension SQLiteFleetStore {
    /// Writes a whole snapshot (fixtures) into a database never seeded, in one transaction, with
    /// what it was made from; after `beginSeed`, everything but the hosts.
    public func seed(_ snapshot: FleetSnapshot, origin: StateOrigin? = nil) throws(SQLiteError) {
        if let written = hostsWrittenBySeed {
            hostsWrittenBySeed = nil
            guard written == snapshot.hosts.count else {
                throw SQLiteError(
                    code: SQLITE_MISUSE, message: "\(written) hosts written, \(snapshot.hosts.count) read",
                    context: "seeding")
            }
            try connection.transaction { () throws(SQLiteError) in
                // The hosts written ahead take the place of whatever an unfinished seeding left.
                try connection.execute(
                    """
                    DELETE FROM host_states; DROP TABLE host_chunks;
                    ALTER TABLE \(Self.seedingTable) RENAME TO host_chunks
                    """)
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
    func clearHosts() throws(SQLiteError) {
        try connection.execute("DELETE FROM host_chunks; DELETE FROM host_states")
    }
}
