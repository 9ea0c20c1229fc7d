import FleetJSON
import Testing

/// Numbers as the parser reads them (an integer while it fits in Int64, else a double) and as the
/// writer prints them (an integral double as an integer, a non-finite one as null).
@Suite struct JSONNumberTests {
    @Test(arguments: [
        ("0", JSONValue.int(0)),
        ("-0", .int(0)),
        ("7", .int(7)),
        ("-42", .int(-42)),
        ("9223372036854775807", .int(.max)),
        ("-9223372036854775808", .int(.min)),
        // One past Int64's range: no longer an integer, but still a number.
        ("9223372036854775808", .double(0x1p63)),
        ("-9223372036854775809", .double(-0x1p63)),
        ("0.0", .double(0)),
        ("1.5", .double(1.5)),
        ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)),
        ("1E+3", .double(1000)),
        ("25e-1", .double(2.5)),
        ("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        // Too small to represent: zero, not an error.
        ("1e-400", .double(0)),
    ])
    func parses(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    /// Refused where the number starts, not where reading it stopped.
    @Test(arguments: [("1e309", 0), ("-1e309", 0), ("1.8e308", 0), ("[0, 1e99999]", 4)])
    func refusesNumbersBeyondDouble(text: String, offset: Int) {
        #expect(failure { try JSONParser.parse(text) } == ParseFailure(offset: offset, reason: "number out of range"))
    }

    @Test(arguments: [
        (JSONValue.int(0), "0"),
        (.int(.max), "9223372036854775807"),
        (.int(.min), "-9223372036854775808"),
        (.int(-7), "-7"),
        (.double(5.0), "5"),
        (.double(-0.0), "0"),
        (.double(0.5), "0.5"),
        (.double(-1.25), "-1.25"),
        (.double(999_999_999_999_999), "999999999999999"),
        // From 1e15 on, integral doubles keep Swift's own notation.
        (.double(1e15), "1000000000000000.0"),
        (.double(1e16), "1e+16"),
        (.double(1e300), "1e+300"),
        (.double(.infinity), "null"),
        (.double(-.infinity), "null"),
        (.double(.nan), "null"),
    ])
    func writes(value: JSONValue, expected: String) {
        #expect(value.serializedString == expected)
    }

    /// Every finite double the writer prints reads back as the same number.
    @Test(arguments: [0.1, 1.0 / 3, 123_456.789, 1e15, 2.5e-300, -.leastNonzeroMagnitude, .greatestFiniteMagnitude])
    func finiteDoublesRoundTrip(number: Double) throws {
        let parsed = try JSONParser.parse(JSONValue.double(number).serializedString)
        #expect(parsed.doubleValue == number)
    }

    @Test func intValueAcceptsOnlyIntegralDoublesWellInsideInt64() {
        #expect(JSONValue.double(5.0).intValue == 5)
        #expect(JSONValue.double(-8_999_999_999_999_999).intValue == -8_999_999_999_999_999)
        #expect(JSONValue.double(5.5).intValue == nil)
        #expect(JSONValue.double(9.0e15).intValue == nil)
        #expect(JSONValue.double(.infinity).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.string("5").intValue == nil)
        #expect(JSONValue.int(3).doubleValue == 3)
        #expect(JSONValue.bool(true).doubleValue == nil)
    }
}
