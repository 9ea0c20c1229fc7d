import FleetJSON
import Testing

/// What `JSONParser` says when it refuses a document: the reason and the byte where reading
/// stopped, which the API passes on to clients in its 400 replies.
@Suite struct JSONParseErrorTests {
    private func parseError(_ bytes: [UInt8]) -> ParseFailure? {
        failure { try JSONParser.parse(bytes) }
    }

    private func parseError(_ text: String) -> ParseFailure? {
        parseError(Array(text.utf8))
    }

    @Test(arguments: [
        ("", 0, "unexpected end of JSON"),
        ("   ", 3, "unexpected end of JSON"),
        ("[1,", 3, "unexpected end of JSON"),
        ("[1", 2, "unexpected end of JSON"),
        (#"{"a":1"#, 6, "unexpected end of JSON"),
        ("x", 0, "unexpected character"),
        ("+1", 0, "unexpected character"),
        (".5", 0, "unexpected character"),
        ("[1,]", 3, "unexpected character"),
        ("True", 0, "unexpected character"),
        ("nul", 3, "invalid literal"),
        ("[trux]", 4, "invalid literal"),
        ("[1 2]", 3, "expected ',' or ']'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        ("{1:2}", 1, "expected a string key"),
        (#"{"a":1,}"#, 7, "expected a string key"),
        ("{} x", 3, "unexpected data after the JSON value"),
        ("00", 1, "unexpected data after the JSON value"),
        ("-01", 2, "unexpected data after the JSON value"),
        (#""abc"#, 4, "unterminated string"),
        (#""a\"#, 3, "unterminated escape"),
        (#""a\x""#, 4, "invalid escape"),
        (#""\u12G4""#, 5, #"invalid \u escape"#),
        (#""\u12""#, 3, #"invalid \u escape"#),
        (#""\udc00""#, 7, #"unpaired surrogate in \u escape"#),
        (#""\ud800""#, 7, #"unpaired surrogate in \u escape"#),
        (#""\ud800\u0041""#, 13, #"unpaired surrogate in \u escape"#),
        ("\"a\tb\"", 2, "control character in string"),
        ("-", 1, "invalid number"),
        ("1.", 2, "invalid number"),
        ("1.e5", 2, "invalid number"),
        ("1e", 2, "invalid number"),
        ("1e+", 3, "invalid number"),
        ("[1e999]", 1, "number out of range"),
        ("-1E400", 0, "number out of range"),
    ])
    func reportsTheReasonAndTheByteWhereReadingStopped(text: String, offset: Int, reason: String) {
        let error = parseError(text)
        #expect(error == ParseFailure(offset: offset, reason: reason), "\(text.debugDescription)")
    }

    @Test func describesTheReasonWithItsByte() {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse("[1 2]") }
        #expect(error?.description == "expected ',' or ']' at byte 3")
    }

    /// Strings must be UTF-8, checked on both of the parser's paths: the one for strings with no
    /// escape, and the one that builds the string byte by byte after an escape.
    @Test(
        arguments: [
            [0xFF],  // never in UTF-8
            [0xC3],  // a lead byte with nothing after it
            [0x80],  // a continuation byte with no lead
            [0xC0, 0x80],  // an overlong NUL
            [0xED, 0xA0, 0x80],  // a UTF-16 surrogate encoded as UTF-8
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        ] as [[UInt8]])
    func refusesStringsThatAreNotUTF8(invalid: [UInt8]) {
        let plain = [0x22, 0x61] + invalid + [0x22]
        #expect(parseError(plain) == ParseFailure(offset: plain.count - 1, reason: "string is not valid UTF-8"))
        let escaped = [0x22, 0x5C, 0x6E] + invalid + [0x22]
        #expect(parseError(escaped) == ParseFailure(offset: escaped.count, reason: "string is not valid UTF-8"))
    }

    @Test func acceptsUTF8OfEveryLength() throws {
        let text = "é€😀\u{10FFFF}"
        #expect(try JSONParser.parse(Array("\"\(text)\"".utf8)) == .string(text))
        #expect(try JSONParser.parse(Array("\"\\n\(text)\"".utf8)) == .string("\n" + text))
    }

    @Test func readsEveryEscape() throws {
        let value = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0000\u00E9\uD83D\uDE00\u007f""#)
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\t\u{00}é😀\u{7F}"))
    }

    /// Only RFC 8259's four whitespace bytes may surround values.
    @Test func acceptsOnlyJSONWhitespace() throws {
        #expect(try JSONParser.parse(" \t\r\n[ 1 ,\n2 ]\r\n ") == .array([.int(1), .int(2)]))
        #expect(parseError("\u{0C}1") == ParseFailure(offset: 0, reason: "unexpected character"))
        #expect(parseError("1\u{0B}") == ParseFailure(offset: 1, reason: "unexpected data after the JSON value"))
    }

    @Test func aRepeatedMemberKeepsItsLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"":2,"a":3}"#) == .object(["a": .int(3), "": .int(2)]))
    }

    @Test func parseStringObjectReportsWhereItStopped() {
        func error(_ text: String) -> ParseFailure? {
            failure { try JSONParser.parseStringObject(Array(text.utf8)) }
        }
        #expect(error(#"{"a":1}"#) == ParseFailure(offset: 5, reason: "expected a string"))
        #expect(error(#"["a"]"#) == ParseFailure(offset: 0, reason: "unexpected character"))
        #expect(error(#" {"a":"b"} x"#) == ParseFailure(offset: 11, reason: "unexpected data after the JSON value"))
    }
}

/// The nesting limit counts values, not brackets: the top-level value is at depth 0, and nothing
/// may sit at depth `maximumDepth`.
@Suite struct JSONNestingLimitTests {
    private func nestedArrays(_ count: Int, around inner: String = "") -> String {
        String(repeating: "[", count: count) + inner + String(repeating: "]", count: count)
    }

    @Test func containersUpToTheLimitParse() throws {
        let limit = JSONParser.maximumDepth
        #expect(limit == 64)
        var value = try JSONParser.parse(nestedArrays(limit))
        var depth = 1
        while case .array(let items) = value, let first = items.first {
            value = first
            depth += 1
        }
        #expect(depth == limit)
        #expect(try JSONParser.parse(nestedArrays(limit - 1, around: "1")) != .null)
    }

    private static let tooDeep = "JSON nested deeper than 64 levels"

    @Test func aValueAtTheLimitIsRefusedWhereItStarts() {
        let limit = JSONParser.maximumDepth
        let expected = ParseFailure(offset: limit, reason: Self.tooDeep)
        #expect(failure { try JSONParser.parse(nestedArrays(limit + 1)) } == expected)
        #expect(failure { try JSONParser.parse(nestedArrays(limit, around: "1")) } == expected)
        let objects = String(repeating: #"{"a":"#, count: limit) + "1" + String(repeating: "}", count: limit)
        #expect(failure { try JSONParser.parse(objects) } == ParseFailure(offset: 5 * limit, reason: Self.tooDeep))
    }

    /// Far deeper input fails on the limit, not on the stack.
    @Test func hostileDepthIsRefusedAtTheLimit() {
        let text = nestedArrays(1_000_000)
        let expected = ParseFailure(offset: JSONParser.maximumDepth, reason: Self.tooDeep)
        #expect(failure { try JSONParser.parse(text) } == expected)
    }
}
