import FleetTestSupport
import Testing

@testable import FleetDomain

/// `InitialVersionLists` gives each host of a new deployment its initial versions and whether it is
/// already at the target. These hold it to the plain rule (each host's own versions, compared with
/// the targets) and to its point: hosts on one version share one list, whichever way it is found.
@Suite struct InitialVersionListsTests {
    static let agent = SimulatedHost.agentPackage
    static let injector = "datadog-apm-inject"

    func host(_ number: Int, _ packages: [String: String]) -> SimulatedHost {
        SimulatedHost(agentKey: TestFleet.key("h\(number)"), hostname: "h\(number)", tags: [], packages: packages)
    }

    func hosts(agentVersions: [String?]) -> [SimulatedHost] {
        agentVersions.enumerated().map { number, version in host(number, version.map { [Self.agent: $0] } ?? [:]) }
    }

    func upgrade(_ targets: (String, String)...) -> DeploymentKind {
        .upgrade(targets.map { PackageTarget(name: $0.0, version: $0.1) })
    }

    /// Where a list's elements live: the same address for two lists is one shared storage.
    func storage(_ list: [String]) -> UnsafeRawPointer? {
        list.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    /// The rule without sharing: the host's version of each target package, and whether every one
    /// parses and is at or above its target.
    func expected(_ host: SimulatedHost, _ targets: [(String, String)]) -> (list: [String], atTarget: Bool) {
        let list = targets.map { host.packages[$0.0] ?? "" }
        let atTarget = zip(list, targets).allSatisfy { installed, target in
            guard let installed = AgentVersion(installed), let target = AgentVersion(target.1) else { return false }
            return installed >= target
        }
        return (list, atTarget)
    }

    @Test func hostsOnOneVersionShareOneList() {
        let fleet = hosts(agentVersions: ["7.51.0", "7.51.0", "6.53.0", "7.51.0", "6.53.0", nil, nil])
        var lists = InitialVersionLists(kind: upgrade((Self.agent, "7.53.0")), catalog: TestFleet.catalog)
        let given = fleet.indices.map { lists.list(forHostAt: $0, in: fleet).list }
        #expect(given == [["7.51.0"], ["7.51.0"], ["6.53.0"], ["7.51.0"], ["6.53.0"], [""], [""]])
        #expect(Set(given.map(storage)).count == 3)
        #expect(storage(given[0]) == storage(given[3]))
        #expect(storage(given[2]) == storage(given[4]))
        #expect(storage(given[5]) == storage(given[6]))
    }

    @Test(arguments: [
        ("7.53.0", true), ("7.52.1", true), ("7.52.1-1", true), ("7.52.1-rc.1", false), ("7.51.0", false),
        ("6.53.1", false), ("8.0.0", true), ("not-a-version", false), ("", false),
    ])
    func atTargetIsWhetherTheVersionIsAtOrAboveTheTarget(installed: String, atTarget: Bool) {
        // Twice each: once decided, once remembered.
        let fleet = hosts(agentVersions: [installed, "7.51.0", installed])
        var lists = InitialVersionLists(kind: upgrade((Self.agent, "7.52.1")), catalog: TestFleet.catalog)
        #expect(lists.list(forHostAt: 0, in: fleet) == ([installed], atTarget))
        #expect(lists.list(forHostAt: 1, in: fleet) == (["7.51.0"], false))
        #expect(lists.list(forHostAt: 2, in: fleet) == ([installed], atTarget))
    }

    @Test func aHostWithoutThePackageIsBelowTheTarget() {
        let fleet = hosts(agentVersions: [nil])
        var lists = InitialVersionLists(kind: upgrade((Self.agent, "5.32.9")), catalog: TestFleet.catalog)
        #expect(lists.list(forHostAt: 0, in: fleet) == ([""], false))
    }

    /// More distinct versions than the first lists hold, met in order, in reverse and interleaved:
    /// every version keeps one list and one answer, whether it comes from the last host, the first
    /// lists or the later ones.
    @Test func everyTierGivesTheListFirstMadeForTheVersion() {
        let versions = (0..<40).map { "7.\($0).0" }
        let order = versions + versions.reversed() + versions.indices.map { versions[($0 * 7) % versions.count] }
        let fleet = hosts(agentVersions: order)
        var lists = InitialVersionLists(kind: upgrade((Self.agent, "7.20.0")), catalog: TestFleet.catalog)
        var made: [String: UnsafeRawPointer?] = [:]
        for index in fleet.indices {
            let given = lists.list(forHostAt: index, in: fleet)
            #expect(given == expected(fleet[index], [(Self.agent, "7.20.0")]))
            #expect(made[order[index], default: storage(given.list)] == storage(given.list))
            made[order[index]] = storage(given.list)
        }
        #expect(Set(made.values).count == versions.count)
        #expect(lists.firstLists.count == InitialVersionLists.firstListsLimit)
        #expect(lists.laterLists.count == versions.count - InitialVersionLists.firstListsLimit)
    }

    @Test func anotherPackageIsReadFromTheHostsPackages() {
        let fleet = [
            host(0, [Self.agent: "7.53.0", Self.injector: "0.9.0"]), host(1, [Self.injector: "1.1.0"]),
            host(2, [Self.agent: "7.51.0", Self.injector: "0.9.0"]), host(3, [Self.agent: "7.53.0"]),
        ]
        var lists = InitialVersionLists(kind: upgrade((Self.injector, "1.0.0")), catalog: TestFleet.catalog)
        let given = fleet.indices.map { lists.list(forHostAt: $0, in: fleet) }
        #expect(given.map(\.list) == [["0.9.0"], ["1.1.0"], ["0.9.0"], [""]])
        #expect(given.map(\.atTarget) == [false, true, false, false])
        #expect(storage(given[0].list) == storage(given[2].list))
    }

    @Test func severalPackagesAreAtTargetOnlyWhenEveryOneIs() {
        let targets = [(Self.agent, "7.52.1"), (Self.injector, "1.0.0")]
        let fleet = [
            host(0, [Self.agent: "7.53.0", Self.injector: "1.0.0"]),
            host(1, [Self.agent: "7.53.0", Self.injector: "0.9.0"]),
            host(2, [Self.agent: "7.51.0", Self.injector: "2.0.0"]),
            host(3, [Self.agent: "7.53.0"]),
            host(4, [:]),
        ]
        var lists = InitialVersionLists(
            kind: .upgrade(targets.map { PackageTarget(name: $0.0, version: $0.1) }), catalog: TestFleet.catalog)
        for index in fleet.indices {
            #expect(lists.list(forHostAt: index, in: fleet) == expected(fleet[index], targets))
        }
        #expect(lists.list(forHostAt: 0, in: fleet).atTarget)
    }

    @Test func aConfigurationHasNoVersionsAndIsNeverAtTarget() {
        let fleet = hosts(agentVersions: ["7.53.0"])
        let kind = DeploymentKind.configure([ConfigOperation(fileOp: .delete, filePath: "/x.yaml", patch: nil)])
        var lists = InitialVersionLists(kind: kind, catalog: TestFleet.catalog)
        #expect(lists.list(forHostAt: 0, in: fleet) == ([], false))
    }

    /// The point of the type, seen from a deployment: its operations hold one list per version.
    @Test func aDeploymentsOperationsShareOneListPerVersion() throws {
        let fleet = TestFleet.simulation()
        let changes = try fleet.planDeployment(
            kind: upgrade((Self.agent, "7.53.0")), filterQuery: "env:prod OR env:staging", now: TestFleet.start)
        guard case .deploymentCreated(let deployment)? = changes.first else {
            Issue.record("no deployment")
            return
        }
        let versions = Set(deployment.operations.map(\.initialVersions))
        #expect(versions.count == 3)
        #expect(Set(deployment.operations.map { storage($0.initialVersions) }).count == versions.count)
    }
}
