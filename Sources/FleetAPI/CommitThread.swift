import Glibc

/// A thread that runs one batch of writes at a time for the loop, which goes on meanwhile and
/// collects each batch's outcome after `finished` (called on this thread) has told it one is ready.
///
/// The one place FleetAPI crosses threads: a batch is handed over under the mutex and its
/// outcome handed back the same way; whatever the batch touches (its stores) the loop leaves alone
/// until it has collected the outcome.
final class CommitThread: @unchecked Sendable {
    typealias Batch = @Sendable () -> Set<String>

    // Allocated: a pthread object must not move, and a stored property's address is not fixed.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread: pthread_t?
    private let finished: @Sendable () -> Void
    // Guarded by `mutex`.
    private var waiting: Batch?
    private var outcome: Set<String>?
    private var stopping = false

    /// nil if no thread can be started: the caller then writes on its own thread.
    init?(finished: @escaping @Sendable () -> Void) {
        self.finished = finished
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        var handle = pthread_t()
        // The thread holds a reference until it ends.
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&handle, nil, commitThreadMain, context) == 0 else {
            Unmanaged<CommitThread>.fromOpaque(context).release()
            return nil
        }
        thread = handle
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Hands `batch` to the thread. One at a time: the previous outcome must have been collected.
    func submit(_ batch: @escaping Batch) {
        pthread_mutex_lock(mutex)
        precondition(waiting == nil && outcome == nil, "a batch is already in flight")
        waiting = batch
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// The finished batch's outcome (the orgs whose writes were lost), or nil while it runs.
    func collect() -> Set<String>? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let result = outcome
        outcome = nil
        return result
    }

    /// Waits for the batch in flight to finish and returns its outcome.
    func collectWaiting() -> Set<String> {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while outcome == nil { pthread_cond_wait(changed, mutex) }
        let result = outcome ?? []
        outcome = nil
        return result
    }

    /// Ends the thread once it has finished what it was given; waits for it.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    fileprivate func run() {
        pthread_mutex_lock(mutex)
        while true {
            while waiting == nil && !stopping { pthread_cond_wait(changed, mutex) }
            guard let batch = waiting else { break }
            waiting = nil
            pthread_mutex_unlock(mutex)
            let lost = batch()
            pthread_mutex_lock(mutex)
            outcome = lost
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            finished()
            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
    }
}

private func commitThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<CommitThread>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
