import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

@testable import FleetStore

/// Hosts kept as chunks of fixture-form JSON (schema 5), with the hosts deployments changed in
/// `host_states`.
@Suite struct HostChunkTests {
    /// 2,500 hosts: three chunks, the last one partial.
    static let largeFleet: FleetSnapshot = {
        var snapshot = TestFleet.simulation().snapshot
        snapshot.hosts = (0..<2_500).map { index in
            TestFleet.host(
                "host-\(index)",
                ["env:\(["prod", "dev"][index % 2])", "service:s\(index % 7)", "Team:Üñï \(index % 3)"],
                version: index % 5 == 0 ? "6.53.0" : "7.51.0",
                attributes: .object([
                    "first_seen_at": .int(Int64(index)), "ip_addresses": .array([.string("10.0.\(index)")]),
                ]))
        }
        return snapshot
    }()

    /// A new file seeded with `largeFleet`, and its store, still open.
    private func seededLargeFleet() throws -> (path: String, store: SQLiteFleetStore) {
        let path = temporaryDatabasePath()
        let store = try SQLiteFleetStore(path: path)
        try store.seed(Self.largeFleet)
        return (path, store)
    }

    /// `host` with the Agent at `version`, as a finished upgrade leaves it.
    private func upgraded(_ host: SimulatedHost, to version: String) -> SimulatedHost {
        var host = host
        host.packages[SimulatedHost.agentPackage] = version
        return host
    }

    private func chunkText(at firstPosition: Int, in path: String) throws -> String? {
        let raw = try SQLiteConnection(path: path)
        defer { raw.close() }
        return try raw.statement("SELECT hosts FROM host_chunks WHERE first_position = \(firstPosition)").firstRow {
            $0.string(at: 0)
        }
    }

    private func count(_ table: String, in path: String) throws -> Int64 {
        let raw = try SQLiteConnection(path: path)
        defer { raw.close() }
        return try raw.statement("SELECT count(*) FROM \(table)").firstRow { $0.int64(at: 0) } ?? -1
    }

    @Test func aLargeFleetIsStoredInChunksAndLoadsBackInOrder() throws {
        let (path, store) = try seededLargeFleet()
        store.close()
        #expect(try count("host_chunks", in: path) == 3)
        let loaded = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual))
        #expect(loaded.hosts == Self.largeFleet.hosts)
    }

    @Test func hostsWithTheSameTagsPackagesAndFilesShareOneValueAfterLoading() throws {
        let (path, store) = try seededLargeFleet()
        store.close()
        let hosts = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual)).hosts
        // Hosts 0 and 42 have the same tags (42 = 0 mod 2, 7 and 3); 1 and 2 have other tags.
        func storage<Element>(_ array: [Element]) -> UnsafeRawPointer? {
            array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        #expect(storage(hosts[0].tags) == storage(hosts[42].tags))
        #expect(storage(hosts[0].tags) != storage(hosts[1].tags))
        #expect(hosts[0].tags == hosts[42].tags)
        #expect(hosts[1].packages == hosts[2].packages && hosts[1].configFiles == hosts[2].configFiles)
    }

    @Test func aChangedHostKeepsItsPackagesAndFilesAcrossReopeningWithoutRewritingItsChunk() throws {
        let (path, store) = try seededLargeFleet()
        let chunkBefore = try chunkText(at: 1_000, in: path)
        var changed = upgraded(Self.largeFleet.hosts[1_234], to: "7.53.0")
        changed.configFiles["/conf.d/x.yaml"] = .object(["k": .string("v")])
        try store.persist([.hostUpdated(changed)])
        changed = upgraded(changed, to: "7.52.1")  // a second change of the same host
        try store.persist([.hostUpdated(changed)])
        store.close()
        #expect(try count("host_states", in: path) == 1)
        #expect(chunkBefore != nil)
        #expect(try chunkText(at: 1_000, in: path) == chunkBefore)
        var expected = Self.largeFleet.hosts
        expected[1_234] = changed
        let loaded = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual))
        #expect(loaded.hosts == expected)
    }

    @Test func aResetReplacesChunksAndForgetsHostStates() throws {
        let (path, store) = try seededLargeFleet()
        try store.persist([.hostUpdated(upgraded(Self.largeFleet.hosts[0], to: "7.53.0"))])
        let small = TestFleet.simulation().snapshot
        try store.replaceAll(with: small)
        store.close()
        #expect(try count("host_states", in: path) == 0)
        #expect(try SQLiteFleetStore(path: path).load(clockMode: .manual)?.hosts == small.hosts)
    }

    @Test func aVersionFourDatabaseMovesItsHostsIntoChunksKeepingTheirOrderAndState() throws {
        let path = temporaryDatabasePath()
        do {
            let connection = try SQLiteConnection(path: path)
            try Migrator(Array(FleetSchema.migrator.migrations.prefix(4))).migrate(connection)
            // Positions out of key order, as schema 4 inserted them; b's packages were updated.
            try connection.execute(
                """
                INSERT INTO meta VALUES ('seeded', 1), ('random_state', 7);
                INSERT INTO hosts (agent_key, position, hostname, tags, packages, config_files, attributes) VALUES
                    ('bbbb', 0, 'b', '["env:prod","solo"]', '{"datadog-agent":"7.53.0"}', '{"/datadog.yaml":{"a":1}}',
                     '{"os":"linux","ip_addresses":["10.0.0.1"]}'),
                    ('aaaa', 1, 'a', '["env:dev"]', '{}', '{}', '{}');
                """)
            connection.close()
        }
        let loaded = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual))
        #expect(
            loaded.hosts == [
                SimulatedHost(
                    agentKey: "bbbb", hostname: "b",
                    tags: [Tag(key: "env", value: "prod"), Tag(key: "", value: "solo")],
                    packages: ["datadog-agent": "7.53.0"], configFiles: ["/datadog.yaml": .object(["a": .int(1)])],
                    attributes: .object(["os": .string("linux"), "ip_addresses": .array([.string("10.0.0.1")])])),
                SimulatedHost(agentKey: "aaaa", hostname: "a", tags: [Tag(key: "env", value: "dev")], packages: [:]),
            ])
        // Moved row by row, then regrouped: one chunk for both.
        #expect(try count("host_chunks", in: path) == 1)
    }

    static let fixtureText = """
        {"agent_versions": ["7.1.0"], "schedules": [], "hosts": [
          {"agent_key": "k1", "hostname": "a", "tags": ["env:prod"], "note": "kept as written"} ,
          {"agent_key": "k2", "hostname": "b", "tags": [], "attributes": {"os": "linux"}}
        ]}
        """

    @Test func hostsReadFromAFixtureAreStoredAsTheirOwnTextAndLoadBackEqual() throws {
        let snapshot = try Fixture.fleet(
            fromJSON: Array(Self.fixtureText.utf8), clock: SimulationClock(mode: .manual), seed: 1)
        #expect(snapshot.hostsText?.hostRanges.count == 2)
        let path = temporaryDatabasePath()
        try SQLiteFleetStore(path: path).seed(snapshot)
        let raw = try SQLiteConnection(path: path)
        let chunk = try raw.statement("SELECT hosts FROM host_chunks").firstRow { $0.string(at: 0) }
        raw.close()
        #expect(chunk?.contains("kept as written") == true)
        #expect(try SQLiteFleetStore(path: path).load(clockMode: .manual) == snapshot)
    }

    @Test func changedHostsAreWrittenOutInsteadOfTheTextTheyWereReadFrom() throws {
        var snapshot = try Fixture.fleet(
            fromJSON: Array(Self.fixtureText.utf8), clock: SimulationClock(mode: .manual), seed: 1)
        snapshot.hosts[1].packages[SimulatedHost.agentPackage] = "7.1.0"
        #expect(snapshot.hostsText == nil)
        let path = temporaryDatabasePath()
        try SQLiteFleetStore(path: path).seed(snapshot)
        #expect(try SQLiteFleetStore(path: path).load(clockMode: .manual)?.hosts == snapshot.hosts)
    }

    /// What `serve` does on a first start: the hosts' text written while the hosts are read.
    @Test func aSeedingBegunWithTheHostsTextEndsWithTheRestAndLoadsBackEqual() throws {
        let document = try FixtureDocument(json: Array(Self.fixtureText.utf8))
        let path = temporaryDatabasePath()
        let store = try SQLiteFleetStore(path: path)
        try store.beginSeed(hostsText: try #require(document.hostsText))
        let snapshot = try Fixture.fleet(from: document, clock: SimulationClock(mode: .manual), seed: 1)
        try store.seed(snapshot)
        store.close()
        #expect(try SQLiteFleetStore(path: path).load(clockMode: .manual) == snapshot)
    }

    /// A refused start (the seeding abandoned) or a crash after the hosts were written changes
    /// none of the file's hosts, rows of an earlier unfinished seeding included; it seeds again.
    @Test func anAbandonedOrInterruptedSeedingChangesNoHostsAndSeedsAgain() throws {
        let document = try FixtureDocument(json: Array(Self.fixtureText.utf8))
        let text = try #require(document.hostsText)
        let snapshot = try Fixture.fleet(from: document, clock: SimulationClock(mode: .manual), seed: 1)
        let path = temporaryDatabasePath()
        do {
            try SQLiteFleetStore(path: path).close()
            let raw = try SQLiteConnection(path: path)
            try raw.execute(
                #"INSERT INTO host_chunks VALUES (5000, '[{"agent_key":"left-over","hostname":"x","tags":[]}]')"#)
            raw.close()
        }
        do {
            let store = try SQLiteFleetStore(path: path)
            try store.beginSeed(hostsText: text)
            store.abandonSeed()
            store.close()
        }
        #expect(try count("host_chunks", in: path) == 1, "the earlier row, untouched")
        do {
            // A crash after the hosts' commit: they wait in a table of their own, unseeded.
            let store = try SQLiteFleetStore(path: path)
            try store.beginSeed(hostsText: text)
            store.close()
        }
        #expect(try count("host_chunks", in: path) == 1)
        #expect(try count(SQLiteFleetStore.seedingTable, in: path) == 1)
        let store = try SQLiteFleetStore(path: path)
        #expect(try store.load(clockMode: .manual) == nil)
        try store.seed(snapshot)
        store.close()
        #expect(try SQLiteFleetStore(path: path).load(clockMode: .manual) == snapshot)
    }

    @Test func aSeedingIsRefusedWhenTheHostsReadAreNotTheHostsWritten() throws {
        let document = try FixtureDocument(json: Array(Self.fixtureText.utf8))
        var snapshot = try Fixture.fleet(from: document, clock: SimulationClock(mode: .manual), seed: 1)
        snapshot.hosts.removeLast()
        let store = try SQLiteFleetStore(path: temporaryDatabasePath())
        try store.beginSeed(hostsText: try #require(document.hostsText))
        #expect(throws: SQLiteError.self) { try store.seed(snapshot) }
        #expect(try store.load(clockMode: .manual) == nil)
    }

    /// What the store does not expect but must survive: a host state of no host, and (a damaged
    /// file) a key twice, with a state for it.
    @Test func aStateOfNoHostIsIgnoredAndARepeatedKeyTakesTheFirstHost() throws {
        let path = temporaryDatabasePath()
        try SQLiteFleetStore(path: path).seed(TestFleet.simulation().snapshot)
        let first = TestFleet.hosts[0]
        let raw = try SQLiteConnection(path: path)
        try raw.execute(
            """
            INSERT INTO host_states VALUES ('no-such-host', '{"datadog-agent":"1.0.0"}', '{}');
            INSERT INTO host_states VALUES ('\(first.agentKey)', '{"datadog-agent":"7.53.0"}', '{}');
            INSERT INTO host_chunks VALUES (100000, '[{"agent_key":"\(first.agentKey)","hostname":"copy","tags":[]}]');
            """)
        raw.close()
        let hosts = try #require(try SQLiteFleetStore(path: path).load(clockMode: .manual)).hosts
        #expect(hosts.count == TestFleet.hosts.count + 1)
        #expect(hosts[0].agentVersion == "7.53.0" && hosts[0].configFiles.isEmpty)
        #expect(hosts.last?.agentVersion == nil)
        #expect(!hosts.contains { $0.agentKey == "no-such-host" })
    }

    @Test func aDamagedChunkIsReportedAsACorruptFile() throws {
        let path = temporaryDatabasePath()
        try SQLiteFleetStore(path: path).seed(TestFleet.simulation().snapshot)
        let raw = try SQLiteConnection(path: path)
        try raw.execute(#"UPDATE host_chunks SET hosts = '[{"agent_key": 5}]'"#)
        raw.close()
        #expect(throws: SQLiteError.self) { try SQLiteFleetStore(path: path).load(clockMode: .manual) }
    }
}
