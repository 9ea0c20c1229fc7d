import FleetThreads

/// One piece of work on a thread of its own while the caller goes on, its error handed back by
/// `wait`. Whatever the work touches, the caller leaves alone until `wait` returns (the join
/// orders the two threads' memory). If no thread can be started, the work runs inside `wait`.
final class BackgroundWork: @unchecked Sendable {
    private let work: () throws -> Void
    private var failure: (any Error)?
    private var thread: WorkerThread?
    private var finished = false

    private init(_ work: @escaping () throws -> Void) {
        self.work = work
    }

    static func start(_ work: @escaping () throws -> Void) -> BackgroundWork {
        let background = BackgroundWork(work)
        background.thread = try? WorkerThread { background.run() }
        return background
    }

    private func run() {
        do { try work() } catch { failure = error }
        finished = true
    }

    /// Waits for the work if it was started, without running it if it was not (no thread could
    /// be started): for when its result is no longer wanted.
    func abandon() {
        thread?.join()
        thread = nil
        finished = true
    }

    /// Waits for the work to end and rethrows its error.
    func wait() throws {
        thread?.join()
        thread = nil
        if !finished { run() }
        if let failure { throw failure }
    }
}
