import FleetJSON
import Testing

@Suite struct JSONTests {
    @Test func parsesAndWritesEveryKind() throws {
        let text = #"{"a":[1,-2.5,true,false,null,"x\"\\\n\u00e9\ud83d\ude00"],"b":{"c":{}},"d":[]}"#
        let value = try JSONParser.parse(text)
        #expect(value["a"]?.arrayValue?.count == 6)
        #expect(value["a"]?.arrayValue?[5].stringValue == "x\"\\\né😀")
        #expect(try JSONParser.parse(value.serializedString) == value)
    }

    @Test func writerSortsKeysAndEscapesControlCharacters() {
        let value = JSONValue.object(["b": .int(1), "a": .string("\u{01}")])
        #expect(value.serializedString == #"{"a":"\u0001","b":1}"#)
    }

    /// A string handed over as bytes (a page's hostnames, copied for the writer thread) is
    /// written exactly as the same string is.
    @Test(arguments: ["", "web-prod-1", "a\"b\\c", "tab\there\nnew\u{01}", "é😀 ok", String(repeating: "x", count: 300)])
    func bytesAreWrittenAsTheirString(text: String) {
        var fromString = JSONWriter()
        fromString.beginObject()
        fromString.field("hostname", text)
        fromString.endObject()
        var fromBytes = JSONWriter()
        fromBytes.beginObject()
        Array(text.utf8).withUnsafeBufferPointer { fromBytes.field("hostname", utf8: $0) }
        fromBytes.endObject()
        #expect(fromBytes.bytes == fromString.bytes)
        #expect(
            (try? JSONParser.parse(String(decoding: fromBytes.bytes, as: UTF8.self)))?["hostname"]?.stringValue == text)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\u{01}\"", "{} x", "\"\\ud800\"", "1e999"])
    func rejectsMalformedDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesDeepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    // The examples of RFC 7396, appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, "null", "null"),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func mergePatchFollowsRFC7396(original: String, patch: String, expected: String) throws {
        let result = try JSONParser.parse(original).mergePatched(with: JSONParser.parse(patch))
        #expect(result == (try JSONParser.parse(expected)))
    }
}

/// Objects of strings read without `JSONValue`s (a changed host's stored packages): the same
/// strings `parse` gives, and the same refusals, plus anything that is not a string inside.
@Suite struct StringCollectionParsingTests {
    @Test(arguments: [#"{}"#, #"{"datadog-agent":"7.52.1"}"#, #" { "a" : "1", "b":"2\n", "a":"3" } "#])
    func anObjectOfStringsReadsAsParseReadsIt(text: String) throws {
        let expected = try JSONParser.parse(text).objectValue?.mapValues { $0.stringValue ?? "" }
        #expect(try JSONParser.parseStringObject(Array(text.utf8)) == expected)
    }

    @Test(arguments: [#"{"a":1}"#, #"{"a" "b"}"#, #"["a"]"#, #"{"a":"b""#, #"{"a":"b"},"#, #"{1:"b"}"#])
    func anythingElseIsNotAnObjectOfStrings(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parseStringObject(Array(text.utf8)) }
    }
}
