import CLibevent
import Glibc
import Synchronization

/// Why the server could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}

/// An HTTP/1.1 server on one libevent loop: requests, timers and signals all arrive as callbacks on
/// the thread that calls `run()`, and are handled synchronously there. Knows nothing of fleets.
///
/// Everything touching libevent is in this file; nothing outside sees a pointer.
public final class HTTPServer {
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// libevent's own limits, which answer with its HTML page. They sit well above the API's limits
    /// (checked by the application, which answers 413 and 431 in the JSON envelope), so only a
    /// grossly oversized request meets libevent's.
    public static let maximumBodySize = 16 << 20
    public static let maximumHeadersSize = 1 << 20
    /// libevent 2.1's type for a request method it does not know (its private http-internal.h).
    /// 2.2 gives that bit to MOVE and widens the mask, so this is pinned to 2.1.
    private static let unknownMethod: UInt32 = EVENT__NUMERIC_VERSION < 0x0202_0000 ? 1 << 15 : 0

    private let base: OpaquePointer
    private let http: OpaquePointer
    private let handler: Handler
    private var listener: OpaquePointer?
    private var signalEvents: [OpaquePointer] = []
    private var signalActions: [Int32: () -> Void] = [:]
    private var timerEvent: OpaquePointer?
    private var timerAction: (() -> Void)?
    /// Group commit: replies held until the end of the loop pass, and what decides their fate.
    private var holdsReply: (() -> Bool)?
    private var passEnded: (() -> LostCommitGroups?)?
    private var heldReplies: [(request: OpaquePointer, response: HTTPResponse)] = []
    private var spareHeldReplies: [(request: OpaquePointer, response: HTTPResponse)] = []
    private var passEndEvent: OpaquePointer?
    private var passEndScheduled = false
    /// The listener's own accept loop (libevent's evconnlistener), paused while descriptors run out.
    private var acceptListener: OpaquePointer?
    private var acceptRetryEvent: OpaquePointer?
    /// Since when accept() has found no descriptor, how often, and whether the listener is on
    /// again on trial (nil while it works).
    private var descriptorShortage: (since: Int64, failedAttempts: Int, resumed: Bool)?
    /// When the last delayed reply is due (monotonic milliseconds): shutdown waits for it.
    private var latestDelayedReply: Int64 = 0

    static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// How often a paused listener checks for a free descriptor.
    static let acceptRetryMilliseconds: Int64 = 100

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
        evhttp_set_default_content_type(http, "application/json")
        // Every method must reach the handler, which answers unsupported ones itself in the JSON
        // envelope: PATCH and OPTIONS are off by default, and a method libevent does not know
        // (QUERY, PROPFIND...) parses as its private EVHTTP_REQ_UNKNOWN_ (1 << 15), else libevent
        // answers its own HTML 501.
        let methods = EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_POST.rawValue | EVHTTP_REQ_HEAD.rawValue
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
            throw HTTPServerError(description: "--host '\(host)' is not an address to listen on (\(String(cString: gai_strerror(lookup))))")
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

    /// Holds each reply for which `holds()` answers true after its request was handled, until the
    /// end of the current loop pass, when `passEnded()` runs once for all of them: it returns nil
    /// to send them as they are, or the commit groups whose writes were not kept and the reply to
    /// send instead of each reply of those groups.
    ///
    /// The pass's end is an event made active by the first held reply: libevent runs active
    /// events in order, so it runs after every request already read in this pass (group commit:
    /// one durable commit for all of them, and no reply before it).
    public func holdRepliesUntilPassEnd(while holds: @escaping () -> Bool, passEnded: @escaping () -> LostCommitGroups?) {
        guard passEndEvent == nil,
            let event = event_new(base, -1, 0, httpServerPassEndCallback, Unmanaged.passUnretained(self).toOpaque())
        else { return }
        passEndEvent = event
        holdsReply = holds
        self.passEnded = passEnded
    }

    /// Makes the pass end run after the events already active: for held replies, and for work
    /// done outside a request that the pass end finishes (a timer's writes, log lines).
    public func endPassSoon() {
        guard let passEndEvent, !passEndScheduled else { return }
        passEndScheduled = true
        event_active(passEndEvent, 0, 0)
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
        guard let event = CLibevent_signal_new(base, signal, httpServerSignalCallback, Unmanaged.passUnretained(self).toOpaque())
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

    // MARK: Callbacks (entered from C)

    fileprivate func handle(_ request: OpaquePointer) {
        var response = handler(Self.read(request))
        if Self.leftBodyUnread(request) {
            // Its bytes are still on the connection and would be parsed as the next request, so
            // the connection ends with this reply (libevent closes it on seeing the header).
            response.headers.append(("Connection", "close"))
        }
        if let holdsReply, holdsReply() {
            heldReplies.append((request, response))
            endPassSoon()
            return
        }
        dispatch(response, to: request)
    }

    fileprivate func endPass() {
        passEndScheduled = false
        let lost = passEnded?()
        // Swapped with a spare list, so neither is ever copied (removing all from a list still
        // shared would allocate a new one each pass).
        var held = spareHeldReplies
        swap(&held, &heldReplies)
        defer {
            held.removeAll(keepingCapacity: true)
            spareHeldReplies = held
        }
        for (request, response) in held {
            let replacement = response.commitGroup.flatMap { lost?.groups.contains($0) == true ? lost?.reply : nil }
            var reply = replacement ?? response
            let closes = response.headers.contains { $0.name == "Connection" && $0.value == "close" }
            if replacement != nil, closes {
                reply.headers.append(("Connection", "close"))
            }
            dispatch(reply, to: request)
        }
    }

    /// Sends the reply now, or after its delay.
    private func dispatch(_ response: HTTPResponse, to request: OpaquePointer) {
        guard response.delayMilliseconds > 0 else {
            send(response, to: request)
            return
        }
        // libevent keeps an unanswered request alive (detached) if its client leaves meanwhile, and
        // evhttp_send_reply frees a detached one, so replying later is safe.
        latestDelayedReply = max(latestDelayedReply, Self.monotonicMilliseconds() + response.delayMilliseconds)
        let pending = Unmanaged.passRetained(PendingReply(server: self, request: request, response: response))
        var interval = timeval(
            tv_sec: Int(response.delayMilliseconds / 1000), tv_usec: Int(response.delayMilliseconds % 1000) * 1000)
        if event_base_once(base, -1, Int16(EV_TIMEOUT), httpServerDelayedReplyCallback, pending.toOpaque(), &interval) != 0 {
            pending.release()
            send(response, to: request)
        }
    }

    fileprivate func send(_ response: HTTPResponse, to request: OpaquePointer) {
        if response.dropConnection {
            // Shut the socket; the reply then fails to write and libevent frees the connection.
            if let connection = evhttp_request_get_connection(request),
                let events = evhttp_connection_get_bufferevent(connection)
            {
                let fd = bufferevent_getfd(events)
                if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
            }
            evhttp_send_reply(request, 500, nil, nil)
            return
        }
        var body = response.lateBody?() ?? response.body
        // Framed here, not by libevent: 2.1 decides by the request's method, and so sent a HEAD
        // reply's whole body and gave a HEAD or CONNECT reply no Content-Length (a CONNECT 405 on
        // a kept-alive connection left its client waiting for the close).
        let isHead = evhttp_request_get_command(request) == EVHTTP_REQ_HEAD
        let mayHaveBody = response.status >= 200 && response.status != 204 && response.status != 304
        if let headers = evhttp_request_get_output_headers(request) {
            for (name, value) in response.headers {
                evhttp_add_header(headers, name, value)
            }
            // A HEAD reply announces the length the GET's body would have (RFC 9110 8.6).
            if mayHaveBody { evhttp_add_header(headers, "Content-Length", String(body.count)) }
        }
        if isHead || !mayHaveBody { body = [] }
        if !body.isEmpty, let output = evhttp_request_get_output_buffer(request) {
            if body.count < Self.bodySentByReferenceFrom || !Self.lend(body, to: output) {
                body.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) }
            }
        }
        let events = evhttp_request_get_connection(request).flatMap { evhttp_connection_get_bufferevent($0) }
        evhttp_send_reply(request, Int32(response.status), nil, nil)
        // libevent writes a reply at the socket's next write event, after every other event of
        // this loop pass: written here instead, it leaves at once (a tenth more triggers a second
        // under load, bench/alternate_loads.sh; a client sending one request at a time went 3.8x
        // faster, bench/soak.py). Whatever the socket does not take now
        // the write event sends as before; when it finds nothing left it still tells evhttp the
        // reply is out (libevent 2.1's writecb runs the callback on `res || !connected`), so the
        // connection reads its next request as usual. (Checked on 2.1.12 by logging the output
        // buffer around the call: a 2 KB reply is written whole and the buffer left empty.)
        if let events, let output = bufferevent_get_output(events) {
            let fd = bufferevent_getfd(events)
            if fd >= 0 { _ = evbuffer_write(output, fd) }
        }
    }

    /// From this size a body is not copied into libevent's buffer but lent to it: a 100,000-host
    /// deployment's v2 detail (23 MB) was held twice while it was written.
    static let bodySentByReferenceFrom = 256 * 1024

    /// Lends `body`'s bytes to `output` until libevent has written them (or dropped the connection),
    /// then lets go of them; false if libevent would not take them (the caller copies them then). The array is held, never changed, by the box the cleanup releases, so
    /// its storage stays where it is for as long as libevent reads from it. (Swift promises the
    /// pointer only inside `withUnsafeBytes`; a native array's storage does not move while it is
    /// held and unchanged, which is what this relies on.)
    private static func lend(_ body: [UInt8], to output: OpaquePointer) -> Bool {
        let box = Unmanaged.passRetained(LentBody(body))
        let added = box.takeUnretainedValue().bytes.withUnsafeBytes { bytes in
            evbuffer_add_reference(output, bytes.baseAddress, bytes.count, httpServerLentBodyCleanup, box.toOpaque())
        }
        if added != 0 { box.release() }  // not taken, so libevent will never call the cleanup
        return added == 0
    }

    fileprivate func handleSignal(_ signal: Int32) {
        signalActions[signal]?()
    }


    fileprivate func handleTimer() {
        let action = timerAction
        timerAction = nil
        action?()
    }

    /// Whether the request declares a body that libevent did not read: 2.1 reads none for HEAD,
    /// TRACE or a method it does not know, and leaves those bytes on the connection.
    private static func leftBodyUnread(_ request: OpaquePointer) -> Bool {
        guard let input = evhttp_request_get_input_buffer(request), evbuffer_get_length(input) == 0,
            let headers = evhttp_request_get_input_headers(request)
        else { return false }
        if evhttp_find_header(headers, "Transfer-Encoding") != nil { return true }
        guard let length = evhttp_find_header(headers, "Content-Length") else { return false }
        return Int(String(cString: length)) != 0  // not a number counts as a body too
    }

    // MARK: Out of descriptors

    /// Takes over accept() failures from libevent, which otherwise logs a warning and retries at
    /// once, for as long as the failure lasts: out of descriptors, that spun a core and wrote
    /// megabytes of identical warnings a second.
    private func watchAcceptErrors(of handle: OpaquePointer) {
        guard let listener = evhttp_bound_socket_get_listener(handle) else { return }
        acceptListener = listener
        let key = UInt(bitPattern: Int(bitPattern: http))
        let value = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        serversByHTTP.withLock { $0[key] = value }
        evconnlistener_set_error_cb(listener, httpServerAcceptErrorCallback)
    }

    /// accept() failed with `error` (never a retriable one: libevent retries those itself). Pauses
    /// the listener, so waiting connections stay in the kernel's backlog, and checks back later.
    fileprivate func acceptFailed(error: Int32) {
        guard let acceptListener else { return }
        evconnlistener_disable(acceptListener)
        if descriptorShortage == nil {
            descriptorShortage = (since: Self.monotonicMilliseconds(), failedAttempts: 0, resumed: false)
            let reason = String(cString: strerror(error))
            let what = error == EMFILE || error == ENFILE ? "out of file descriptors" : "cannot accept connections"
            logLine("\(what) (accept: \(reason)): new connections wait, checking every \(Self.acceptRetryMilliseconds) ms")
        }
        descriptorShortage?.failedAttempts += 1
        descriptorShortage?.resumed = false
        scheduleAcceptRetry()
    }

    private func scheduleAcceptRetry() {
        if acceptRetryEvent == nil {
            acceptRetryEvent = CLibevent_timer_new(base, httpServerAcceptRetryCallback, Unmanaged.passUnretained(self).toOpaque())
        }
        guard let acceptRetryEvent else { return }
        var interval = timeval(tv_sec: 0, tv_usec: Int(Self.acceptRetryMilliseconds) * 1000)
        event_add(acceptRetryEvent, &interval)
    }

    /// Resumes accepting once a descriptor can be had: tried on a duplicate of the listening socket,
    /// which costs no connection (accept would take one off the backlog only to fail again). The
    /// episode ends after a whole interval on trial without a failure: descriptors come back one
    /// at a time as the loop closes connections, and the backlog can take the first ones again.
    fileprivate func retryAccepting() {
        guard let acceptListener, let shortage = descriptorShortage else { return }
        guard shortage.resumed else {
            let probe = fcntl(evconnlistener_get_fd(acceptListener), F_DUPFD_CLOEXEC, 0)
            if probe >= 0 {
                close(probe)
                descriptorShortage?.resumed = true
                evconnlistener_enable(acceptListener)
            } else {
                descriptorShortage?.failedAttempts += 1
            }
            scheduleAcceptRetry()
            return
        }
        descriptorShortage = nil
        let seconds = Double(Self.monotonicMilliseconds() - shortage.since) / 1000
        let attempts = shortage.failedAttempts
        logLine(
            "descriptors free again after \(Double(Int(seconds * 10)) / 10) s (\(attempts) attempt\(attempts == 1 ? "" : "s") found none): accepting connections")
    }


    private static func read(_ request: OpaquePointer) -> HTTPRequest {
        let target = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        var headers: [(name: String, value: String)] = []
        if let list = evhttp_request_get_input_headers(request) {
            var entry = list.pointee.tqh_first
            while let current = entry {
                headers.append((String(cString: current.pointee.key), String(cString: current.pointee.value)))
                entry = current.pointee.next.tqe_next
            }
        }
        var body: [UInt8] = []
        if let input = evhttp_request_get_input_buffer(request) {
            let length = evbuffer_get_length(input)
            if length > 0, let bytes = evbuffer_pullup(input, -1) {
                body = Array(UnsafeBufferPointer(start: bytes, count: length))
            }
        }
        return HTTPRequest(method: methodName(evhttp_request_get_command(request)), target: target, headers: headers, body: body)
    }

    private static func methodName(_ command: evhttp_cmd_type) -> String {
        switch command {
        case EVHTTP_REQ_GET: return "GET"
        case EVHTTP_REQ_POST: return "POST"
        case EVHTTP_REQ_HEAD: return "HEAD"
        case EVHTTP_REQ_PUT: return "PUT"
        case EVHTTP_REQ_DELETE: return "DELETE"
        case EVHTTP_REQ_OPTIONS: return "OPTIONS"
        case EVHTTP_REQ_PATCH: return "PATCH"
        case EVHTTP_REQ_TRACE: return "TRACE"
        case EVHTTP_REQ_CONNECT: return "CONNECT"
        default: return "UNKNOWN"
        }
    }
}

@available(*, unavailable)
extension HTTPServer: Sendable {}

// C callbacks capture nothing (a capturing @convention(c) closure crashes the 6.3 compiler): the
// server arrives through the `void *` argument.

/// A reply body lent to libevent (`HTTPServer.lend`).
private final class LentBody {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private func httpServerLentBodyCleanup(_ data: UnsafeRawPointer?, _ length: Int, _ box: UnsafeMutableRawPointer?) {
    guard let box else { return }
    Unmanaged<LentBody>.fromOpaque(box).release()
}

private func httpServerRequestCallback(_ request: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let request, let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handle(request)
}

/// The server that owns each evhttp, by address. libevent calls a listener's error callback with
/// the listener's argument, which evhttp set to itself for its accept callback: this leads back
/// from there to the server. Looked up only when accept fails.
private let serversByHTTP = Mutex<[UInt: UInt]>([:])

private func httpServerAcceptErrorCallback(_ listener: OpaquePointer?, _ http: UnsafeMutableRawPointer?) {
    let error = errno  // what accept() left, read before anything else can change it
    guard let http, let address = serversByHTTP.withLock({ $0[UInt(bitPattern: http)] }),
        let server = UnsafeMutableRawPointer(bitPattern: address)
    else { return }
    Unmanaged<HTTPServer>.fromOpaque(server).takeUnretainedValue().acceptFailed(error: error)
}

private func httpServerAcceptRetryCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().retryAccepting()
}

private func httpServerSignalCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handleSignal(Int32(fd))
}

/// A reply waiting for its delay, handed to libevent's one-shot timer.
private final class PendingReply {
    unowned let server: HTTPServer
    let request: OpaquePointer
    let response: HTTPResponse

    init(server: HTTPServer, request: OpaquePointer, response: HTTPResponse) {
        self.server = server
        self.request = request
        self.response = response
    }
}

private func httpServerDelayedReplyCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    let pending = Unmanaged<PendingReply>.fromOpaque(argument).takeRetainedValue()
    pending.server.send(pending.response, to: pending.request)
}

private func httpServerPassEndCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().endPass()
}

private func httpServerTimerCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handleTimer()
}
