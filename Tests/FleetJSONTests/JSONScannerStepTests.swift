import FleetJSON
import Testing

/// `JSONScanner` step by step: what each step reports, where it leaves the scanner, and the error
/// each step throws when the document is not what the caller expects. (Its agreement with
/// `JSONParser` over mutated documents is tested in FleetDomainTests, which has the seeded random
/// generator.)
@Suite struct JSONScannerStepTests {
    private func scanner(_ text: String) -> JSONScanner {
        JSONScanner(Array(text.utf8))
    }

    @Test(arguments: [
        ("{}", JSONScanner.Kind.object), ("[]", .array), (#""s""#, .string), ("-1", .number), ("7", .number),
        ("true", .boolean), ("false", .boolean), ("null", .null),
    ])
    func kindNamesTheValueAhead(text: String, kind: JSONScanner.Kind) throws {
        var scanner = scanner("  " + text)
        #expect(scanner.kind == kind)
        // The same type name as the value read, for the same error messages.
        #expect(kind.typeName == (try scanner.value()).typeName)
    }

    @Test(arguments: ["", "   ", "x", "+1", "}"])
    func kindIsNilWhereNoValueStarts(text: String) {
        #expect(scanner(text).kind == nil)
    }

    @Test func offsetAndDepthFollowTheWalk() throws {
        var scanner = scanner(#" { "a" : [ 1 , 2 ] } "#)
        #expect(scanner.offset == 1 && scanner.nestingDepth == 0)
        #expect(try scanner.enterObject())
        #expect(scanner.offset == 3 && scanner.nestingDepth == 1)
        #expect(try scanner.key() == "a")
        #expect(scanner.offset == 9)
        #expect(try scanner.enterArray())
        #expect(scanner.nestingDepth == 2)
        #expect(try scanner.value() == .int(1))
        #expect(try scanner.nextElement())
        #expect(try scanner.value() == .int(2))
        #expect(try !scanner.nextElement())
        #expect(scanner.nestingDepth == 1)
        #expect(try !scanner.nextMember())
        #expect(scanner.nestingDepth == 0 && scanner.offset == 21)
        try scanner.finish()
    }

    /// An empty container is entered and left in one step: no member follows, depth unchanged.
    @Test func emptyContainersAreSteppedOver() throws {
        var scanner = scanner(#"[ { } , [ ] ]"#)
        #expect(try scanner.enterArray())
        #expect(try !scanner.enterObject())
        #expect(scanner.nestingDepth == 1)
        #expect(try scanner.nextElement())
        #expect(try !scanner.enterArray())
        #expect(try !scanner.nextElement())
        #expect(scanner.nestingDepth == 0)
        try scanner.finish()
    }

    /// A scanner started at a value that `skip()` located reads it as the parser reads its text.
    @Test func aScannerResumesAtASkippedValue() throws {
        let text = #"{"hosts": [{"name": "web-1", "tags": ["env:prod"]}, {"name": "db-1"}]}"#
        var scanner = scanner(text)
        #expect(try scanner.enterObject())
        #expect(try scanner.key() == "hosts")
        #expect(try scanner.enterArray())
        let first = try scanner.skip()
        #expect(try scanner.nextElement())
        let second = try scanner.skip()
        let bytes = scanner.bytes
        for range in [first, second] {
            var resumed = JSONScanner(bytes, at: range.lowerBound, depth: 2)
            #expect(resumed.nestingDepth == 2)
            #expect(try resumed.value() == JSONParser.parse(Array(bytes[range])))
            #expect(resumed.offset >= range.upperBound)
        }
    }

    /// The depth a resumed scanner starts at counts towards the nesting limit.
    @Test func aResumedScannerKeepsTheNestingLimit() throws {
        let limit = JSONParser.maximumDepth
        let bytes = Array(#"["s"]"#.utf8)
        var shallow = JSONScanner(bytes, at: 0, depth: limit - 2)
        #expect(try shallow.enterArray())
        #expect(try shallow.string() == "s")
        let tooDeep = ParseFailure(offset: 1, reason: "JSON nested deeper than 64 levels")
        var deep = JSONScanner(bytes, at: 0, depth: limit - 1)
        #expect(try deep.enterArray())
        #expect(failure { try deep.string() } == tooDeep)
        var deepSkip = JSONScanner(bytes, at: 0, depth: limit - 1)
        #expect(try deepSkip.enterArray())
        #expect(failure { try deepSkip.skip() } == tooDeep)
        var deepValue = JSONScanner(bytes, at: 0, depth: limit - 1)
        #expect(try deepValue.enterArray())
        #expect(failure { try deepValue.value() } == tooDeep)
    }

    @Test func skipSpansTheValueWithoutWhitespace() throws {
        var scanner = scanner(#"  "a\"b"  "#)
        #expect(try scanner.skip() == 2..<8)
        #expect(scanner.offset == 10)
        try scanner.finish()
    }

    /// Each step refuses what it was not given, naming what it expected, at the byte it stopped on.
    @Test func eachStepReportsWhatItExpected() throws {
        var array = scanner(" [1]")
        #expect(failure { try array.enterObject() } == ParseFailure(offset: 1, reason: "expected an object"))
        var object = scanner("{}")
        #expect(failure { try object.enterArray() } == ParseFailure(offset: 0, reason: "expected an array"))
        var number = scanner("[1]")
        #expect(try number.enterArray())
        #expect(failure { try number.string() } == ParseFailure(offset: 1, reason: "expected a string"))
        var key = scanner("{1:2}")
        #expect(try key.enterObject())
        #expect(failure { try key.key() } == ParseFailure(offset: 1, reason: "expected a string key"))
        var colon = scanner(#"{"a" 2}"#)
        #expect(try colon.enterObject())
        #expect(failure { try colon.key() } == ParseFailure(offset: 5, reason: "expected ':'"))
        var member = scanner(#"{"a":1]"#)
        #expect(try member.enterObject())
        _ = try member.key()
        _ = try member.value()
        #expect(failure { try member.nextMember() } == ParseFailure(offset: 6, reason: "expected ',' or '}'"))
        var element = scanner("[1}")
        #expect(try element.enterArray())
        _ = try element.value()
        #expect(failure { try element.nextElement() } == ParseFailure(offset: 2, reason: "expected ',' or ']'"))
        var cut = scanner("[1 ")
        #expect(try cut.enterArray())
        _ = try cut.value()
        #expect(failure { try cut.nextElement() } == ParseFailure(offset: 3, reason: "unexpected end of JSON"))
        var afterValue = scanner("1 2")
        _ = try afterValue.value()
        let trailing = ParseFailure(offset: 2, reason: "unexpected data after the JSON value")
        #expect(failure { try afterValue.finish() } == trailing)
    }

    @Test func skipChecksStringsAsStrictlyAsParse() {
        let cases: [([UInt8], ParseFailure)] = [
            (Array(#""a\q""#.utf8), ParseFailure(offset: 4, reason: "invalid escape")),
            ([0x22, 0x61, 0xFF, 0x22], ParseFailure(offset: 3, reason: "string is not valid UTF-8")),
            ([0x22, 0x61, 0x0A, 0x22], ParseFailure(offset: 2, reason: "control character in string")),
            (Array(#""open"#.utf8), ParseFailure(offset: 5, reason: "unterminated string")),
        ]
        for (bytes, expected) in cases {
            var scanner = JSONScanner(bytes)
            #expect(failure { try scanner.skip() } == expected)
        }
    }
}
