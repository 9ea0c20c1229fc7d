import FleetDomain
import FleetTestSupport
import Testing

/// The revision grows at every change to what a reply can show and at nothing else, so a reply
/// rendered at one revision is right for as long as the revision stays.
@Suite struct RevisionTests {
    let t0 = TestFleet.start

    /// Whether applying `change` alone moves the revision.
    private func bumps(_ fleet: inout FleetSimulation, _ change: FleetChange) -> Bool {
        let before = fleet.revision
        fleet.apply([change])
        return fleet.revision > before
    }

    @Test func everyKindOfChangeBumpsTheRevision() throws {
        var fleet = TestFleet.simulation()
        let planned = try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0)
        guard case .deploymentCreated(let deployment) = planned.first else {
            Issue.record("the trigger planned no deployment")
            return
        }
        #expect(bumps(&fleet, .deploymentCreated(deployment)), "a new deployment")

        let first = deployment.operations[0]
        let running = HostOperation(
            hostKey: first.hostKey, hostname: first.hostname, hostPosition: first.hostPosition, state: .running,
            startedAt: t0.plus(seconds: 5), plannedDurationMilliseconds: first.plannedDurationMilliseconds,
            plannedToFail: first.plannedToFail, initialVersions: first.initialVersions)
        #expect(
            bumps(&fleet, .operationUpdated(deploymentID: deployment.id, position: 0, operation: running)),
            "a host operation's progress")
        #expect(bumps(&fleet, .deploymentCanceled(deploymentID: deployment.id, at: t0.plus(seconds: 6))), "a cancel")

        let upgraded = TestFleet.host(
            "web-prod-1", ["env:prod", "service:web-frontend", "region:us-east-1"], version: "7.53.0")
        #expect(bumps(&fleet, .hostUpdated(upgraded)), "a host's packages")
        #expect(fleet.host(agentKey: upgraded.agentKey)?.agentVersion == "7.53.0")

        let draft = ScheduleDraft(name: "nightly", query: "env:staging", rule: TestFleet.prodSchedule.rule)
        guard case .scheduleCreated(let schedule)? = try fleet.planCreateSchedule(draft, by: "t", now: t0).first else {
            Issue.record("no schedule planned")
            return
        }
        #expect(bumps(&fleet, .scheduleCreated(schedule)), "a new schedule")
        let renamed = try fleet.planUpdateSchedule(id: schedule.id, ScheduleDraft(name: "weekly"), by: "t", now: t0)
        #expect(bumps(&fleet, try #require(renamed.first)), "a schedule's fields")
        #expect(bumps(&fleet, .scheduleDeleted(id: schedule.id)), "a schedule deleted")

        let clock = try fleet.planClockAdvance(byMilliseconds: 1, wall: t0)
        #expect(bumps(&fleet, try #require(clock.first)), "the clock")
        #expect(bumps(&fleet, .progressPolicyUpdated(.immediate)), "the progress policy")
    }

    @Test func aRolloutBumpsTheRevisionAtEachStepAndNotBetween() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        var revision = fleet.revision

        _ = fleet.advance(to: t0)  // nothing due before the start delay: nothing changes
        #expect(fleet.revision == revision)

        _ = fleet.advance(to: t0.plus(seconds: 6))  // the first hosts start
        #expect(fleet.revision > revision)
        revision = fleet.revision
        _ = fleet.advance(to: t0.plus(seconds: 7))  // no host starts or finishes within a second of that
        #expect(fleet.revision == revision)

        _ = fleet.advance(to: t0.plus(seconds: 600))  // hosts finish: their versions change
        #expect(fleet.revision > revision)
        #expect(fleet.deployment(id: id)?.status == .failed)  // bad-prod-1 fails every operation

        revision = fleet.revision
        let second = try fleet.trigger(at: t0.plus(seconds: 600))
        #expect(fleet.revision > revision)
        revision = fleet.revision
        try fleet.cancel(second, at: t0.plus(seconds: 600))
        #expect(fleet.revision > revision)
    }

    @Test func readsAndPlansLeaveTheRevision() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 6))
        let revision = fleet.revision

        _ = fleet.deployment(id: id)
        _ = fleet.deployments(DeploymentListRequest(sort: .status))
        _ = fleet.agents(AgentListRequest())
        _ = fleet.schedule(id: TestFleet.prodSchedule.id)
        _ = fleet.host(agentKey: TestFleet.key("web-prod-1"))
        _ = fleet.packageVersion(agentKey: TestFleet.key("web-prod-1"), package: SimulatedHost.agentPackage)
        _ = fleet.snapshot
        _ = fleet.nextEventTime
        _ = try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0.plus(seconds: 6))
        _ = try fleet.planCancel(deploymentID: id, now: t0.plus(seconds: 6))
        fleet.apply([])
        _ = fleet.advance(to: t0.plus(seconds: 6))  // already there
        #expect(fleet.revision == revision)
    }
}
