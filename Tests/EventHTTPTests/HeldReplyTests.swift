import EventHTTP
import Glibc
import Testing

/// Group commit's transport side: replies held until the end of the loop pass, then sent as they
/// are or, for the commit groups whose writes were lost, replaced.
@Suite struct HeldReplyTests {
    /// What the loop did, in order: requests handled and passes ended.
    private final class PassLog: Sendable {
        let events = Shared<[String]>([])
        /// Whether the request being handled asked its reply to be held (as uncommitted writes do).
        let holdsCurrentReply = Shared(false)
        /// Client sockets the pass end looks at: a reply already sent is waiting there to be read.
        let watchedClients = Shared<[Int32]>([])

        func record(_ event: String) { events.update { $0.append(event) } }

        /// How many watched clients have bytes to read. Over loopback a reply sent is in its
        /// client's socket as soon as the server's write returns.
        func clientsWithAReply() -> Int {
            var byte: UInt8 = 0
            return watchedClients.current.filter { recv($0, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0 }.count
        }
    }

    /// A server that holds the reply of each request sent with `X-Hold: yes`, answers with the
    /// request's target as its body and the commit group named by `X-Group`, and treats the
    /// writes of the groups in `lostGroups` as lost.
    private func holdingServer(log: PassLog, lostGroups: Set<String> = []) throws -> LoopbackServer {
        try LoopbackServer(
            handler: { request, _ in
                log.record("handled \(request.target)")
                log.holdsCurrentReply.update { $0 = request.header("X-Hold") == "yes" }
                return HTTPResponse(
                    status: 200, body: Array(request.target.utf8), commitGroup: request.header("X-Group"))
            },
            configure: { server in
                server.holdRepliesUntilPassEnd(while: { log.holdsCurrentReply.current }) {
                    log.record("pass ended with \(log.clientsWithAReply()) replies sent")
                    guard !lostGroups.isEmpty else { return nil }
                    return LostCommitGroups(
                        groups: lostGroups, reply: HTTPResponse(status: 503, body: Array("lost".utf8)))
                }
            })
    }

    private func request(_ target: String, hold: Bool, group: String? = nil) -> String {
        "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hold: \(hold ? "yes" : "no")\r\n"
            + (group.map { "X-Group: \($0)\r\n" } ?? "") + "\r\n"
    }

    @Test func aReplyNotHeldIsSentWithoutAPassEnd() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log)
        try loop.start()
        let client = try LoopbackClient(port: loop.port)
        try client.send(request("/free", hold: false))
        #expect(try client.readReply().bodyText == "/free")
        #expect(log.events.current == ["handled /free"])
        try loop.stop()
    }

    @Test func aHeldReplyIsSentAfterThePassEnds() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log)
        try loop.start()
        let client = try LoopbackClient(port: loop.port)
        log.watchedClients.update { $0 = [client.fd] }
        try client.send(request("/held", hold: true))
        // Read only once the pass has ended, so the pass end sees whatever was sent before it.
        #expect(waitUntil { log.events.current.count == 2 })
        let reply = try client.readReply()
        #expect(reply.status == 200 && reply.bodyText == "/held")
        #expect(log.events.current == ["handled /held", "pass ended with 0 replies sent"])
        try loop.stop()
    }

    /// Requests read in the same pass share one pass end: connections made and sent before the
    /// loop starts are all readable at its first look.
    @Test func requestsReadInOnePassShareOnePassEnd() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log)
        let clients = try (0..<3).map { _ in try LoopbackClient(port: loop.port) }
        log.watchedClients.update { $0 = clients.map(\.fd) }
        for (index, client) in clients.enumerated() { try client.send(request("/\(index)", hold: true)) }
        try loop.start()
        #expect(waitUntil { log.events.current.contains { $0.hasPrefix("pass ended") } })
        for (index, client) in clients.enumerated() { #expect(try client.readReply().bodyText == "/\(index)") }
        let events = log.events.current
        #expect(events.count == 4)
        #expect(events.last == "pass ended with 0 replies sent")
        #expect(Set(events.dropLast()) == ["handled /0", "handled /1", "handled /2"])
        try loop.stop()
    }

    /// Only the replies of a lost group are replaced; those of another group, or of none, go as
    /// they are.
    @Test func aLostGroupsRepliesAreReplaced() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log, lostGroups: ["orders"])
        try loop.start()
        let client = try LoopbackClient(port: loop.port)
        try client.send(request("/lost", hold: true, group: "orders"))
        let lost = try client.readReply()
        #expect(lost.status == 503 && lost.bodyText == "lost")
        try client.send(request("/other-group", hold: true, group: "hosts"))
        #expect(try client.readReply().bodyText == "/other-group")
        try client.send(request("/no-group", hold: true))
        #expect(try client.readReply().bodyText == "/no-group")
        try loop.stop()
    }

    /// A held reply that had to close its connection (a HEAD request's unread body) still closes
    /// it when replaced.
    @Test func aReplacedReplyKeepsTheConnectionClose() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log, lostGroups: ["orders"])
        try loop.start()
        let client = try LoopbackClient(port: loop.port)
        try client.send(
            "HEAD /lost HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hold: yes\r\nX-Group: orders\r\nContent-Length: 3\r\n\r\nabc")
        let reply = try client.readReply(toMethod: "HEAD")
        #expect(reply.status == 503)
        #expect(reply.closesConnection)
        #expect(try client.serverClosed())
        try loop.stop()
    }

    /// Work outside a request (a timer's writes) asks for a pass end itself; asking twice in one
    /// pass ends it once.
    @Test func endPassSoonEndsThePassOnceOutsideARequest() throws {
        let log = PassLog()
        let loop = try holdingServer(log: log)
        loop.server.setTimer(afterMilliseconds: 0) { [unowned server = loop.server] in
            log.record("timer")
            server.endPassSoon()
            server.endPassSoon()
            // A later timer, which would come after a second pass end had there been one.
            server.setTimer(afterMilliseconds: 20) {
                log.record("later timer")
                server.shutdown(drainMilliseconds: 0)
            }
        }
        try loop.start()
        try loop.waitForRunToReturn()
        #expect(log.events.current == ["timer", "pass ended with 0 replies sent", "later timer"])
    }
}
