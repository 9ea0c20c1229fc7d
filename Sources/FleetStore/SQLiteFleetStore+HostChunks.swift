import CSQLite
import FleetDomain
import FleetJSON

/// The hosts, stored as JSON arrays of `hostsPerChunk` hosts in `host_chunks`.
extension SQLiteFleetStore {
    /// Schema 5's migration makes each host of an older file a chunk of its own (SQL's grouping
    /// promises no order inside a group): regrouped here, `hostsPerChunk` to a row, as a seeding writes them.
    func regroupHostChunks() throws(SQLiteError) {
        let hosts = try loadHosts()
        guard hosts.count > 1 else { return }
        try connection.transaction { () throws(SQLiteError) in
            try clearHosts()
            try writeHostChunks(hosts)
        }
    }

    /// Hosts per row of `host_chunks`: big enough that 100,000 hosts are 100 inserts, small
    /// enough that a chunk is a few hundred kilobytes of text to hold while it is written or read.
    static let hostsPerChunk = 1_000

    /// Each chunk the host objects and the commas between them, as they are in the text.
    func writeHostChunks(text: HostsText, into table: String = "host_chunks") throws(SQLiteError) {
        try writeHostChunks(count: text.hostRanges.count, into: table) { positions in
            let span =
                text.hostRanges[positions.lowerBound].lowerBound..<text.hostRanges[positions.upperBound - 1].upperBound
            var chunk = [UInt8(ascii: "[")]
            chunk.reserveCapacity(span.count + 2)
            chunk.append(contentsOf: text.bytes[span])
            chunk.append(UInt8(ascii: "]"))
            return chunk
        }
    }

    func writeHostChunks(_ hosts: [SimulatedHost]) throws(SQLiteError) {
        var json = HostsJSONWriter()
        try writeHostChunks(count: hosts.count) { positions in
            var writer = JSONWriter(reservingCapacity: 512 * positions.count)
            writer.beginArray()
            for position in positions { json.write(hosts[position], into: &writer) }
            writer.endArray()
            return writer.bytes
        }
    }

    /// One row per `hostsPerChunk` hosts, keyed by the position of its first, its JSON text made
    /// by `text` from the positions it holds.
    private func writeHostChunks(
        count: Int, into table: String = "host_chunks", text: (Range<Int>) -> [UInt8]
    ) throws(SQLiteError) {
        for first in stride(from: 0, to: count, by: Self.hostsPerChunk) {
            let positions = first..<min(first + Self.hostsPerChunk, count)
            try connection.statement("INSERT INTO \(table) (first_position, hosts) VALUES (?, ?)")
                .run(.integer(Int64(first)), .utf8(text(positions)))
        }
    }

    /// The fleet in its order, each host with its latest packages and configuration files.
    func loadHosts() throws(SQLiteError) -> [SimulatedHost] {
        var hosts: [SimulatedHost] = []
        var reader = FixtureHostsReader(checksUniqueKeys: false)
        let chunks = try connection.statement("SELECT hosts FROM host_chunks ORDER BY first_position")
        do {
            while try chunks.step() {
                try reader.read(chunks.bytes(at: 0), at: 0, depth: 0, path: "host_chunks", into: &hosts)
            }
        } catch let error as FixtureError {
            throw SQLiteError(
                code: SQLITE_CORRUPT, message: "stored hosts are unreadable: \(error)", context: "loading")
        } catch let error as SQLiteError {
            throw error
        } catch {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "\(error)", context: "loading")
        }
        let states = try connection.statement("SELECT agent_key, packages, config_files FROM host_states")
        var positions: [String: Int] = [:]
        while try states.step() {
            if positions.isEmpty {
                // A damaged file could name a host twice: the first one, not a trap.
                positions = Dictionary(
                    hosts.indices.map { (hosts[$0].agentKey, $0) }, uniquingKeysWith: { first, _ in first })
            }
            guard let position = positions[states.string(at: 0)] else { continue }
            hosts[position].packages = try decodeStringObject(states.bytes(at: 1))
            hosts[position].configFiles = try decode(states.string(at: 2)).objectValue ?? [:]
        }
        return hosts
    }
}
