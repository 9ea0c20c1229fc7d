import FleetJSON
import Testing

/// The streaming writer: commas placed for the caller, strings escaped as RFC 8259 requires, and
/// fragments of output reused.
@Suite struct JSONWriterTests {
    private func text(_ writer: JSONWriter) -> String {
        String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func placesCommasBetweenValuesAtEveryLevel() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("id", "d1")
        writer.field("count", 3)
        writer.field("ratio", 0.5)
        writer.field("done", false)
        writer.key("hosts")
        writer.beginArray()
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.null()
        writer.int(Int64(-1))
        writer.endArray()
        writer.field("meta", JSONValue.object(["b": .bool(true), "a": .array([])]))
        writer.dynamicKey("x")
        writer.string("y")
        writer.endObject()
        let expected =
            #"{"id":"d1","count":3,"ratio":0.5,"done":false,"hosts":[{},[],null,-1],"#
            + #""meta":{"a":[],"b":true},"x":"y"}"#
        #expect(text(writer) == expected)
    }

    @Test func topLevelValuesAreSeparatedToo() {
        var writer = JSONWriter()
        writer.int(1)
        writer.bool(true)
        writer.string("s")
        #expect(text(writer) == #"1,true,"s""#)
    }

    /// Quotes, backslashes and control characters are escaped (the common ones by name); DEL, the
    /// solidus and everything above ASCII are written as they are.
    @Test func escapesWhatRFC8259Requires() throws {
        let value = JSONValue.string("q\"b\\s/n\nr\rt\tnul\u{00}esc\u{1B}us\u{1F}del\u{7F}é😀")
        #expect(value.serializedString == #""q\"b\\s/n\nr\rt\tnul\u0000esc\u001bus\u001fdel"# + "\u{7F}é😀\"")
        #expect(try JSONParser.parse(value.serialized) == value)
    }

    /// A key named in the source is copied as it is; a computed key is escaped like any string.
    @Test func computedKeysAreEscapedAndSourceKeysAreNot() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.dynamicKey("a\"b\n")
        writer.int(1)
        writer.key("plain")
        writer.int(2)
        writer.endObject()
        #expect(text(writer) == #"{"a\"b\n":1,"plain":2}"#)
    }

    @Test func joinsTwoStringsWithASeparatorEscapingEach() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.string("env", UInt8(ascii: ":"), "prod")
        writer.string("quo\"te", UInt8(ascii: ":"), "tab\t")
        writer.endArray()
        #expect(text(writer) == #"["env:prod","quo\"te:tab\t"]"#)
    }

    /// A value written once (a host's packages) is appended as a member's value by later writers,
    /// which go on after it as after any value.
    @Test func aFragmentIsAppendedAsAValue() {
        var packages = JSONWriter()
        packages.beginObject()
        packages.field("datadog-agent", "7.52.1")
        packages.endObject()
        var host = JSONWriter()
        host.beginObject()
        host.key("packages")
        host.append(fragment: packages.bytes)
        host.field("hostname", "web-1")
        host.endObject()
        #expect(text(host) == #"{"packages":{"datadog-agent":"7.52.1"},"hostname":"web-1"}"#)
    }

    /// The output since a position, cut after an earlier member, carries its own leading comma:
    /// appended at the same place in another object it repeats the same text (a host's tail).
    @Test func aFragmentCutAfterAMemberRepeatsItsComma() {
        func writeHost(_ name: String, tail: [UInt8]?, into writer: inout JSONWriter) -> [UInt8] {
            writer.beginObject()
            writer.field("hostname", name)
            if let tail {
                writer.append(fragment: tail)
                return tail
            }
            let start = writer.position
            writer.field("status", "done")
            writer.endObject()
            return writer.fragment(from: start)
        }
        var writer = JSONWriter()
        writer.beginArray()
        let tail = writeHost("web-1", tail: nil, into: &writer)
        #expect(String(decoding: tail, as: UTF8.self) == #","status":"done"}"#)
        _ = writeHost("web-2", tail: tail, into: &writer)
        writer.endArray()
        #expect(text(writer) == #"[{"hostname":"web-1","status":"done"},{"hostname":"web-2","status":"done"}]"#)
    }

    /// `unorderedValue` writes the same value as `value`, in whatever order the dictionary keeps.
    @Test func unorderedOutputReadsBackAsTheSameValue() throws {
        let value = try JSONParser.parse(#"{"z":{"y":[{"b":1,"a":2}],"x":null},"c":"d","a":[1.5,"e",{}]}"#)
        var writer = JSONWriter()
        writer.unorderedValue(value)
        #expect(try JSONParser.parse(writer.bytes) == value)
        #expect(writer.bytes.count == value.serialized.count)
        var scalar = JSONWriter()
        scalar.unorderedValue(.string("s"))
        #expect(text(scalar) == #""s""#)
    }

    @Test func appendsAStringsUTF8() {
        var bytes: [UInt8] = [0x41]
        bytes.appendUTF8(of: "é😀")
        #expect(bytes == [0x41] + Array("é😀".utf8))
        bytes.appendUTF8(of: "")
        #expect(String(decoding: bytes, as: UTF8.self) == "Aé😀")
    }
}
