import FleetDomain

/// Writing a whole snapshot: replacing the state (reset, restore), and the part seeding shares.
extension SQLiteFleetStore {
    /// Reset and restore: everything deleted and the snapshot written, in one transaction.
    public func replaceAll(with snapshot: FleetSnapshot) throws(FleetError) {
        do {
            try connection.transaction { () throws(SQLiteError) in
                let tables = [
                    "agent_versions", "host_chunks", "host_states", "schedules", "deployments",
                    "deployment_cancellations",
                    "host_operations", "meta",
                ]
                for table in tables {
                    try connection.execute("DELETE FROM \(table)")
                }
                try write(snapshot)
            }
        } catch {
            throw FleetError.storageFailure(reason: error.description)
        }
    }

    func write(_ snapshot: FleetSnapshot) throws(SQLiteError) {
        if let text = snapshot.hostsText, text.hostRanges.count == snapshot.hosts.count {
            // The text the hosts were read from, as it is: nothing to write out again.
            try writeHostChunks(text: text)
        } else {
            try writeHostChunks(snapshot.hosts)
        }
        try writeAllButHosts(snapshot)
    }

    /// The snapshot but its hosts, and the mark that makes the database seeded.
    func writeAllButHosts(_ snapshot: FleetSnapshot) throws(SQLiteError) {
        for version in snapshot.catalog.versions {
            try connection.statement("INSERT INTO agent_versions (version) VALUES (?)").run(.text(version.text))
        }
        for (position, schedule) in snapshot.schedules.enumerated() {
            try insert(schedule, position: position)
        }
        for deployment in snapshot.deployments {
            try insert(deployment)
        }
        try writeClock(snapshot.clock)
        try writeMeta("random_state", Int64(bitPattern: snapshot.randomState))
        if let policy = snapshot.progressPolicy {
            try writeMeta("progress_policy", Int64(ProgressPolicy.allCases.firstIndex(of: policy)!))
        }
        try writeMeta("seeded", 1)
    }
}
