/// A request as the transport received it: nothing decoded beyond HTTP framing.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The raw request target: path and query, still percent-encoded.
    public let target: String
    /// Header names as sent; look them up with `header(_:)`, which ignores case.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Send the reply this much later, without holding up other requests.
    public var delayMilliseconds: Int64
    /// Close the connection instead of replying (after the delay, if any).
    public var dropConnection: Bool
    /// When set, the body, called on the loop when the reply is sent (it was rendered elsewhere
    /// while the reply was held); `body` is then unused.
    public var lateBody: (@Sendable () -> [UInt8])?
    /// For a held reply: which writes it reports (see `HTTPServer.holdRepliesUntilPassEnd`).
    public var commitGroup: String?

    public init(
        status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], delayMilliseconds: Int64 = 0,
        dropConnection: Bool = false, lateBody: (@Sendable () -> [UInt8])? = nil, commitGroup: String? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
        self.dropConnection = dropConnection
        self.lateBody = lateBody
        self.commitGroup = commitGroup
    }
}

/// Writes of a pass that were not kept: their commit groups, and the reply each of their held replies becomes.
public struct LostCommitGroups: Sendable {
    public let groups: Set<String>
    public let reply: HTTPResponse

    public init(groups: Set<String>, reply: HTTPResponse) {
        self.groups = groups
        self.reply = reply
    }
}
