/// A request as the API sees it, independent of any transport.
public struct APIRequest: Sendable {
    public let method: String
    /// Path and query, percent-encoded as received.
    public let target: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, ignoring case (HTTP header names are case-insensitive).
    public func header(_ name: String) -> String? {
        for header in headers where ASCII.equalIgnoringCase(header.name, name) { return header.value }
        return nil
    }
}

public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The operation the request was routed to, for logs and the journal; nil when none matched.
    public var operation: String?
    /// Set by a fault: answer this much later, or close the connection instead of answering.
    public var delayMilliseconds: Int64 = 0
    public var dropConnection = false
    /// When set, the body is this, rendered later (`body` is then empty).
    public var deferredBody: DeferredBody?
    /// The writes whose fate the reply shares (nil when it reports none of the pass's writes): an org
    /// and the commit its writes await (`StoreWriter.commitGroup`). If they are lost, the reply fails
    /// with them; other groups' failures leave it as it is.
    public var commitGroup: String?
    /// The org the request ran in, for the request log; nil on the control surface.
    public var org: String?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ body: [UInt8]) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    public func header(_ name: String) -> String? {
        headers.first { ASCII.equalIgnoringCase($0.name, name) }?.value
    }

    /// The body, deferred or not.
    public var bodyBytes: [UInt8] { deferredBody?.bytes ?? body }

    public var bodyText: String { String(decoding: bodyBytes, as: UTF8.self) }
}

enum ASCII {
    /// Equal but for the case of ASCII letters: how HTTP compares header names. Allocates nothing,
    /// unlike comparing `lowercased()` copies (a request looks up five headers).
    static func equalIgnoringCase(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { a in
            right.withUTF8 { b in
                guard a.count == b.count else { return false }
                for index in 0..<a.count where a[index] != b[index] {
                    // Setting bit 5 folds A-Z onto a-z; only letters may differ in it.
                    let folded = a[index] | 0x20
                    guard folded == b[index] | 0x20, folded >= UInt8(ascii: "a"), folded <= UInt8(ascii: "z") else {
                        return false
                    }
                }
                return true
            }
        }
    }
}
