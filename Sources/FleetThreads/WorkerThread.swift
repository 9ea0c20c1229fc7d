import Glibc

/// A thread that runs one closure, then ends; its owner waits for it with `join`. The one place
/// FleetMock starts a thread (the writer of the pass's commits, the WAL checkpointer, seeding).
/// The join orders memory: what the closure wrote is visible to the owner once `join` returns.
public final class WorkerThread {
    private var handle: pthread_t?

    /// Starts the thread; throws if the system would not (with pthread_create's reason).
    public init(_ body: @escaping @Sendable () -> Void) throws(WorkerThreadError) {
        var handle = pthread_t()
        // The thread owns the closure until it has run it.
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(&handle, nil, workerThreadMain, context)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw WorkerThreadError(description: "cannot start a thread: " + String(cString: strerror(result)))
        }
        self.handle = handle
    }

    /// Waits until the closure has returned; a second call returns at once.
    public func join() {
        if let handle { pthread_join(handle, nil) }
        handle = nil
    }

    fileprivate final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

@available(*, unavailable)
extension WorkerThread: Sendable {}

public struct WorkerThreadError: Error, CustomStringConvertible {
    public let description: String
}

private func workerThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<WorkerThread.Box>.fromOpaque(context).takeRetainedValue().body()
    return nil
}
