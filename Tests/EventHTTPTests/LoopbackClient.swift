import Glibc

/// One reply as the client read it.
struct HTTPReply {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Every value of the header `name` (any case), in the order sent.
    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    func header(_ name: String) -> String? { values(name).first }

    var closesConnection: Bool { header("Connection")?.lowercased() == "close" }
}

/// A loopback TCP connection speaking HTTP/1.1 by hand, as the end-to-end tests' strict
/// connection does: a reply is read byte-exactly by its Content-Length, so whatever follows on a
/// kept-alive connection must be the next reply. Every read gives up after the receive timeout,
/// so a server that never answers fails the test instead of hanging it.
final class LoopbackClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: UInt16, receiveTimeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackError("socket failed: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = Self.connect(fd, port: port)
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LoopbackError("connect to 127.0.0.1:\(port) failed: \(reason)")
        }
    }

    deinit { close(fd) }

    /// connect(2) to 127.0.0.1:`port`: 0, or -1 with errno set.
    static func connect(_ fd: Int32, port: UInt16) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Sends every byte (MSG_NOSIGNAL: a server that closed early is an error here, not a signal).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw LoopbackError("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Reads one reply to a request made with `method`: the status line, the headers, then exactly
    /// Content-Length bytes (none for HEAD, 1xx, 204 and 304), or, with no length, up to the close.
    func readReply(toMethod method: String = "GET") throws -> HTTPReply {
        let head = try readHead()
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw LoopbackError("not a status line: '\(statusLine.prefix(200))'")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw LoopbackError("not a header line: '\(line)'") }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value)))
        }
        let reply = HTTPReply(status: status, headers: headers, body: [])
        if method == "HEAD" || status < 200 || status == 204 || status == 304 { return reply }
        let lengths = reply.values("Content-Length")
        guard lengths.count <= 1 else { throw LoopbackError("\(lengths.count) Content-Length headers: \(head)") }
        let body: [UInt8]
        if let text = lengths.first {
            guard let length = Int(text), length >= 0 else { throw LoopbackError("Content-Length '\(text)'") }
            body = try readExactly(length)
        } else {
            body = try readToEnd()
        }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    /// Everything until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending = [] }
        return pending
    }

    /// Whether the server has ended the connection, with nothing more sent: end of stream or a reset.
    func serverClosed() throws -> Bool {
        guard pending.isEmpty else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            pending.append(contentsOf: buffer[0..<count])
            return false
        }
        if count == 0 || errno == ECONNRESET { return true }
        throw LoopbackError("waiting for the close: \(String(cString: strerror(errno)))")
    }

    /// Whether anything arrives within `milliseconds` (nothing read).
    func hasDataWithin(milliseconds: Int32) -> Bool {
        if !pending.isEmpty { return true }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, milliseconds) > 0
    }

    private func readHead() throws -> String {
        let terminator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = pending.indices.first(where: { pending[$0...].starts(with: terminator) }) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                return head
            }
            guard try fill() else {
                throw LoopbackError("the connection ended before a reply's head; had '\(printable(pending))'")
            }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard try fill() else { throw LoopbackError("the connection ended \(count - pending.count) bytes short") }
        }
        let bytes = Array(pending[..<count])
        pending.removeFirst(count)
        return bytes
    }

    /// Reads what has come; false at the end of the stream. A timeout or reset throws.
    private func fill() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            pending.append(contentsOf: buffer[0..<count])
            return true
        }
        if count == 0 { return false }
        let reason = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : String(cString: strerror(errno))
        throw LoopbackError("receive \(reason); had '\(printable(pending))'")
    }

    private func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(300), as: UTF8.self)
    }
}
