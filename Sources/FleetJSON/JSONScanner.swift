/// Reads one JSON document piece by piece, in document order, with no `JSONValue` tree of the
/// whole: a 100,000-host fleet.json as a tree was 45 MB of text turned into millions of small
/// allocations, read once into hosts and freed. Every value read or skipped is checked as strictly
/// as `JSONParser.parse` checks it, nesting limit included.
///
/// Containers are walked with `enterObject`/`key`/`nextMember` and `enterArray`/`nextElement`:
///
///     if try scanner.enterObject() {
///         repeat {
///             let name = try scanner.key()
///             ... read or skip the member's value ...
///         } while try scanner.nextMember()
///     }
public struct JSONScanner {
    /// What kind of value starts at the current position.
    public enum Kind: Equatable, Sendable {
        case object, array, string, number, boolean, null

        /// As in `JSONValue.typeName`, for the same error messages.
        public var typeName: String {
            switch self {
            case .null: return "null"
            case .boolean: return "a boolean"
            case .number: return "a number"
            case .string: return "a string"
            case .array: return "an array"
            case .object: return "an object"
            }
        }
    }

    private var parser: JSONParser
    /// Containers entered and not yet closed: a value read here is that deep for the nesting limit.
    private var depth: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes, at: 0, depth: 0)
    }

    /// A scanner over the same bytes (shared, not copied) from `offset`, where a value `depth`
    /// containers deep starts: one located earlier with `skip()`.
    public init(_ bytes: [UInt8], at offset: Int, depth: Int) {
        parser = JSONParser(bytes: bytes)
        parser.index = offset
        self.depth = depth
        parser.skipWhitespace()
    }

    /// The byte offset of the next thing to read.
    public var offset: Int { parser.index }

    /// Nesting depth of the current position (0: the document's top level).
    public var nestingDepth: Int { depth }

    public var bytes: [UInt8] { parser.bytes }

    /// The kind of value at the current position; nil at the end or on a byte no value starts with
    /// (reading it then throws the parser's error).
    public var kind: Kind? {
        guard parser.index < parser.bytes.count else { return nil }
        switch parser.bytes[parser.index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return nil
        }
    }

    /// Enters the object starting here; true when it has a member, whose `key()` comes next.
    public mutating func enterObject() throws(JSONParseError) -> Bool {
        try enter(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), what: "expected an object")
    }

    /// Enters the array starting here; true when it has an element, which comes next.
    public mutating func enterArray() throws(JSONParseError) -> Bool {
        try enter(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), what: "expected an array")
    }

    /// A member's name and its colon; the member's value comes next.
    public mutating func key() throws(JSONParseError) -> String {
        try parser.parseMemberName()
    }

    /// After a member's value: true when another member follows, false when the object closed.
    public mutating func nextMember() throws(JSONParseError) -> Bool {
        try next(close: UInt8(ascii: "}"), what: "expected ',' or '}'")
    }

    /// After an element: true when another element follows, false when the array closed.
    public mutating func nextElement() throws(JSONParseError) -> Bool {
        try next(close: UInt8(ascii: "]"), what: "expected ',' or ']'")
    }

    public mutating func string() throws(JSONParseError) -> String {
        guard depth < JSONParser.maximumDepth else {
            throw parser.failure("JSON nested deeper than \(JSONParser.maximumDepth) levels")
        }
        let text = try parser.parseStringValue()
        parser.skipWhitespace()
        return text
    }

    /// The whole value here, as `JSONParser.parse` would give it.
    public mutating func value() throws(JSONParseError) -> JSONValue {
        let value = try parser.parseValue(depth: depth)
        parser.skipWhitespace()
        return value
    }

    /// Checks the value here and steps over it, building nothing; returns the bytes it spans.
    @discardableResult
    public mutating func skip() throws(JSONParseError) -> Range<Int> {
        let start = parser.index
        try parser.skipValue(depth: depth)
        let end = parser.index
        parser.skipWhitespace()
        return start..<end
    }

    /// Checks that nothing but whitespace is left after the document's value.
    public func finish() throws(JSONParseError) {
        guard parser.index == parser.bytes.count else { throw parser.failure("unexpected data after the JSON value") }
    }

    private mutating func enter(open: UInt8, close: UInt8, what: String) throws(JSONParseError) -> Bool {
        guard depth < JSONParser.maximumDepth else {
            throw parser.failure("JSON nested deeper than \(JSONParser.maximumDepth) levels")
        }
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == open else { throw parser.failure(what) }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == close {
            parser.index += 1
            parser.skipWhitespace()
            return false
        }
        depth += 1
        return true
    }

    private mutating func next(close: UInt8, what: String) throws(JSONParseError) -> Bool {
        guard parser.index < parser.bytes.count else { throw parser.failure("unexpected end of JSON") }
        let byte = parser.bytes[parser.index]
        guard byte == UInt8(ascii: ",") || byte == close else { throw parser.failure(what) }
        parser.index += 1
        parser.skipWhitespace()
        if byte == close { depth -= 1 }
        return byte != close
    }
}

extension JSONParser {
    /// Steps over one value, checking it as `parseValue` does but keeping nothing: a string with
    /// no escape and no byte above ASCII (nearly every one) is not made into a String.
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < Self.maximumDepth else { throw failure("JSON nested deeper than \(Self.maximumDepth) levels") }
        guard index < bytes.count else { throw failure("unexpected end of JSON") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try readContainer(close: UInt8(ascii: "}")) {
                (parser) throws(JSONParseError) in
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "\"") else {
                    throw parser.failure("expected a string key")
                }
                try parser.skipString()
                try parser.skipColon()
                try parser.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try readContainer(close: UInt8(ascii: "]")) {
                (parser) throws(JSONParseError) in try parser.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    /// A string made only of printable ASCII without escapes is checked by looking; anything else
    /// is read by `parseString`, which knows every rule.
    private mutating func skipString() throws(JSONParseError) {
        let start = index
        var position = index + 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                index = position + 1
                return
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            position += 1
        }
        index = start
        _ = try parseString()
    }
}
