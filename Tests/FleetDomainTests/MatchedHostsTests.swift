import FleetDomain
import FleetTestSupport
import Testing

/// The hosts a query matched are learned from the deployment created with it and reused: planning
/// with the learned list must give exactly what matching the query again gives.
@Suite struct MatchedHostsTests {
    let t0 = TestFleet.start

    private func targetKeys(_ changes: [FleetChange]) -> [String] {
        guard case .deploymentCreated(let deployment)? = changes.first else { return [] }
        return deployment.operations.map(\.hostKey)
    }

    @Test(arguments: ["env:prod", "service:web-* OR os:windows", "-env:prod", "host:db-prod-1", "region:nowhere"])
    func planningAgainGivesTheSameHostsAsMatchingAfresh(query: String) throws {
        var fleet = TestFleet.simulation()
        let kind = DeploymentKind.upgrade([PackageTarget(name: "datadog-agent", version: "7.53.0")])
        let first = try fleet.planDeployment(kind: kind, filterQuery: query, now: t0)
        fleet.apply(first)
        // Rollout progress changes hosts' packages (their names and tags stay).
        for seconds in stride(from: 60, through: 600, by: 60) {
            _ = fleet.advance(to: t0.plus(seconds: Int64(seconds)))
        }
        let again = try fleet.planDeployment(kind: kind, filterQuery: query, now: t0.plus(seconds: 600))
        let fresh = try TestFleet.simulation().planDeployment(kind: kind, filterQuery: query, now: t0)
        #expect(targetKeys(again) == targetKeys(fresh))
        #expect(targetKeys(again) == targetKeys(first))
    }

    @Test func aQueryThatDoesNotParseIsStillRefused() throws {
        var fleet = TestFleet.simulation()
        fleet.apply(try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0))
        #expect(throws: FleetError.self) {
            try fleet.planDeployment(
                kind: .upgrade([PackageTarget(name: "datadog-agent", version: "7.53.0")]), filterQuery: "env:(prod",
                now: t0)
        }
    }
}
