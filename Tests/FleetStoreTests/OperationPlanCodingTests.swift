import FleetDomain
import FleetTestSupport
import Testing

@testable import FleetStore

/// The stored host plan: a blob written now, JSON text read from rows stored before.
@Suite struct OperationPlanCodingTests {
    let operations = [
        HostOperation(
            hostKey: "k1", hostname: "web-prod-1", plannedDurationMilliseconds: 42_000, plannedToFail: false,
            initialVersions: ["7.51.0"]),
        HostOperation(
            hostKey: "k2", hostname: "bäd \"host\"\n名前", plannedDurationMilliseconds: 0, plannedToFail: true,
            plannedError: "disk full (forced)", initialVersions: []),
        HostOperation(
            hostKey: String(repeating: "x", count: 300), hostname: "", plannedDurationMilliseconds: 1 << 40,
            plannedToFail: true, initialVersions: ["6.53.0", "1.2.3"]),
    ]

    @Test func aPlanReadsBackAsWritten() throws {
        let stored = OperationPlanCoding.encode(operations)
        #expect(stored.first == OperationPlanCoding.keyedFormat)  // no host positions known
        #expect(try OperationPlanCoding.decode(stored) == operations)
        #expect(try OperationPlanCoding.decode(OperationPlanCoding.encode([])) == [])
    }

    @Test func aSkippedHostReadsBackSkipped() throws {
        let skipped = HostOperation(
            hostKey: "k3", hostname: "web-staging-1", state: .skipped, plannedDurationMilliseconds: 7,
            plannedToFail: false, initialVersions: ["7.51.0"])
        let decoded = try OperationPlanCoding.decode(OperationPlanCoding.encode(operations + [skipped]))
        #expect(decoded.map(\.state) == [.pending, .pending, .pending, .skipped])
    }

    @Test func aPlanStoredAsJSONStillReads() throws {
        let text = #"[["k1","web-prod-1",42000,0,["7.51.0"]],["k2","h2",5,1,[],"boom"]]"#
        #expect(
            try OperationPlanCoding.decode(Array(text.utf8)) == [
                HostOperation(
                    hostKey: "k1", hostname: "web-prod-1", plannedDurationMilliseconds: 42_000, plannedToFail: false,
                    initialVersions: ["7.51.0"]),
                HostOperation(
                    hostKey: "k2", hostname: "h2", plannedDurationMilliseconds: 5, plannedToFail: true,
                    plannedError: "boom",
                    initialVersions: []),
            ])
    }

    /// Operations planned by the simulation know their host's place in the fleet: the plan stores
    /// that instead of the key and name, and reads back the fleet's own strings.
    @Test func aPlanOfKnownHostPositionsIsStoredByPositionAndReadsBackTheFleetsHosts() throws {
        let hosts = TestFleet.hosts
        let plan = [hosts[3], hosts[0], hosts[11]].enumerated().map { offset, host in
            HostOperation(
                hostKey: host.agentKey, hostname: host.hostname, hostPosition: hosts.firstIndex(of: host)!,
                plannedDurationMilliseconds: Int64(offset) * 1_000, plannedToFail: offset == 1,
                plannedError: offset == 1 ? "boom" : nil, initialVersions: ["7.51.0"])
        }
        let stored = OperationPlanCoding.encode(plan)
        #expect(stored.first == OperationPlanCoding.positionalFormat)
        #expect(
            stored.count < OperationPlanCoding.encode(
                plan.map {
                    HostOperation(
                        hostKey: $0.hostKey, hostname: $0.hostname,
                        plannedDurationMilliseconds: $0.plannedDurationMilliseconds,
                        plannedToFail: $0.plannedToFail, plannedError: $0.plannedError,
                        initialVersions: $0.initialVersions)
                }
            ).count / 2)
        var shared = OperationPlanCoding.SharedTexts(hosts: hosts)
        let decoded = try OperationPlanCoding.decode(stored, sharing: &shared)
        #expect(decoded == plan)
        #expect(decoded.map(\.hostPosition) == [3, 0, 11])
        // A position past the fleet's end is a damaged plan.
        var fewer = OperationPlanCoding.SharedTexts(hosts: Array(hosts.prefix(5)))
        #expect(throws: SQLiteError.self) { try OperationPlanCoding.decode(stored, sharing: &fewer) }
    }

    /// Plans decoded with the fleet take its hosts' own key and name strings, in fleet order or
    /// not; an operation of no host of the fleet (or of a host renamed) gets strings of its own.
    @Test func plansShareTheFleetsKeyAndNameStrings() throws {
        let hosts = TestFleet.hosts
        func operation(_ key: String, _ name: String) -> HostOperation {
            HostOperation(
                hostKey: key, hostname: name, plannedDurationMilliseconds: 1, plannedToFail: false,
                initialVersions: ["7.51.0"])
        }
        let inOrder = hosts.map { operation($0.agentKey, $0.hostname) }
        let shuffled = [hosts[9], hosts[2], hosts[11], hosts[0]].map { operation($0.agentKey, $0.hostname) }
        let strangers = [operation("unknown", hosts[1].hostname), operation(hosts[1].agentKey, "renamed"), inOrder[1]]
        func storage(_ text: String) -> UnsafeRawPointer? {
            var text = text
            return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
        }
        var shared = OperationPlanCoding.SharedTexts(hosts: hosts)
        for plan in [inOrder, shuffled, strangers, inOrder] {
            let decoded = try OperationPlanCoding.decode(OperationPlanCoding.encode(plan), sharing: &shared)
            #expect(decoded == plan)
            for operation in decoded {
                let host = hosts.first { $0.agentKey == operation.hostKey && $0.hostname == operation.hostname }
                // Keys of 32 bytes live in storage of their own, so sharing is visible; names under
                // 16 bytes are stored inline and have no storage to share.
                if let host {
                    #expect(storage(operation.hostKey) == storage(host.agentKey), "\(operation.hostKey)")
                } else {
                    #expect(hosts.allSatisfy { storage($0.agentKey) != storage(operation.hostKey) })
                }
            }
            #expect(decoded.dropFirst().allSatisfy { $0.initialVersions == decoded[0].initialVersions })
        }
    }

    @Test func aDamagedPlanIsAnErrorNotACrash() throws {
        let stored = OperationPlanCoding.encode(operations)
        // Cut anywhere: refused.
        for length in 0..<stored.count {
            #expect(throws: SQLiteError.self) { try OperationPlanCoding.decode(Array(stored[..<length])) }
        }
        #expect(throws: SQLiteError.self) { try OperationPlanCoding.decode(stored + [0]) }
        #expect(throws: SQLiteError.self) { try OperationPlanCoding.decode([9, 0]) }
        // A count far beyond the bytes there are.
        #expect(throws: SQLiteError.self) { try OperationPlanCoding.decode([1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
    }

    @Test func aDeploymentStoredWithAJSONPlanLoads() throws {
        var seeded = try SeededStore()
        let trigger = try seeded.planTrigger()
        try seeded.store.persist(trigger)
        seeded.fleet.apply(trigger)
        guard case .deploymentCreated(let created) = trigger[0] else { Issue.record("no deployment"); return }
        // As a FleetMock from before the blob wrote it.
        let entries = created.operations.map { operation in
            let versions = operation.initialVersions.map { "\"\($0)\"" }.joined(separator: ",")
            return #"["\#(operation.hostKey)","\#(operation.hostname)",\#(operation.plannedDurationMilliseconds),"#
                + #"\#(operation.plannedToFail ? 1 : 0),[\#(versions)]]"#
        }
        let json = "[" + entries.joined(separator: ",") + "]"
        seeded.store.close()
        let raw = try SQLiteConnection(path: seeded.path)
        try raw.statement("UPDATE deployments SET plan = ? WHERE id = ?").run(.text(json), .text(created.id))
        raw.close()
        #expect(try seeded.committed()?.deployments == Array(seeded.fleet.deployments))
    }
}

/// A skipped host is part of the plan (it never changes), so a reopened store reads it skipped.
@Suite struct SkippedHostStoreTests {
    @Test func aReopenedStoreKeepsSkippedHosts() throws {
        var seeded = try SeededStore()
        let changes = try seeded.fleet.planTrigger(scheduleID: TestFleet.stagingSchedule.id, now: TestFleet.start)
        try seeded.store.persist(changes)
        seeded.fleet.apply(changes)
        guard case .deploymentCreated(let created) = changes.first else {
            throw FleetError.storageFailure(reason: "no deployment")
        }
        let loaded = try #require(try seeded.committed()?.deployments.first { $0.id == created.id })
        #expect(loaded.operations.map(\.state) == created.operations.map(\.state))
        #expect(loaded.count(of: .skipped) == 1)
        #expect(loaded == created)
        seeded.store.close()
    }
}
