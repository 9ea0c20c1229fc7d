import FleetDomain
import FleetTestSupport
import Testing

/// What an upgrade leaves alone: a host at or above the target (never moved down, never "upgraded"
/// to its own version), and a host busy with another deployment's operation (one at a time).
@Suite struct RolloutSkipTests {
    let t0 = TestFleet.start

    private func state(_ fleet: FleetSimulation, _ id: String, _ hostname: String) -> HostOperationState? {
        fleet.deployment(id: id)?.operations.first { $0.hostname == hostname }?.state
    }

    @Test func anUpgradeNeverMovesAHostDown() throws {
        var fleet = TestFleet.simulation()
        // The staging schedule's target is 6.53.1: web-staging-1 runs 7.51.0, Win-Staging-2 5.32.9.
        let id = try fleet.trigger(TestFleet.stagingSchedule.id, at: t0)
        let created = try #require(fleet.deployment(id: id))
        #expect(state(fleet, id, "web-staging-1") == .skipped)
        #expect(state(fleet, id, "Win-Staging-2") == .pending)
        #expect(created.count(of: .skipped) == 1)
        #expect(created.status == .pending)
        _ = fleet.advance(to: t0.plus(seconds: 3_600))
        #expect(fleet.host(agentKey: TestFleet.key("web-staging-1"))?.agentVersion == "7.51.0")
        #expect(fleet.host(agentKey: TestFleet.key("Win-Staging-2"))?.agentVersion == "6.53.1")
        let done = try #require(fleet.deployment(id: id))
        #expect(done.status == .completed)
        #expect(done.count(of: .succeeded) == 1 && done.count(of: .skipped) == 1)
        let skipped = try #require(done.operations.first { $0.state == .skipped })
        #expect(skipped.startedAt == nil && skipped.finishedAt == t0 && skipped.error.isEmpty)
        #expect(skipped.skipReason(in: done).contains("never moves a package down"))
    }

    @Test func hostsAlreadyAtTheTargetAreSkippedAndAllSkippedIsCompletedAtOnce() throws {
        var fleet = TestFleet.simulation()
        let first = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 3_600))
        // Every prod host is now at 7.53.0 except bad-prod-1, which fails every operation.
        let second = try fleet.trigger(at: t0.plus(seconds: 3_600))
        let again = try #require(fleet.deployment(id: second))
        #expect(again.count(of: .skipped) == 9)
        #expect(state(fleet, second, "bad-prod-1") == .pending)
        #expect(
            again.operations.first { $0.hostname == "web-prod-1" }?.skipReason(in: again)
                == "skipped: already at the target version (datadog-agent 7.53.0)")
        #expect(fleet.deployment(id: first)?.status == .failed)

        // Only the staging host below the target is upgraded; after that, nothing is left to do.
        var staging = TestFleet.simulation()
        _ = try staging.trigger(TestFleet.stagingSchedule.id, at: t0)
        _ = staging.advance(to: t0.plus(seconds: 3_600))
        let nothing = try staging.trigger(TestFleet.stagingSchedule.id, at: t0.plus(seconds: 3_600))
        let deployment = try #require(staging.deployment(id: nothing))
        #expect(deployment.operations.allSatisfy { $0.state == .skipped })
        #expect(deployment.status == .completed)
        #expect(deployment.nextEventTime == nil)
        #expect(deployment.finishedAt == t0.plus(seconds: 3_600))
        #expect(deployment.estimatedEndTime == t0.plus(seconds: 3_600))
        #expect(!deployment.isCancelable)
        #expect(staging.advance(to: t0.plus(seconds: 7_200)).isEmpty)
    }

    @Test func aHostRunsOneOperationAtATime() throws {
        var fleet = TestFleet.simulation()
        let first = try fleet.trigger(at: t0)
        let second = try fleet.trigger(at: t0)
        // Every prod host is pending in the first: the second skips them all and is done at once.
        let skipping = try #require(fleet.deployment(id: second))
        #expect(skipping.operations.count == 10 && skipping.count(of: .skipped) == 10)
        #expect(skipping.status == .completed)
        #expect(skipping.operations.allSatisfy { $0.skipReason(in: skipping).contains("busy with another deployment") })
        // A configure on busy hosts skips them too; one on a free host runs.
        let configure = DeploymentKind.configure([ConfigOperation(fileOp: .delete, filePath: "/x.yaml", patch: nil)])
        let changes = try fleet.planDeployment(kind: configure, filterQuery: "env:prod OR env:staging", now: t0)
        fleet.apply(changes)
        let configured = try #require(fleet.deployments.last)
        #expect(configured.count(of: .skipped) == 10 && configured.count(of: .pending) == 2)
        for second in stride(from: Int64(0), through: 3_600, by: 1) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            var running: [String: Int] = [:]
            for deployment in fleet.deployments {
                for operation in deployment.operations where operation.state == .running {
                    running[operation.hostKey, default: 0] += 1
                }
            }
            #expect(running.values.allSatisfy { $0 == 1 })
        }
        #expect(fleet.deployment(id: first)?.count(of: .skipped) == 0)
        // Once the first is done, a third trigger upgrades what is left (bad-prod-1, which failed).
        let third = try fleet.trigger(at: t0.plus(seconds: 3_600))
        #expect(fleet.deployment(id: third)?.count(of: .pending) == 1)
    }

    @Test func aCanceledDeploymentFreesItsPendingHosts() throws {
        var fleet = TestFleet.simulation()
        let first = try fleet.trigger(at: t0)
        try fleet.cancel(first, at: t0)  // before any host starts: all canceled
        let second = try fleet.trigger(at: t0)
        #expect(fleet.deployment(id: second)?.count(of: .skipped) == 0)
    }

    @Test func v2RefusesAnUpgradeOfAHostBusyWithAnUpgradeAndSkipsOneBusyWithAConfigure() throws {
        var fleet = TestFleet.simulation()
        let upgrade = DeploymentKind.upgrade([PackageTarget(name: SimulatedHost.agentPackage, version: "7.53.0")])
        let configure = DeploymentKind.configure([ConfigOperation(fileOp: .delete, filePath: "/x.yaml", patch: nil)])
        fleet.apply(try fleet.planDeployment(kind: configure, filterQuery: "env:staging", rules: .v2, now: t0))
        let busyFirst = try #require(fleet.deployments.last?.id)
        fleet.apply(try fleet.planDeployment(kind: upgrade, filterQuery: "env:prod", rules: .v2, now: t0))
        let prod = try #require(fleet.deployments.last?.id)
        #expect(throws: FleetError.upgradeInProgress(hostname: "web-prod-1", deploymentID: prod)) {
            try fleet.planDeployment(kind: upgrade, filterQuery: "hostname:web-prod-1", rules: .v2, now: t0)
        }
        fleet.apply(try fleet.planDeployment(kind: upgrade, filterQuery: "env:staging", rules: .v2, now: t0))
        let staging = try #require(fleet.deployments.last)
        #expect(staging.count(of: .skipped) == 2 && staging.id != busyFirst)
    }

    @Test func aSnapshotKeepsSkippedHosts() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(TestFleet.stagingSchedule.id, at: t0)
        let restored = FleetSimulation(snapshot: fleet.snapshot, settings: TestFleet.settings)
        #expect(restored.deployment(id: id) == fleet.deployment(id: id))
        #expect(restored.deployment(id: id)?.count(of: .skipped) == 1)
        // The restored fleet knows which hosts are busy.
        var again = restored
        let second = try again.trigger(TestFleet.stagingSchedule.id, at: t0)
        #expect(again.deployment(id: second)?.count(of: .skipped) == 2)
    }

    /// The hosts a new deployment finds busy are exactly those with a pending or running operation
    /// (found by scanning every deployment), through starts, finishes, cancels and interruptions.
    @Test func busyHostsFollowEveryChangeOfAnOperation() throws {
        var fleet = TestFleet.simulation()
        let probe = DeploymentKind.configure([ConfigOperation(fileOp: .delete, filePath: "/x.yaml", patch: nil)])
        func check(_ moment: String) throws {
            var scanned: Set<String> = []
            for deployment in fleet.deployments {
                for operation in deployment.operations where operation.state == .pending || operation.state == .running
                {
                    scanned.insert(operation.hostname)
                }
            }
            let changes = try fleet.planDeployment(kind: probe, filterQuery: "env:prod OR env:staging", now: t0)
            guard case .deploymentCreated(let planned) = changes.first else {
                throw FleetError.storageFailure(reason: "")
            }
            let skipped = Set(planned.operations.filter { $0.state == .skipped }.map(\.hostname))
            #expect(skipped == scanned, "\(moment)")
        }
        try check("empty")
        let first = try fleet.trigger(at: t0)
        try check("after a trigger")
        _ = fleet.advance(to: t0.plus(seconds: 40))
        try check("running")
        try fleet.cancel(first, at: t0.plus(seconds: 40))  // interrupts some, lets others finish
        try check("after a cancel")
        let staging = try fleet.trigger(TestFleet.stagingSchedule.id, at: t0.plus(seconds: 40))
        _ = try fleet.trigger(at: t0.plus(seconds: 40))
        try check("a trigger on partly busy hosts")
        for second in stride(from: Int64(45), through: 1_800, by: 15) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            try check("at \(second) s")
            if second == 120 { try fleet.cancel(staging, at: t0.plus(seconds: second)) }
        }
        let restored = FleetSimulation(snapshot: fleet.snapshot, settings: TestFleet.settings)
        fleet = restored
        try check("restored")
    }
}
