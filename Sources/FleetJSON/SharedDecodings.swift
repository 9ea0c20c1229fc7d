import Glibc

/// The text of one JSON value, compared and hashed as bytes: the key under which a reader of a
/// large document shares one decoded value among identical texts (a fleet's hosts repeat the same
/// tags, packages and configuration files thousands of times). Inlinable, as `SharedDecodings` is:
/// called from another module unspecialised, a lookup went through run-time generic metadata and
/// cost a microsecond.
public struct JSONText: Hashable, Sendable {
    public let bytes: ArraySlice<UInt8>

    @inlinable public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    @inlinable public init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    @inlinable public static func == (lhs: JSONText, rhs: JSONText) -> Bool {
        // memcmp: a byte-by-byte comparison was a twentieth of reading 100,000 hosts.
        lhs.bytes.count == rhs.bytes.count
            && lhs.bytes.withUnsafeBytes { left in
                rhs.bytes.withUnsafeBytes { right in
                    left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
                }
            }
    }
}

/// Decoded values by the text they were decoded from: identical texts decode once and share one
/// value (one array or dictionary buffer, copied on write like any other).
public struct SharedDecodings<Value> {
    @usableFromInline var byText: [JSONText: Value] = [:]

    @inlinable public init() {}

    @inlinable public mutating func value<Failure: Error>(
        for text: JSONText, decode: () throws(Failure) -> Value
    ) throws(Failure) -> Value {
        if let known = byText[text] { return known }
        let decoded = try decode()
        byText[text] = decoded
        return decoded
    }
}
