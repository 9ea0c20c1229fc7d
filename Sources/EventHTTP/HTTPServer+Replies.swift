import CLibevent
import Glibc

/// Sending a reply: after its delay, as a dropped connection, or with its body lent to libevent.
extension HTTPServer {
    /// Sends the reply now, or after its delay.
    func dispatch(_ response: HTTPResponse, to request: OpaquePointer) {
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
        let scheduled = event_base_once(
            base, -1, Int16(EV_TIMEOUT), httpServerDelayedReplyCallback, pending.toOpaque(), &interval)
        if scheduled != 0 {
            pending.release()
            send(response, to: request)
        }
    }

    func send(_ response: HTTPResponse, to request: OpaquePointer) {
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
            // A length the handler set is dropped: two that disagreed would make the framing ambiguous.
            for (name, value) in response.headers where !Self.isContentLength(name) {
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

    private static func isContentLength(_ name: String) -> Bool {
        name.utf8.count == 14 && name.lowercased() == "content-length"
    }

    /// From this size a body is not copied into libevent's buffer but lent to it: a 100,000-host
    /// deployment's v2 detail (23 MB) was held twice while it was written.
    static let bodySentByReferenceFrom = 256 * 1024

    /// Lends `body`'s bytes to `output` until libevent has written them (or dropped the connection),
    /// then lets go of them; false if libevent would not take them (the caller copies them then).
    /// The array is held, never changed, by the box the cleanup releases, so its storage stays where
    /// it is for as long as libevent reads from it. (Swift promises the pointer only inside
    /// `withUnsafeBytes`; a native array's storage does not move while it is held and unchanged,
    /// which is what this relies on.)
    private static func lend(_ body: [UInt8], to output: OpaquePointer) -> Bool {
        let box = Unmanaged.passRetained(LentBody(body))
        let added = box.takeUnretainedValue().bytes.withUnsafeBytes { bytes in
            evbuffer_add_reference(output, bytes.baseAddress, bytes.count, httpServerLentBodyCleanup, box.toOpaque())
        }
        if added != 0 { box.release() }  // not taken, so libevent will never call the cleanup
        return added == 0
    }
}

/// A reply body lent to libevent (`HTTPServer.lend`).
final class LentBody {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A reply waiting for its delay, handed to libevent's one-shot timer.
final class PendingReply {
    unowned let server: HTTPServer
    let request: OpaquePointer
    let response: HTTPResponse

    init(server: HTTPServer, request: OpaquePointer, response: HTTPResponse) {
        self.server = server
        self.request = request
        self.response = response
    }
}
