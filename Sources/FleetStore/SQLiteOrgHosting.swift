import FleetDomain
import Glibc

/// Orgs over SQLite: each org's state in a file of its own beside the main one
/// (`state.sqlite.orgs/<org>.sqlite`; in memory when the main state is), the registry of orgs in
/// the main database.
public final class SQLiteOrgHosting: OrgHosting {
    private let registry: SQLiteFleetStore
    private let mainPath: String
    private var open: [String: SQLiteFleetStore] = [:]

    public init(registry: SQLiteFleetStore, mainPath: String) {
        self.registry = registry
        self.mainPath = mainPath
    }

    private var folder: String { mainPath + ".orgs" }

    private func path(of id: String) -> String {
        mainPath == ":memory:" ? ":memory:" : folder + "/" + id + ".sqlite"
    }

    public func openStore(org id: String) throws(FleetError) -> (persistence: FleetPersistence, stored: FleetSnapshot?)
    {
        do {
            if mainPath != ":memory:" { mkdir(folder, 0o755) }
            let store = try SQLiteFleetStore(path: path(of: id))
            open[id] = store
            return (store, try store.load(clockMode: nil))
        } catch {
            throw FleetError.storageFailure(reason: "cannot open org \(id): \(error)")
        }
    }

    public func removeStore(org id: String) {
        open.removeValue(forKey: id)?.close()
        guard mainPath != ":memory:" else { return }
        for suffix in ["", "-wal", "-shm"] { unlink(path(of: id) + suffix) }
    }

    public func saveRecord(_ record: OrgRecord) throws(FleetError) {
        try registry.saveOrgRecord(record)
    }

    public func deleteRecord(org id: String) throws(FleetError) {
        try registry.deleteOrgRecord(id: id)
    }

    public func loadRecords() throws(SQLiteError) -> [OrgRecord] {
        try registry.loadOrgRecords()
    }

    /// Deletes a state: the main file, its WAL and shared memory, and every org's files (`--fresh`).
    /// Nothing may have them open.
    public static func deleteState(mainPath: String) {
        guard mainPath != ":memory:" else { return }
        let folder = mainPath + ".orgs"
        if let directory = opendir(folder) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != ".", name != ".." { unlink(folder + "/" + name) }
            }
            closedir(directory)
            rmdir(folder)
        }
        for suffix in ["", "-wal", "-shm"] { unlink(mainPath + suffix) }
    }

    /// Closes every org's store (the main one is its owner's to close).
    public func closeAll() {
        for store in open.values { store.close() }
        open.removeAll()
    }
}

@available(*, unavailable)
extension SQLiteOrgHosting: Sendable {}
