import Foundation
import Glibc
import Testing

/// Framing on a kept-alive connection, read by a strict HTTP/1.1 parser: every reply has a status
/// line, headers, a Content-Length and exactly that many body bytes (none for HEAD), and the
/// connection then carries the next reply or ends cleanly. libevent 2.1 frames by method: it sent
/// a HEAD reply's body, gave CONNECT replies no length, and left HEAD and TRACE bodies on the
/// connection to be parsed as the next request.
@Suite(.serialized) struct HTTPFramingTests {
    static let health = "GET /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n"
    static let healthBody = #"{"status":"ok"}"#
    /// A body that is itself a request: if it is left on the connection, it is answered (a 404).
    static let requestAsBody = "GET /__fleetmock/not-here HTTP/1.1\r\nHost: x\r\n\r\n"

    static func withBody(_ method: String, _ path: String, _ body: String) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Sends each request and reads its reply before the next, on one connection; after a reply
    /// that closes, the connection must end cleanly and the rest go on a new one.
    @Test func eachReplyIsFramedWhenRequestsFollowOneAnother() throws {
        let server = try FleetMockProcess(databasePath: ":memory:")
        defer { _ = server.stop() }
        var connection = try StrictHTTPConnection(port: server.port)
        let steps: [(request: String, method: String, check: (StrictHTTPReply) throws -> Void)] = [
            (Self.withBody("HEAD", "/__fleetmock/health", Self.requestAsBody), "HEAD", Self.isHealthHead),
            (Self.health, "GET", Self.isHealth),
            (
                Self.withBody("TRACE", "/__fleetmock/health", Self.requestAsBody), "TRACE",
                Self.isEnvelope(405, allow: "GET")
            ),
            (Self.health, "GET", Self.isHealth),
            ("CONNECT /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT", Self.isEnvelope(405, allow: "GET")),
            ("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "CONNECT", Self.isEnvelope(404)),
            ("OPTIONS /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS", Self.isEnvelope(405, allow: "GET")),
            (Self.withBody("PATCH", "/__fleetmock/health", "{}"), "PATCH", Self.isEnvelope(405, allow: "GET")),
            ("HEAD /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", Self.isHealthHead),
            ("HEAD /__fleetmock/not-here HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", Self.isHeadOfEnvelope(404)),
            (Self.health, "GET", Self.isHealth),
        ]
        for (request, method, check) in steps {
            try connection.send(request)
            let reply = try connection.readReply(toMethod: method)
            try check(reply)
            if reply.closes {
                try connection.expectCleanEnd()
                connection = try StrictHTTPConnection(port: server.port)
            }
        }
        try connection.expectNothingMore()
    }

    /// The same requests written at once: each reply follows the previous one's last body byte,
    /// and a reply that closes is the last thing on its connection.
    @Test func pipelinedRepliesAreFramedAndNothingIsReadFromAnUnreadBody() throws {
        let server = try FleetMockProcess(databasePath: ":memory:")
        defer { _ = server.stop() }
        let cases: [(first: String, method: String, check: (StrictHTTPReply) throws -> Void)] = [
            (Self.withBody("HEAD", "/__fleetmock/health", Self.requestAsBody), "HEAD", Self.isHealthHead),
            (
                Self.withBody("TRACE", "/__fleetmock/health", Self.requestAsBody), "TRACE",
                Self.isEnvelope(405, allow: "GET")
            ),
            ("CONNECT /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT", Self.isEnvelope(405, allow: "GET")),
            ("HEAD /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", Self.isHealthHead),
            ("OPTIONS /__fleetmock/health HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS", Self.isEnvelope(405, allow: "GET")),
            (Self.withBody("PATCH", "/__fleetmock/health", "{}"), "PATCH", Self.isEnvelope(405, allow: "GET")),
        ]
        for (first, method, check) in cases {
            do {  // each case on its own, so every fault is reported
                let connection = try StrictHTTPConnection(port: server.port)
                try connection.send(first + Self.health + Self.health)
                let reply = try connection.readReply(toMethod: method)
                try check(reply)
                if reply.closes {
                    try connection.expectCleanEnd()
                    continue
                }
                try Self.isHealth(try connection.readReply(toMethod: "GET"))
                try Self.isHealth(try connection.readReply(toMethod: "GET"))
                try connection.expectNothingMore()
            } catch {
                Issue.record("\(first.prefix(while: { $0 != "\r" })): \(error)")
            }
        }
    }

    // MARK: What each reply must be

    static func isHealth(_ reply: StrictHTTPReply) throws {
        try reply.require(reply.status == 200 && reply.bodyText == healthBody, "the health reply")
    }

    static func isHealthHead(_ reply: StrictHTTPReply) throws {
        try reply.require(reply.status == 200 && reply.body.isEmpty, "a bodiless 200")
        try reply.require(
            reply.header("content-length").map { $0 == String(healthBody.utf8.count) } ?? true,
            "the GET's length or none")
    }

    static func isEnvelope(_ status: Int, allow: String? = nil) -> (StrictHTTPReply) throws -> Void {
        { reply in
            try reply.require(reply.status == status, "status \(status)")
            try reply.require(reply.header("content-type") == "application/json", "a JSON reply")
            if let allow { try reply.require(reply.header("allow") == allow, "Allow: \(allow)") }
            let document = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
            let errors = document?["errors"] as? [String]
            try reply.require(document?.count == 1 && errors?.isEmpty == false, "the {\"errors\": [...]} envelope")
        }
    }

    static func isHeadOfEnvelope(_ status: Int) -> (StrictHTTPReply) throws -> Void {
        { reply in
            try reply.require(reply.status == status && reply.body.isEmpty, "a bodiless \(status)")
            try reply.require(reply.header("content-type") == "application/json", "a JSON reply")
        }
    }
}

/// One reply as a strict parser read it.
struct StrictHTTPReply {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let raw: String

    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var closes: Bool { header("connection")?.lowercased() == "close" }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }

    func require(_ condition: Bool, _ what: String) throws {
        if !condition { throw E2EError("expected \(what), got: \(raw.prefix(600))") }
    }
}

/// A kept-alive loopback connection read byte-exactly: nothing past a reply's declared length is
/// consumed, so whatever follows must be the next status line.
final class StrictHTTPConnection {
    private let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        // A reply with no length would wait 60 s for the close: reads give up after 5.
        fd = try LoopbackHTTP.connect(port: port, receiveTimeoutSeconds: 5)
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw E2EError("send failed: \(String(cString: strerror(errno)))") }
    }

    /// Reads one reply to a request made with `method`: the status line, headers up to the empty
    /// line, then exactly Content-Length bytes (none for HEAD, 1xx, 204, 304).
    func readReply(toMethod method: String) throws -> StrictHTTPReply {
        let head = try readHead()
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", parts[1].count == 3, let status = Int(parts[1]) else {
            throw E2EError("not a status line: '\(statusLine.prefix(200))' in \(head.prefix(600))")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line.first!.isWhitespace, !line[..<colon].contains(" ")
            else { throw E2EError("not a header line: '\(line.prefix(200))'") }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let lengths = headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        guard !headers.contains(where: { $0.name.lowercased() == "transfer-encoding" }) else {
            throw E2EError("a Transfer-Encoding reply: \(head)")
        }
        guard lengths.count <= 1 else { throw E2EError("\(lengths.count) Content-Length headers: \(head)") }
        let bodiless = method == "HEAD" || status < 200 || status == 204 || status == 304
        var body: [UInt8] = []
        if !bodiless {
            guard let text = lengths.first, let length = Int(text), length >= 0 else {
                throw E2EError("a \(status) reply to \(method) without a Content-Length: \(head)")
            }
            body = try readExactly(length)
        }
        return StrictHTTPReply(
            status: status, headers: headers, body: body, raw: head + "\r\n\r\n" + String(decoding: body, as: UTF8.self)
        )
    }

    /// The server closed: end of stream (not a reset), with no byte left unread.
    func expectCleanEnd() throws {
        guard pending.isEmpty else {
            throw E2EError("stray bytes after the last reply: \(String(decoding: pending, as: UTF8.self).prefix(300))")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            throw E2EError(
                "stray bytes before the close: \(String(decoding: buffer[0..<count], as: UTF8.self).prefix(300))")
        }
        if count < 0 { throw E2EError("no clean end: \(String(cString: strerror(errno)))") }
    }

    /// Nothing else arrives (within 300 ms) on a connection that stays open.
    func expectNothingMore() throws {
        guard pending.isEmpty else {
            throw E2EError("stray bytes: \(String(decoding: pending, as: UTF8.self).prefix(300))")
        }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&poller, 1, 300) > 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            throw E2EError(
                count > 0
                    ? "stray bytes: \(String(decoding: buffer[0..<count], as: UTF8.self).prefix(300))"
                    : "the connection ended")
        }
    }

    private func readHead() throws -> String {
        while true {
            if let end = pending.indices.first(where: { pending[$0...].starts(with: [13, 10, 13, 10]) }) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                return head
            }
            try fill("a reply's head")
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while pending.count < count { try fill("\(count) body bytes") }
        let body = Array(pending[..<count])
        pending.removeFirst(count)
        return body
    }

    private func fill(_ waitingFor: String) throws {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            pending.append(contentsOf: buffer[0..<count])
            return
        }
        let reason = count == 0 ? "the connection ended" : String(cString: strerror(errno))
        throw E2EError(
            "\(reason) while waiting for \(waitingFor); had: \(String(decoding: pending, as: UTF8.self).prefix(300))")
    }
}
