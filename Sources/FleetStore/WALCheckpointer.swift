import CSQLite
import FleetThreads
import Glibc
import Synchronization

/// Copies the WAL back into the database file from a thread of its own, with its own connection,
/// so the request thread never pays for checkpoints (they cost a fifth of a trigger's time when
/// SQLite ran them at commit). A passive checkpoint never blocks the writer; the writer restarts
/// the WAL from the beginning once every frame has been copied.
///
/// The only type here touched by two threads: the stop flag is a Mutex, the connection belongs to
/// the checkpoint thread alone. Started and stopped by the store's owner thread.
final class WALCheckpointer: @unchecked Sendable {
    private let path: String
    private let intervalMicroseconds: UInt32
    private let stopRequested = Mutex(false)
    private var thread: WorkerThread?

    init(path: String, intervalMilliseconds: UInt32) {
        self.path = path
        self.intervalMicroseconds = intervalMilliseconds * 1000
    }

    /// Without a thread (none could be started), SQLite's own checkpoints at commit remain.
    func start() {
        thread = try? WorkerThread { [self] in run() }
    }

    /// Asks the thread to finish and waits for it.
    func stop() {
        stopRequested.withLock { $0 = true }
        thread?.join()
        thread = nil
    }

    private func run() {
        guard let connection = try? SQLiteConnection(path: path) else { return }
        defer { connection.close() }
        try? connection.execute("PRAGMA busy_timeout = 0")
        var previousLogFrames: Int64 = -1
        var idleRounds = 0
        while !stopRequested.withLock({ $0 }) {
            usleep(intervalMicroseconds)
            // Passive only: a RESTART would hold the writer lock through the copy and an fsync (tried:
            // p99 up, throughput down). Under a steady stream of writes the WAL keeps growing, but
            // readers skip frames already copied, and the first pause lets it start over.
            guard
                let (busy, logFrames, copiedFrames) = try? connection.statement("PRAGMA wal_checkpoint(PASSIVE)")
                    .firstRow({ ($0.int64(at: 0), $0.int64(at: 1), $0.int64(at: 2)) })
            else { continue }
            // Shrinking a WAL that grew under a burst of writes is done here, once every frame is
            // copied and no write came for a second, so requests rarely pay for it: the writer's own
            // connection never truncates (an ftruncate of a few hundred megabytes took tens of
            // milliseconds inside a commit), and TRUNCATE holds the write lock while it runs (done
            // under load, it stalled the writer 7 ms and more; after a pause of a few intervals, the
            // first requests of the next burst 40 ms). It waits for nothing (busy_timeout 0): if a
            // write is under way, next time.
            idleRounds = logFrames == previousLogFrames ? idleRounds + 1 : 0
            previousLogFrames = logFrames
            let idleFor = Int(idleRounds) * Int(intervalMicroseconds)
            if busy == 0, idleFor >= Self.idleBeforeTruncatingMicroseconds, logFrames > 0, logFrames == copiedFrames,
                walFileSize() > Self.truncateAboveBytes
            {
                _ = try? connection.statement("PRAGMA wal_checkpoint(TRUNCATE)").firstRow { $0.int64(at: 0) }
            }
        }
    }

    /// A WAL larger than this is truncated once idle; below it, its space is reused as it is.
    static let truncateAboveBytes = 16 << 20
    static let idleBeforeTruncatingMicroseconds = 1_000_000

    private func walFileSize() -> Int {
        var info = stat()
        return stat(path + "-wal", &info) == 0 ? Int(info.st_size) : 0
    }
}
