import EventHTTP
import Glibc
import Testing

/// Requests in and replies out over real loopback sockets: what the handler sees of a request,
/// and how the server frames what it answers.
@Suite struct HTTPExchangeTests {
    @Test func methodTargetHeadersAndBodyReachTheHandler() throws {
        let seen = Shared<[HTTPRequest]>([])
        let loop = try LoopbackServer.running { request, _ in
            seen.update { $0.append(request) }
            return HTTPResponse(status: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        let body = #"{"name":"é"}"#
        try client.send(
            "POST /api/v1/things?filter=a%20b&x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Custom-Name: Value With Spaces\r\n"
                + "x-repeated: one\r\nX-Repeated: two\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readReply().status == 200)
        try loop.stop()
        let request = try #require(seen.current.first)
        #expect(request.method == "POST")
        #expect(request.target == "/api/v1/things?filter=a%20b&x=1")
        #expect(request.body == Array(body.utf8))
        // Names as sent; the lookup ignores case and finds the first of repeated headers.
        #expect(request.headers.contains { $0.name == "X-Custom-Name" && $0.value == "Value With Spaces" })
        #expect(request.header("x-custom-name") == "Value With Spaces")
        #expect(request.headers.filter { $0.name.lowercased() == "x-repeated" }.map(\.value) == ["one", "two"])
        #expect(request.header("X-REPEATED") == "one")
        #expect(request.header("Missing") == nil)
    }

    @Test func statusHeadersAndBodyArriveAsTheHandlerGaveThem() throws {
        let loop = try LoopbackServer.running { request, _ in
            if request.target == "/plain" {
                return HTTPResponse(
                    status: 201, headers: [("X-Reply", "yes"), ("Content-Type", "text/plain")],
                    body: Array("created".utf8))
            }
            return HTTPResponse(status: 404, body: Array(#"{"errors":["not found"]}"#.utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let created = try client.readReply()
        #expect(created.status == 201)
        #expect(created.values("X-Reply") == ["yes"])
        #expect(created.values("Content-Type") == ["text/plain"])
        #expect(created.values("Content-Length") == ["7"])
        #expect(created.bodyText == "created")
        try client.send("GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let missing = try client.readReply()
        #expect(missing.status == 404)
        #expect(missing.values("Content-Length") == ["24"])
        #expect(missing.bodyText == #"{"errors":["not found"]}"#)
        try loop.stop()
    }

    /// A reply that names no type gets the server's default, application/json, every time:
    /// `evhttp_set_default_content_type` keeps the pointer it is given, and a `String` bridged to
    /// `const char *` lived only for the call (replies then said an empty type, or the text of an
    /// earlier status line).
    @Test func aReplyWithoutATypeGetsTheDefaultType() throws {
        let loop = try LoopbackServer.running { _, _ in HTTPResponse(status: 200, body: Array("{}".utf8)) }
        let client = try LoopbackClient(port: loop.port)
        for _ in 0..<20 {
            try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let reply = try client.readReply()
            #expect(reply.values("Content-Type") == ["application/json"])
        }
        try loop.stop()
    }

    @Test func aKeptAliveConnectionCarriesOneRequestAfterAnother() throws {
        let targets = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            targets.update { $0.append(request.target) }
            return HTTPResponse(status: 200, body: Array(request.target.utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        for target in ["/first", "/second"] {
            try client.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let reply = try client.readReply()
            #expect(reply.bodyText == target)
            #expect(!reply.closesConnection)
        }
        // Pipelined: both requests sent at once, answered in order.
        try client.send("GET /third HTTP/1.1\r\nHost: a\r\n\r\nGET /fourth HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readReply().bodyText == "/third")
        #expect(try client.readReply().bodyText == "/fourth")
        try loop.stop()
        #expect(targets.current == ["/first", "/second", "/third", "/fourth"])
    }

    @Test func aClientAskingToCloseIsAnsweredThenClosed() throws {
        let loop = try LoopbackServer.running()
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(try client.readReply().status == 200)
        #expect(try client.serverClosed())
        try loop.stop()
    }

    /// A HEAD reply announces the length the GET's body would have and sends none of it, so the
    /// next reply on the connection is read from the right byte.
    @Test func aHeadReplyHasTheLengthButNoBody() throws {
        let loop = try LoopbackServer.running { request, _ in
            HTTPResponse(status: 200, body: Array("hello".utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("HEAD /page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let head = try client.readReply(toMethod: "HEAD")
        #expect(head.status == 200)
        #expect(head.values("Content-Length") == ["5"])
        try client.send("GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readReply().bodyText == "hello")
        try loop.stop()
    }

    @Test(arguments: [204, 304])
    func aReplyThatMayHaveNoBodyHasNoLength(status: Int) throws {
        let loop = try LoopbackServer.running { request, _ in
            request.target == "/empty"
                ? HTTPResponse(status: status, body: Array("dropped".utf8)) : HTTPResponse(status: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET /empty HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.status == status)
        #expect(reply.values("Content-Length").isEmpty)
        #expect(reply.values("Transfer-Encoding").isEmpty)
        // Had the body been sent, it would be read here as the next reply's status line.
        try client.send("GET /next HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readReply().status == 200)
        try loop.stop()
    }

    /// libevent does not read the body of a HEAD request: its bytes would be read as the next
    /// request, so the server closes the connection after the reply.
    @Test func aHeadRequestWithABodyEndsItsConnection() throws {
        let seen = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            seen.update { $0.append("\(request.method) \(request.target)") }
            return HTTPResponse(status: 200, body: Array("hello".utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        let body = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        try client.send("HEAD /page HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let reply = try client.readReply(toMethod: "HEAD")
        #expect(reply.status == 200)
        #expect(reply.closesConnection)
        #expect(try client.serverClosed())
        try loop.stop()
        #expect(seen.current == ["HEAD /page"])
    }

    @Test func aChunkedRequestBodyArrivesWhole() throws {
        let bodies = Shared<[[UInt8]]>([])
        let loop = try LoopbackServer.running { request, _ in
            bodies.update { $0.append(request.body) }
            return HTTPResponse(status: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send(
            "PUT /chunks HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")
        #expect(try client.readReply().status == 200)
        try loop.stop()
        #expect(bodies.current == [Array("abcdefg".utf8)])
    }

    /// The server frames every reply itself: a Content-Length the handler set (here a wrong one) is
    /// replaced by the body's, never sent beside it.
    @Test func aHandlersContentLengthIsNeverSentBesideTheRealOne() throws {
        let loop = try LoopbackServer.running { _, _ in
            HTTPResponse(status: 200, headers: [("content-length", "99")], body: Array("ok".utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.values("Content-Length") == ["2"])
        #expect(reply.bodyText == "ok")
        try loop.stop()
    }

    /// A chunked body with no chunk is read like any other: the connection stays open for the next
    /// request (it was closed, as if the body had been left unread).
    @Test func anEmptyChunkedBodyKeepsTheConnection() throws {
        let seen = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            seen.update { $0.append("\(request.method) \(request.target) \(request.body.count)") }
            return HTTPResponse(status: 200, body: Array("ok".utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        for method in ["POST", "GET", "DELETE"] {
            try client.send(
                "\(method) /empty HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            let reply = try client.readReply()
            #expect(reply.status == 200)
            #expect(!reply.closesConnection)
        }
        try client.send("GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readReply().status == 200)
        try loop.stop()
        #expect(seen.current == ["POST /empty 0", "GET /empty 0", "DELETE /empty 0", "GET /after 0"])
    }

    /// A megabyte each way: the request body read whole, and a reply body big enough to be lent
    /// to libevent rather than copied (from 256 KB) arriving intact.
    @Test func largeBodiesArriveIntact() throws {
        let size = 1 << 20
        let pattern = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let received = Shared<[UInt8]>([])
        let loop = try LoopbackServer.running { request, _ in
            received.update { $0 = request.body }
            return HTTPResponse(status: 200, body: request.body.reversed())
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send(
            Array("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\n\r\n".utf8) + pattern)
        let reply = try client.readReply()
        #expect(reply.body == pattern.reversed())
        try loop.stop()
        #expect(received.current == pattern)
    }

    /// Every method reaches the handler, which answers unsupported ones itself: libevent would
    /// answer PATCH, OPTIONS or a method it does not know with its own HTML page.
    @Test(arguments: ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
    func everyMethodReachesTheHandler(method: String) throws {
        let methods = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            methods.update { $0.append(request.method) }
            return HTTPResponse(status: 405, body: Array(#"{"errors":["method"]}"#.utf8))
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("\(method) /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.status == 405)
        #expect(reply.bodyText == #"{"errors":["method"]}"#)
        try loop.stop()
        #expect(methods.current == [method])
    }

    /// A method libevent has no name for reaches the handler too, named UNKNOWN.
    @Test func anUnknownMethodReachesTheHandlerAsUnknown() throws {
        let methods = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            methods.update { $0.append(request.method) }
            return HTTPResponse(status: 405)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("PROPFIND /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readReply().status == 405)
        try loop.stop()
        #expect(methods.current == ["UNKNOWN"])
    }

    /// `dropConnection` closes instead of replying: the client reads no byte of a reply.
    @Test func aDroppedConnectionGetsNoReply() throws {
        let loop = try LoopbackServer.running { request, _ in
            HTTPResponse(status: 200, body: Array("never".utf8), dropConnection: true)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readToEnd().isEmpty)
        try loop.stop()
    }

    /// A late body is made on the loop when the reply goes out; `body` is then unused.
    @Test func aLateBodyIsMadeWhenTheReplyIsSent() throws {
        let events = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            events.update { $0.append("handled") }
            return HTTPResponse(
                status: 200, body: Array("unused".utf8),
                lateBody: {
                    events.update { $0.append("late body") }
                    return Array("late".utf8)
                })
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.bodyText == "late")
        #expect(reply.values("Content-Length") == ["4"])
        try loop.stop()
        #expect(events.current == ["handled", "late body"])
    }

    @Test func handlersRunOnTheLoopThread() throws {
        let threads = Shared<[pthread_t]>([])
        let loop = try LoopbackServer.running { request, _ in
            threads.update { $0.append(pthread_self()) }
            return HTTPResponse(status: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = try client.readReply()
        try loop.stop()
        #expect(threads.current.count == 1)
        #expect(threads.current.allSatisfy(loop.isLoopThread))
    }
}
