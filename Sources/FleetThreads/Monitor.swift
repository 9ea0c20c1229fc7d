import Glibc

/// A mutex with one condition: state two threads share is read and changed inside `withLock`, and a
/// thread waits there (`wait`) until another changes it and calls `broadcast`.
public final class Monitor: @unchecked Sendable {
    // Allocated: a pthread object must not move, and a stored property's address is not fixed.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Inside `withLock` only: lets go of the lock until a `broadcast`, then takes it again. May
    /// return without one (a spurious wake-up), so callers wait in a loop on what they wait for.
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every thread waiting; called inside `withLock`, after changing what they wait for.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
