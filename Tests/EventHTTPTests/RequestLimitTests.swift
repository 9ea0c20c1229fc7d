import EventHTTP
import Glibc
import Testing

/// libevent's own limits on a request, set by the server well above the API's: a request past
/// them is refused by libevent and never reaches the handler.
@Suite struct RequestLimitTests {
    /// A server whose handler counts the requests that reach it.
    private func countingServer() throws -> (LoopbackServer, Shared<Int>) {
        let handled = Shared(0)
        let loop = try LoopbackServer.running { _, _ in
            handled.update { $0 += 1 }
            return HTTPResponse(status: 200)
        }
        return (loop, handled)
    }

    @Test func aBodyOfTheMaximumSizeIsRead() throws {
        let sizes = Shared<[Int]>([])
        let loop = try LoopbackServer.running { request, _ in
            sizes.update { $0.append(request.body.count) }
            return HTTPResponse(status: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        let size = HTTPServer.maximumBodySize
        try client.send(
            Array("POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\n\r\n".utf8)
                + [UInt8](repeating: 0x61, count: size))
        #expect(try client.readReply().status == 200)
        try loop.stop()
        #expect(sizes.current == [size])
    }

    /// Refused on its declared length, before any of it is sent.
    @Test func aDeclaredBodyOverTheMaximumIsRefused() throws {
        let (loop, handled) = try countingServer()
        let client = try LoopbackClient(port: loop.port)
        try client.send(
            "POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(HTTPServer.maximumBodySize + 1)\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.status == 413)
        #expect(try client.serverClosed())
        try loop.stop()
        #expect(handled.current == 0)
    }

    /// A chunked body is refused at the first chunk that would take it over the maximum.
    @Test func aChunkedBodyGrowingOverTheMaximumIsRefused() throws {
        let (loop, handled) = try countingServer()
        let client = try LoopbackClient(port: loop.port)
        let firstChunk = 16
        let secondChunk = HTTPServer.maximumBodySize - firstChunk + 1
        try client.send(
            "POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(firstChunk, radix: 16) + "\r\n" + String(repeating: "a", count: firstChunk) + "\r\n"
                + String(secondChunk, radix: 16) + "\r\n")
        let reply = try client.readReply()
        #expect(reply.status == 413)
        #expect(try client.serverClosed())
        try loop.stop()
        #expect(handled.current == 0)
    }

    /// Refused as a bad request (libevent 2.1 treats headers too long as invalid ones), before the
    /// handler sees it.
    @Test func headersOverTheMaximumAreRefused() throws {
        let (loop, handled) = try countingServer()
        let client = try LoopbackClient(port: loop.port)
        let header = "X-Large: " + String(repeating: "h", count: HTTPServer.maximumHeadersSize) + "\r\n"
        // The server may stop reading (and close) before the last bytes go out: a failed send is
        // not this test's business, the reply is.
        try? client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\n")
        let reply = try client.readReply()
        #expect(reply.status == 400)
        try loop.stop()
        #expect(handled.current == 0)
    }
}
