import FleetDomain
import FleetJSON
import Glibc
import Testing

/// The scanner the fixture reader walks fleet.json with, and the reader itself against the parsed
/// document path it replaced.
@Suite struct JSONScannerTests {
    /// Reads each document with `scan` and with `JSONParser.parse`: both accept it, or both fail
    /// at the same byte. Most documents must be refused and a good share accepted, so both ways
    /// are exercised.
    private func expectScanningAgreesWithParse(
        _ documents: [[UInt8]], scan: (inout JSONScanner) throws(JSONParseError) -> Void
    ) {
        var accepted = 0
        for document in documents {
            var parseError: JSONParseError?
            do { _ = try JSONParser.parse(document) } catch { parseError = error }
            var scanError: JSONParseError?
            do {
                var scanner = JSONScanner(document)
                try scan(&scanner)
                try scanner.finish()
            } catch {
                scanError = error
            }
            #expect(
                scanError?.offset == parseError?.offset, "\(String(decoding: document, as: UTF8.self).debugDescription)"
            )
            if parseError == nil { accepted += 1 }
        }
        #expect(accepted > documents.count / 20)
    }

    /// Skipping a document accepts exactly what parsing accepts, fails at the same byte, and spans
    /// the value without the whitespace around it.
    @Test func skipAcceptsAndRefusesExactlyWhatParseDoes() {
        let seed = Array(
            #" {"a": {"b": ["x\u00e9", "é", 1, 2.5, -3e2, true, false, null, {}, []], "c\"d": "e\\f"}} "#.utf8)
        let alphabet: [UInt8] = Array("{}[]\":,0-.eE\\ntuf\u{7f}".utf8) + [0x00, 0x0A, 0xFF, 0xC3, 0x80]
        let whitespace: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
        expectScanningAgreesWithParse(
            mutations(of: seed, alphabet: alphabet, count: 20_000, editBound: 4, randomSeed: 11)
        ) {
            (scanner) throws(JSONParseError) in
            let range = try scanner.skip()
            try scanner.finish()  // only a whole document has nothing but whitespace around its value
            let bytes = scanner.bytes
            #expect(bytes[..<range.lowerBound].allSatisfy(whitespace.contains))
            #expect(bytes[range.upperBound...].allSatisfy(whitespace.contains))
            #expect(!whitespace.contains(bytes[range.lowerBound]) && !whitespace.contains(bytes[range.upperBound - 1]))
        }
    }

    /// Walking a document member by member fails where parsing it fails, at the same byte.
    @Test func walkingAcceptsAndRefusesExactlyWhatParseDoes() {
        func walk(_ scanner: inout JSONScanner) throws(JSONParseError) {
            switch scanner.kind {
            case .object:
                guard try scanner.enterObject() else { return }
                repeat {
                    _ = try scanner.key()
                    try walk(&scanner)
                } while try scanner.nextMember()
            case .array:
                guard try scanner.enterArray() else { return }
                repeat { try walk(&scanner) } while try scanner.nextElement()
            case .string: _ = try scanner.string()
            default: _ = try scanner.value()
            }
        }
        let seed = Array(#" {"a" : [ 1 , "two" , { "x" : null } ] , "b":{},"c" : [ ] } "#.utf8)
        let alphabet: [UInt8] = Array("{}[]\":, 0-.x\\n".utf8) + [0x00, 0xC3]
        expectScanningAgreesWithParse(
            mutations(of: seed, alphabet: alphabet, count: 20_000, editBound: 3, randomSeed: 12), scan: walk)
    }

    @Test func membersAndElementsReadInDocumentOrder() throws {
        var scanner = JSONScanner(Array(#" {"a": [1, "two", {"x": null}], "b": {}, "c": []} "#.utf8))
        var seen: [String] = []
        #expect(try scanner.enterObject())
        repeat {
            let name = try scanner.key()
            seen.append(name)
            if name == "a" {
                #expect(try scanner.enterArray())
                #expect(try scanner.value() == .int(1))
                #expect(try scanner.nextElement())
                #expect(try scanner.string() == "two")
                #expect(try scanner.nextElement())
                #expect(scanner.kind == .object)
                let range = try scanner.skip()
                #expect(String(decoding: scanner.bytes[range], as: UTF8.self) == #"{"x": null}"#)
                #expect(try !scanner.nextElement())
            } else {
                #expect(try scanner.value() == (name == "b" ? .object([:]) : .array([])))
            }
        } while try scanner.nextMember()
        try scanner.finish()
        #expect(seen == ["a", "b", "c"])
    }

    @Test func theNestingLimitCountsContainersEntered() throws {
        let deep = Array((String(repeating: "[", count: 70) + String(repeating: "]", count: 70)).utf8)
        var scanner = JSONScanner(deep)
        var entered = 0
        #expect(throws: JSONParseError.self) {
            while try scanner.enterArray() { entered += 1 }
        }
        #expect(entered == JSONParser.maximumDepth)
    }
}

@Suite struct FixtureReadingTests {
    let clock = SimulationClock(mode: .manual)

    private func read(_ text: String) throws(FixtureError) -> FleetSnapshot {
        try Fixture.fleet(fromJSON: Array(text.utf8), clock: clock, seed: 1)
    }

    private func parsed(_ text: String) throws(FixtureError) -> FleetSnapshot {
        guard let document = try? JSONParser.parse(text) else {
            throw FixtureError(path: "fleet", reason: "is not valid JSON")
        }
        return try Fixture.fleet(from: document, clock: clock, seed: 1)
    }

    @Test func theBundledFleetReadsTheSameFromTextAndFromItsParsedDocument() throws {
        var directory = #filePath
        for _ in 0..<3 { directory = String(directory[..<directory.lastIndex(of: "/")!]) }
        let path = directory + "/Fixtures/fleet.json"
        let text = try #require(FileReading.contents(of: path))
        #expect(try read(text) == parsed(text))
        #expect(try read(text).hosts.count > 10)
    }

    @Test func hostsWithTheSameTagsShareOneArray() throws {
        let snapshot = try read(
            """
            {"agent_versions": [], "schedules": [], "hosts": [
              {"agent_key": "k1", "hostname": "a", "tags": ["env:prod"], "packages": {"datadog-agent": "7.1.0"}},
              {"agent_key": "k2", "hostname": "b", "tags": ["env:prod"], "packages": {"datadog-agent": "7.1.0"}},
              {"agent_key": "k3", "hostname": "c", "tags": [ "env:prod"]}]}
            """)
        func storage(_ tags: [FleetDomain.Tag]) -> UnsafeRawPointer? {
            tags.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        #expect(storage(snapshot.hosts[0].tags) == storage(snapshot.hosts[1].tags))
        #expect(storage(snapshot.hosts[0].tags) != storage(snapshot.hosts[2].tags))  // other text, same value
        #expect(snapshot.hosts[2].tags == snapshot.hosts[0].tags)
        #expect(snapshot.hosts[2].packages == [:])
    }

    /// Each mistake is named by its path, as the parsed-document reader named it.
    @Test(arguments: [
        (#"[]"#, "fleet: must be an object"),
        (#"{}"#, "fleet.agent_versions: is required"),
        (#" { } "#, "fleet.agent_versions: is required"),
        (#"{"agent_versions": [], "schedules": []}"#, "fleet.hosts: is required"),
        (#"{"agent_versions": [], "schedules": [], "hosts": {}}"#, "fleet.hosts: must be an array, not an object"),
        (#"{"agent_versions": [], "schedules": [], "hosts": [7]}"#, "fleet.hosts[0]: must be an object"),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"hostname": "a", "tags": []}]}"#,
            "fleet.hosts[0].agent_key: is required"
        ),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"agent_key": 1, "hostname": "a", "tags": []}]}"#,
            "fleet.hosts[0].agent_key: must be a string, not a number"
        ),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"agent_key": "k", "hostname": "a", "tags": [1]}]}"#,
            "fleet.hosts[0].tags[0]: must be a string"
        ),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"agent_key": "k", "hostname": "a", "tags": [], "packages": {"p": 2}}]}"#,
            "fleet.hosts[0].packages.p: must be a string"
        ),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"agent_key": "k", "hostname": "a", "tags": [], "attributes": []}]}"#,
            "fleet.hosts[0].attributes: must be an object, not an array"
        ),
        (
            #"{"agent_versions": [], "schedules": [], "hosts": [{"agent_key": "k", "hostname": "a", "tags": []}, {"agent_key": "k", "hostname": "b", "tags": []}]}"#,
            "fleet.hosts[1]: agent_key 'k' appears twice"
        ),
        (
            #"{"agent_versions": ["x"], "schedules": [], "hosts": [7]}"#,
            "fleet.agent_versions[0]: 'x' is not a MAJOR.MINOR.PATCH version"
        ),
    ])
    func aMistakeIsNamedByItsPath(text: String, message: String) throws {
        #expect(throws: FixtureError.self) { try read(text) }
        do { _ = try read(text) } catch { #expect(error.description == message) }
        do { _ = try parsed(text) } catch { #expect(error.description == message) }
    }

    @Test func aSyntaxErrorAnywhereComesBeforeAnyFieldsMistake() throws {
        do {
            _ = try read(#"{"hosts": [7], "agent_versions": [}"#)
            Issue.record("read")
        } catch {
            #expect(error.path == "fleet")
            #expect(error.reason.hasPrefix("is not valid JSON"))
        }
    }

    @Test func aSnapshotsVersionMistakeIsNamedUnderSnapshot() throws {
        let document = try JSONParser.parse(#"{"agent_versions": ["7"], "schedules": [], "hosts": []}"#)
        #expect(
            throws: FixtureError(path: "snapshot.agent_versions[0]", reason: "'7' is not a MAJOR.MINOR.PATCH version")
        ) {
            _ = try FleetSnapshot(document: document, defaultClock: clock, defaultSeed: 1)
        }
    }

    @Test func aSnapshotsHostMistakeIsNamedUnderSnapshot() throws {
        let document = try JSONParser.parse(
            #"{"agent_versions": [], "schedules": [], "hosts": [{"hostname": "a", "tags": []}]}"#)
        #expect(throws: FixtureError(path: "snapshot.hosts[0].agent_key", reason: "is required")) {
            _ = try FleetSnapshot(document: document, defaultClock: clock, defaultSeed: 1)
        }
    }
}

/// Reads a file in a test, without Foundation.
enum FileReading {
    static func contents(of path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
