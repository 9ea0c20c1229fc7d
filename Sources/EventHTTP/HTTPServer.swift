import CLibevent
import Glibc
import Synchronization

/// An HTTP/1.1 server on one libevent loop: requests, timers and signals all arrive as callbacks on
/// the thread that calls `run()`, and are handled synchronously there. Knows nothing of fleets.
///
/// Everything touching libevent is in the `HTTPServer*.swift` files; nothing outside sees a pointer.
public final class HTTPServer {
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// libevent's own limits, which answer with its HTML page. They sit well above the API's limits
    /// (checked by the application, which answers 413 and 431 in the JSON envelope), so only a
    /// grossly oversized request meets libevent's.
    public static let maximumBodySize = 16 << 20
    public static let maximumHeadersSize = 1 << 20
    nonisolated(unsafe) private static let defaultContentType = UnsafeRawPointer(
        ("application/json" as StaticString).utf8Start
    )
    .assumingMemoryBound(to: CChar.self)
    /// libevent 2.1's type for a request method it does not know (its private http-internal.h).
    /// 2.2 gives that bit to MOVE and widens the mask, so this is pinned to 2.1.
    private static let unknownMethod: UInt32 = EVENT__NUMERIC_VERSION < 0x0202_0000 ? 1 << 15 : 0

    let base: OpaquePointer
    let http: OpaquePointer
    let handler: Handler
    private var listener: OpaquePointer?
    private var signalEvents: [OpaquePointer] = []
    private var signalActions: [Int32: () -> Void] = [:]
    private var timerEvent: OpaquePointer?
    private var timerAction: (() -> Void)?
    /// Replies held until the pass ends (`holdRepliesUntilPassEnd`), and what decides their fate.
    var holdsReply: (() -> Bool)?
    var passEnded: (() -> LostCommitGroups?)?
    var heldReplies: [(request: OpaquePointer, response: HTTPResponse)] = []
    var spareHeldReplies: [(request: OpaquePointer, response: HTTPResponse)] = []
    var passEndEvent: OpaquePointer?
    var passEndScheduled = false
    /// The listener's own accept loop (libevent's evconnlistener), paused while descriptors run out.
    var acceptListener: OpaquePointer?
    var acceptRetryEvent: OpaquePointer?
    /// Since when accept() has found no descriptor, how often, and whether the listener is on
    /// again on trial (nil while it works).
    var descriptorShortage: (since: Int64, failedAttempts: Int, resumed: Bool)?
    /// When the last delayed reply is due (monotonic milliseconds): shutdown waits for it.
    var latestDelayedReply: Int64 = 0

    static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Where the server reports trouble it handles itself (running out of descriptors): one line
    /// at a time, no newline. Standard error unless the owner routes it to its log.
    public var logLine: (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    public init(handler: @escaping Handler) throws(HTTPServerError) {
        guard let base = event_base_new() else { throw HTTPServerError(description: "event_base_new failed") }
        guard let http = evhttp_new(base) else {
            event_base_free(base)
            throw HTTPServerError(description: "evhttp_new failed")
        }
        self.base = base
        self.http = http
        self.handler = handler
        evhttp_set_max_body_size(http, Int(Self.maximumBodySize))
        evhttp_set_max_headers_size(http, Int(Self.maximumHeadersSize))
        evhttp_set_timeout(http, 60)
        // libevent keeps the pointer, not the text: a literal's storage lives as long as the process
        // (a String bridged for the call is freed after it, and replies then named garbage types).
        evhttp_set_default_content_type(http, Self.defaultContentType)
        // Every method must reach the handler, which answers unsupported ones itself in the JSON
        // envelope: PATCH and OPTIONS are off by default, and a method libevent does not know
        // (QUERY, PROPFIND...) is `unknownMethod`, else libevent answers its own HTML 501.
        let methods =
            EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_POST.rawValue | EVHTTP_REQ_HEAD.rawValue
            | EVHTTP_REQ_PUT.rawValue | EVHTTP_REQ_DELETE.rawValue | EVHTTP_REQ_OPTIONS.rawValue
            | EVHTTP_REQ_PATCH.rawValue | EVHTTP_REQ_TRACE.rawValue | EVHTTP_REQ_CONNECT.rawValue
            | Self.unknownMethod
        evhttp_set_allowed_methods(http, UInt16(methods))
        evhttp_set_gencb(http, httpServerRequestCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        serversByHTTP.withLock { _ = $0.removeValue(forKey: UInt(bitPattern: Int(bitPattern: http))) }
        if let acceptRetryEvent { event_free(acceptRetryEvent) }
        for event in signalEvents { event_free(event) }
        if let timerEvent { event_free(timerEvent) }
        if let passEndEvent { event_free(passEndEvent) }
        evhttp_free(http)
        event_base_free(base)
    }

    /// Listens on `host:port` (port 0 picks a free one) and returns the port actually bound.
    public func bind(host: String, port: UInt16) throws(HTTPServerError) -> UInt16 {
        // Resolved here first, so a host that is no address gets its own reason (libevent would
        // log a warning of its own and leave an unrelated errno).
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var resolved: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host, nil, &hints, &resolved)
        guard lookup == 0 else {
            throw HTTPServerError(
                description:
                    "--host '\(host)' is not an address to listen on (\(String(cString: gai_strerror(lookup))))")
        }
        freeaddrinfo(resolved)
        guard let handle = evhttp_bind_socket_with_handle(http, host, port) else {
            throw HTTPServerError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
        }
        listener = handle
        watchAcceptErrors(of: handle)
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = evhttp_bound_socket_get_fd(handle)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return port }
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            return port
        }
    }

    /// Runs `action` on the loop whenever `signal` arrives.
    public func onSignal(_ signal: Int32, _ action: @escaping () -> Void) {
        signalActions[signal] = action
        // A parent may spawn us with the signal blocked (test runners and some CI agents do);
        // libevent would then never see it and SIGTERM would hang the caller.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, signal)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        guard
            let event = CLibevent_signal_new(
                base, signal, httpServerSignalCallback, Unmanaged.passUnretained(self).toOpaque())
        else { return }
        event_add(event, nil)
        signalEvents.append(event)
    }

    /// Runs `action` once after `milliseconds`, replacing any timer set before.
    public func setTimer(afterMilliseconds milliseconds: Int64, _ action: @escaping () -> Void) {
        if timerEvent == nil {
            timerEvent = CLibevent_timer_new(base, httpServerTimerCallback, Unmanaged.passUnretained(self).toOpaque())
        }
        guard let timerEvent else { return }
        timerAction = action
        let delay = max(0, milliseconds)
        var interval = timeval(tv_sec: Int(delay / 1000), tv_usec: Int(delay % 1000) * 1000)
        event_add(timerEvent, &interval)
    }

    public func cancelTimer() {
        if let timerEvent { event_del(timerEvent) }
        timerAction = nil
    }

    /// Serves until `shutdown` is called.
    public func run() {
        event_base_dispatch(base)
    }

    /// Stops accepting connections and ends `run()` once replies in flight are out: `drainMilliseconds`, or
    /// longer while a reply waits out a delay (an injected latency, at most a minute), which is
    /// already decided and so is sent before the loop ends.
    public func shutdown(drainMilliseconds: Int64 = 100) {
        if let listener {
            evhttp_del_accept_socket(http, listener)  // frees acceptListener too
            self.listener = nil
            acceptListener = nil
        }
        if let acceptRetryEvent { event_del(acceptRetryEvent) }
        cancelTimer()
        for event in signalEvents { event_del(event) }
        let drain = max(drainMilliseconds, latestDelayedReply - Self.monotonicMilliseconds() + drainMilliseconds)
        var interval = timeval(tv_sec: Int(drain / 1000), tv_usec: Int(drain % 1000) * 1000)
        event_base_loopexit(base, &interval)
    }

    func handleSignal(_ signal: Int32) {
        signalActions[signal]?()
    }

    func handleTimer() {
        let action = timerAction
        timerAction = nil
        action?()
    }
}

@available(*, unavailable)
extension HTTPServer: Sendable {}
