import FleetJSON
import Testing

/// The accessors the API decodes request bodies with: each answers for its own kind only.
@Suite struct JSONValueTests {
    static let everyKind: [JSONValue] = [
        .null, .bool(true), .int(1), .double(1.5), .string("s"), .array([.int(1)]), .object(["k": .int(1)]),
    ]

    @Test func eachAccessorAnswersForItsOwnKindOnly() {
        let answers = Self.everyKind.map { value in
            [
                value.stringValue != nil, value.boolValue != nil, value.intValue != nil, value.doubleValue != nil,
                value.arrayValue != nil, value.objectValue != nil, value["k"] != nil,
            ]
        }
        #expect(
            answers == [
                [false, false, false, false, false, false, false],  // null
                [false, true, false, false, false, false, false],  // bool
                [false, false, true, true, false, false, false],  // int
                [false, false, false, true, false, false, false],  // double with a fraction
                [true, false, false, false, false, false, false],  // string
                [false, false, false, false, true, false, false],  // array
                [false, false, false, false, false, true, true],  // object
            ])
    }

    @Test func typeNamesReadInErrorMessages() {
        #expect(
            Self.everyKind.map(\.typeName) == [
                "null", "a boolean", "a number", "a number", "a string", "an array", "an object",
            ])
    }

    @Test func aMissingMemberIsNilAndANullMemberIsNull() throws {
        let value = try JSONParser.parse(#"{"present":null}"#)
        #expect(value["present"] == .null)
        #expect(value["absent"] == nil)
    }
}

/// Identical texts decode once and share the value (the fixture reader's tags and packages).
@Suite struct SharedDecodingsTests {
    @Test func textsCompareByTheirBytesWhereverTheyAreCut() {
        let document = Array(#"["env:prod","env:prod","env:dev"]"#.utf8)
        let first = JSONText(document[1..<11])
        let second = JSONText(document[12..<22])
        let third = JSONText(document[23..<32])
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != third)
        #expect(JSONText(Array(#""env:prod""#.utf8)) == first)
        #expect(JSONText([]) == JSONText(document[0..<0]))
        #expect(JSONText([0x61]) != JSONText([0x61, 0x62]))
    }

    @Test func eachDistinctTextIsDecodedOnce() throws {
        var shared = SharedDecodings<JSONValue>()
        var decodings = 0
        for text in [#"["a"]"#, #"["b"]"#, #"["a"]"#, #"["a"]"#] {
            let bytes = Array(text.utf8)
            let value = try shared.value(for: JSONText(bytes)) { () throws(JSONParseError) in
                decodings += 1
                return try JSONParser.parse(bytes)
            }
            #expect(value == (try JSONParser.parse(bytes)))
        }
        #expect(decodings == 2)
    }

    /// A text that fails to decode is not remembered: the next reader decodes it again.
    @Test func aFailedDecodingIsNotKept() {
        var shared = SharedDecodings<JSONValue>()
        var decodings = 0
        let text = JSONText(Array("[1,".utf8))
        for _ in 0..<2 {
            #expect(throws: JSONParseError.self) {
                try shared.value(for: text) { () throws(JSONParseError) in
                    decodings += 1
                    return try JSONParser.parse(Array(text.bytes))
                }
            }
        }
        #expect(decodings == 2)
    }
}
