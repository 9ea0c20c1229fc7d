import Glibc

/// Runs a server's loop on a thread of its own. The one place a server crosses threads: it is
/// handed over through the thread's `void *` argument and from then on touched only by that
/// thread, until `join` returns. Its handler must synchronise whatever it shares with other loops.
public final class EventLoopThread {
    private var thread: pthread_t?

    public init() {}

    /// Starts `server.run()` on a new thread. The caller keeps `server` alive until `join`.
    public func start(_ server: HTTPServer) throws(HTTPServerError) {
        var handle = pthread_t()
        let context = Unmanaged.passUnretained(server).toOpaque()
        // pthread_create returns its error number; it does not set errno.
        let result = pthread_create(&handle, nil, eventLoopThreadMain, context)
        guard result == 0 else {
            let reason = String(cString: strerror(result))
            throw HTTPServerError(description: "cannot start an event loop thread: \(reason)")
        }
        thread = handle
    }

    /// Waits until the server's `run()` has returned.
    public func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }
}

@available(*, unavailable)
extension EventLoopThread: Sendable {}

private func eventLoopThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().run()
    return nil
}
