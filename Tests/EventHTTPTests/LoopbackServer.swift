import EventHTTP
import Glibc
import Synchronization

struct LoopbackError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A value shared between the loop thread and the test, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func update<Result>(_ change: (inout Value) -> Result) -> Result {
        value.withLock { change(&$0) }
    }

    var current: Value { value.withLock { $0 } }
}

/// Polls `condition` every millisecond until it holds or `seconds` pass; true if it held.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while !condition() {
        if monotonicSeconds() > deadline { return false }
        usleep(1_000)
    }
    return true
}

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// An `HTTPServer` listening on 127.0.0.1, port 0, with its loop `run()` on a thread of its own.
///
/// The server is not thread-safe: once the loop runs, it is touched only from its callbacks (the
/// handler, timers, ticks, signals). So the test stops it with a request to `stopTarget`, which
/// the handler answers by calling `shutdown()` on the loop thread, or lets a callback of its own
/// call `shutdown()`, then waits for `run()` to return.
final class LoopbackServer {
    static let stopTarget = "/stop-the-loop"

    let server: HTTPServer
    let port: UInt16
    /// The thread `run()` runs on, once started: every callback must run there.
    private(set) var loopThread: pthread_t?
    private let finished = Shared(false)
    private var joined = false

    /// Makes the server; `configure` registers timers, signals or held replies before the loop
    /// starts (from then on only callbacks may touch the server). The loop does not run until `start`.
    init(
        handler: @escaping (HTTPRequest, HTTPServer) -> HTTPResponse = { _, _ in HTTPResponse(status: 200) },
        configure: (HTTPServer) -> Void = { _ in }
    ) throws {
        // As the fleetmock executable does: a reply written to a connection its client has closed
        // must fail with EPIPE instead of ending the test process.
        signal(SIGPIPE, SIG_IGN)
        let reference = ServerReference()
        let server = try HTTPServer { request in
            guard let server = reference.server else { return HTTPResponse(status: 500) }
            if request.target == Self.stopTarget {
                server.shutdown(drainMilliseconds: 20)
                return HTTPResponse(status: 200, headers: [("Connection", "close")])
            }
            return handler(request, server)
        }
        reference.server = server
        self.server = server
        port = try server.bind(host: "127.0.0.1", port: 0)
        configure(server)
    }

    /// Made, bound and started: the usual case.
    static func running(
        handler: @escaping (HTTPRequest, HTTPServer) -> HTTPResponse = { _, _ in HTTPResponse(status: 200) },
        configure: (HTTPServer) -> Void = { _ in }
    ) throws -> LoopbackServer {
        let loop = try LoopbackServer(handler: handler, configure: configure)
        try loop.start()
        return loop
    }

    /// Runs the loop on a new thread.
    func start() throws {
        let context = Unmanaged.passRetained(LoopContext(server: server, finished: finished)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { context in
                let loop = Unmanaged<LoopContext>.fromOpaque(context!).takeRetainedValue()
                loop.server.run()
                loop.finished.update { $0 = true }
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<LoopContext>.fromOpaque(context).release()
            throw LoopbackError("pthread_create failed: \(String(cString: strerror(result)))")
        }
        loopThread = thread
    }

    /// Whether `run()` has returned.
    var hasFinished: Bool { finished.current }

    /// Asks the loop to shut down (a request it answers on its own thread) and waits for `run()`.
    func stop() throws {
        let client = try LoopbackClient(port: port)
        try client.send("POST \(Self.stopTarget) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        let reply = try client.readReply()
        guard reply.status == 200 else { throw LoopbackError("the stop request got \(reply.status)") }
        try waitForRunToReturn()
    }

    /// Waits (at most `seconds`) for `run()` to return after something on the loop called
    /// `shutdown()`, then joins the thread. A loop that does not stop is left running, leaked,
    /// rather than block the test run.
    func waitForRunToReturn(seconds: Double = 5) throws {
        guard let loopThread, !joined else { return }
        guard waitUntil(seconds: seconds, { hasFinished }) else {
            throw LoopbackError("run() did not return within \(seconds) s")
        }
        pthread_join(loopThread, nil)
        joined = true
    }

    /// Whether the caller is the loop's thread.
    func isLoopThread(_ thread: pthread_t) -> Bool {
        guard let loopThread else { return false }
        return pthread_equal(thread, loopThread) != 0
    }

    deinit {
        // A test that failed halfway leaves no loop behind it.
        guard loopThread != nil, !joined else { return }
        if hasFinished { try? waitForRunToReturn() } else { try? stop() }
    }
}

/// The server the handler belongs to, which exists only once the handler is made.
private final class ServerReference {
    weak var server: HTTPServer?
}

/// What the loop thread is handed: the server to run and where to say `run()` returned.
private final class LoopContext {
    let server: HTTPServer
    let finished: Shared<Bool>

    init(server: HTTPServer, finished: Shared<Bool>) {
        self.server = server
        self.finished = finished
    }
}
