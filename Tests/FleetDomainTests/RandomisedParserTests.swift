import FleetDomain
import FleetJSON
import Testing

/// Seeded randomised runs over the two parsers that read untrusted text: the Datadog query parser
/// and the JSON parser. Every input either parses or fails with a typed error; nothing traps.
@Suite struct RandomisedParserTests {
    @Test func theQueryParserAcceptsOrRejectsEveryInputCleanly() {
        var random = SeededRandom(seed: 20_261_123)
        let pieces = [
            "env", ":", "prod", "service", "web-*", "*", "?", "(", ")", " ", "AND", "OR", "NOT", "-", "\"",
            "\\", "é", "中", "\u{0}", "host:", "a:b:c", "  ", "((", "))",
        ]
        var parsed = 0
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<Int(random.next() % 16) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
            do {
                let query = try HostQuery.parse(text)
                parsed += 1
                // A parsed query can always be evaluated.
                _ = query.matches(name: "web-1", fields: [Tag(key: "env", value: "prod")])
            } catch {
                guard case .invalidQuery(_, let position, let reason) = error else {
                    Issue.record("unexpected error \(error) for \(text.debugDescription)")
                    continue
                }
                #expect(position >= 1 && position <= text.count + 1, "\(text.debugDescription): \(reason)")
            }
        }
        #expect(parsed > 1_000)  // the run explores valid queries too, not only garbage
    }

    @Test func theJSONParserRejectsMutatedDocumentsWithATypedError() {
        let seed = Array(
            #"{"data": {"type": "schedule", "attributes": {"name": "n", "list": [1, 2.5, -3e2, true, null, "x\u00e9"]}}}"#
                .utf8)
        let alphabet: [UInt8] = Array("{}[]\":,0-.eE\\ntu\u{7f}".utf8) + [0x00, 0xFF, 0xC3, 0x80]
        for document in mutations(of: seed, alphabet: alphabet, count: 20_000, editBound: 5, randomSeed: 7) {
            do {
                let value = try JSONParser.parse(document)
                // Whatever parses serialises to text that parses back to the same value.
                let again = try JSONParser.parse(value.serialized)
                #expect(again.serialized == value.serialized, "\(value.serializedString) -> \(again.serializedString)")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func randomValuesRoundTripThroughTheWriterAndParser() throws {
        var random = SeededRandom(seed: 99)
        func value(depth: Int) -> JSONValue {
            switch random.next() % (depth > 3 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(random.next() % 2 == 0)
            case 2: return .int(Int64(bitPattern: random.next()) >> Int64(random.next() % 60))
            case 3: return .double(Double(Int64(bitPattern: random.next() >> 20)) / 1024)
            case 4:
                let scalars = (0..<(random.next() % 8)).map { _ in
                    Character(Unicode.Scalar(UInt32(random.next() % 0xD000))!)
                }
                return .string(String(scalars))
            case 5: return .array((0..<(random.next() % 4)).map { _ in value(depth: depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for index in 0..<(random.next() % 4) { members["k\(index)"] = value(depth: depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<5_000 {
            let original = value(depth: 0)
            let parsed = try JSONParser.parse(original.serialized)
            // Integral doubles may come back as integers; compare through their text.
            #expect(parsed.serialized == original.serialized)
        }
    }
}
