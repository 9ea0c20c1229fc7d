import FleetDomain
import FleetTestSupport
import Testing

@Suite struct RolloutTests {
    let t0 = TestFleet.start

    @Test func triggerTargetsEveryMatchingHostAtTheStrategyVersion() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        let deployment = try #require(fleet.deployment(id: id))
        #expect(deployment.operations.count == 10)
        #expect(deployment.packages == [PackageTarget(name: "datadog-agent", version: "7.53.0")])
        #expect(deployment.filterQuery == "env:prod")
        #expect(deployment.scheduleID == TestFleet.prodSchedule.id)
        #expect(deployment.status == .pending)
        #expect(deployment.operations.allSatisfy { $0.state == .pending })
        #expect(deployment.operations.first { $0.hostname == "db-prod-1" }?.initialVersions == ["6.53.0"])
    }

    @Test func triggerLeavesTheScheduleUnchangedAndWorksWhenInactive() throws {
        var fleet = TestFleet.simulation()
        _ = try fleet.trigger(TestFleet.stagingSchedule.id, at: t0)
        #expect(fleet.schedule(id: TestFleet.stagingSchedule.id) == TestFleet.stagingSchedule)
        #expect(fleet.deployments.last?.packages.first?.version == "6.53.1")
    }

    @Test func triggerOfUnknownScheduleIsNotFound() {
        let fleet = TestFleet.simulation()
        #expect(throws: FleetError.scheduleNotFound(id: "00000000-0000-4000-8000-000000000000")) {
            try fleet.planTrigger(scheduleID: "00000000-0000-4000-8000-000000000000", now: t0)
        }
    }

    @Test func twoTriggersAreIndependentDeployments() throws {
        var fleet = TestFleet.simulation()
        let first = try fleet.trigger(at: t0)
        let second = try fleet.trigger(at: t0)
        #expect(first != second)
        #expect(fleet.deployments.count == 2)
    }

    @Test func hostsRollOutWithBoundedConcurrencyAndAllFinishInTime() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        var sawRunning = false
        for second in stride(from: Int64(0), through: 3600, by: 5) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            let deployment = try #require(fleet.deployment(id: id))
            let running = deployment.count(of: .running)
            #expect(running <= 3)
            if running > 0 { sawRunning = true }
            for operation in deployment.operations where operation.state.isFinished {
                let elapsed = operation.finishedAt!.milliseconds - operation.startedAt!.milliseconds
                #expect(elapsed <= 600_000)
            }
        }
        #expect(sawRunning)
        let finished = try #require(fleet.deployment(id: id))
        #expect(finished.operations.allSatisfy { $0.state == .succeeded || $0.state == .failed })
        // The tagged host always fails, so the deployment ends failed; the others are upgraded.
        #expect(finished.status == .failed)
        let failed = finished.operations.filter { $0.state == .failed }
        #expect(failed.map(\.hostname) == ["bad-prod-1"])
        #expect(failed[0].error.contains("datadog-agent 7.53.0"))
        #expect(fleet.host(agentKey: TestFleet.key("bad-prod-1"))?.agentVersion == "7.51.0")
        #expect(fleet.host(agentKey: TestFleet.key("db-prod-1"))?.agentVersion == "7.53.0")
    }

    @Test func statusMovesFromPendingToRunning() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 4))
        #expect(fleet.deployment(id: id)?.status == .pending)
        _ = fleet.advance(to: t0.plus(seconds: 5))
        #expect(fleet.deployment(id: id)?.status == .running)
        #expect(fleet.deployment(id: id)?.count(of: .running) == 3)
    }

    @Test func deploymentWithNoMatchingHostIsCompletedAndNotCancelable() throws {
        var fleet = TestFleet.simulation()
        let changes = try fleet.planDeployment(
            kind: .upgrade([PackageTarget(name: "datadog-agent", version: "7.53.0")]), filterQuery: "env:sandbox",
            now: t0)
        fleet.apply(changes)
        let deployment = try #require(fleet.deployments.last)
        #expect(deployment.status == .completed)
        #expect(throws: FleetError.deploymentNotCancelable(id: deployment.id, status: .completed)) {
            try fleet.planCancel(deploymentID: deployment.id, now: t0)
        }
    }

    @Test func estimatedEndMatchesTheActualEnd() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        let estimateAtCreation = try #require(fleet.deployment(id: id)).estimatedEndTime
        _ = fleet.advance(to: t0.plus(seconds: 90))
        let estimateMidway = try #require(fleet.deployment(id: id)).estimatedEndTime
        _ = fleet.advance(to: t0.plus(seconds: 7200))
        let done = try #require(fleet.deployment(id: id))
        let actualEnd = done.operations.compactMap(\.finishedAt).max()!
        #expect(estimateAtCreation == actualEnd)
        #expect(estimateMidway == actualEnd)
        #expect(done.estimatedEndTime == actualEnd)
    }

    @Test func sameSeedSameRolloutDifferentSeedDifferentIds() throws {
        func run(seed: UInt64) throws -> (String, [HostOperation]) {
            var fleet = TestFleet.simulation(seed: seed)
            let id = try fleet.trigger(at: t0)
            _ = fleet.advance(to: t0.plus(seconds: 7200))
            return (id, fleet.deployment(id: id)!.operations)
        }
        let first = try run(seed: 7)
        let again = try run(seed: 7)
        let other = try run(seed: 8)
        #expect(first.0 == again.0)
        #expect(first.1 == again.1)
        #expect(first.0 != other.0)
    }

    @Test func failureRateOneFailsEveryHostAndZeroNone() throws {
        var settings = TestFleet.settings
        settings.failureRate = 1
        var failing = TestFleet.simulation(settings: settings)
        let id = try failing.trigger(at: t0)
        _ = failing.advance(to: t0.plus(seconds: 7200))
        #expect(failing.deployment(id: id)!.operations.allSatisfy { $0.state == .failed })
        #expect(failing.host(agentKey: TestFleet.key("web-prod-1"))?.agentVersion == "7.51.0")
    }

    @Test func advanceReportsEveryChangeItApplied() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        let changes = fleet.advance(to: t0.plus(seconds: 7200))
        let hostUpdates = changes.filter { if case .hostUpdated = $0 { return true } else { return false } }
        #expect(hostUpdates.count == 9)
        var replayed = TestFleet.simulation()
        _ = try replayed.trigger(at: t0)
        replayed.apply(changes)
        #expect(replayed.deployment(id: id) == fleet.deployment(id: id))
        #expect(replayed.hosts == fleet.hosts)
    }
}

@Suite struct CancelTests {
    let t0 = TestFleet.start

    @Test func pendingHostsStopAtOnceAndNothingIsRolledBack() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 100))
        let before = try #require(fleet.deployment(id: id))
        let succeededBefore = before.operations.filter { $0.state == .succeeded }.map(\.hostKey)
        #expect(!succeededBefore.isEmpty)
        #expect(before.count(of: .pending) > 0)

        let cancelAt = t0.plus(seconds: 100)
        try fleet.cancel(id, at: cancelAt)
        let after = try #require(fleet.deployment(id: id))
        #expect(after.status == .canceled)
        #expect(after.count(of: .pending) == 0)
        for key in succeededBefore {
            #expect(fleet.host(agentKey: key)?.agentVersion == "7.53.0")
        }
        for (old, new) in zip(before.operations, after.operations) where old.state == .pending {
            #expect(new.state == .canceled)
            #expect(new.finishedAt == cancelAt)
        }
    }

    @Test func inFlightHostsCompleteIfPastHalfwayOtherwiseAreInterrupted() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        // Find an instant at which one running host is past half-way and another is not.
        var cancelAt: Instant?
        for second in stride(from: Int64(6), through: 600, by: 1) {
            _ = fleet.advance(to: t0.plus(seconds: second))
            let running = fleet.deployment(id: id)!.operations.filter { $0.state == .running }
            let now = t0.plus(seconds: second)
            let progress = running.map {
                Double(now.milliseconds - $0.startedAt!.milliseconds) / Double($0.plannedDurationMilliseconds)
            }
            if progress.contains(where: { $0 >= 0.5 }) && progress.contains(where: { $0 < 0.5 }) {
                cancelAt = now
                break
            }
        }
        let time = try #require(cancelAt)
        let before = fleet.deployment(id: id)!
        try fleet.cancel(id, at: time)
        let interrupted = before.operations.indices.filter {
            before.operations[$0].state == .running
                && (time.milliseconds - before.operations[$0].startedAt!.milliseconds) * 2
                    < before.operations[$0].plannedDurationMilliseconds
        }
        let continuing = before.operations.indices.filter {
            before.operations[$0].state == .running && !interrupted.contains($0)
        }
        let afterCancel = fleet.deployment(id: id)!
        for position in interrupted {
            #expect(afterCancel.operations[position].state == .canceled)
            #expect(
                fleet.host(agentKey: afterCancel.operations[position].hostKey)?.agentVersion
                    == afterCancel.operations[position].initialVersions[0])
        }
        for position in continuing { #expect(afterCancel.operations[position].state == .running) }

        _ = fleet.advance(to: time.plus(seconds: 3600))
        let final = fleet.deployment(id: id)!
        #expect(final.status == .canceled)
        for position in continuing {
            #expect(final.operations[position].state == .succeeded || final.operations[position].state == .failed)
        }
        // No host that was pending at cancel time ever starts.
        for position in before.operations.indices where before.operations[position].state == .pending {
            #expect(final.operations[position].state == .canceled)
            #expect(final.operations[position].startedAt == nil)
        }
    }

    @Test func cancelingTwiceOrAFinishedDeploymentIsRefused() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        try fleet.cancel(id, at: t0.plus(seconds: 1))
        #expect(throws: FleetError.deploymentNotCancelable(id: id, status: .canceled)) {
            try fleet.planCancel(deploymentID: id, now: t0.plus(seconds: 2))
        }
        let other = try fleet.trigger(at: t0)
        _ = fleet.advance(to: t0.plus(seconds: 7200))
        #expect(throws: FleetError.deploymentNotCancelable(id: other, status: .failed)) {
            try fleet.planCancel(deploymentID: other, now: t0.plus(seconds: 7200))
        }
    }

    @Test func cancelOfUnknownDeploymentIsNotFound() {
        let fleet = TestFleet.simulation()
        #expect(throws: FleetError.deploymentNotFound(id: "abc")) { try fleet.planCancel(deploymentID: "abc", now: t0) }
    }

    @Test func planningChangesNothingUntilApplied() throws {
        var fleet = TestFleet.simulation()
        let id = try fleet.trigger(at: t0)
        _ = try fleet.planCancel(deploymentID: id, now: t0.plus(seconds: 1))
        _ = try fleet.planTrigger(scheduleID: TestFleet.prodSchedule.id, now: t0)
        #expect(fleet.deployment(id: id)?.status == .pending)
        #expect(fleet.deployments.count == 1)
    }
}

@Suite struct ConfigureTests {
    @Test func mergePatchAndDeleteApplyInOrderOnSuccess() throws {
        var fleet = TestFleet.simulation()
        let t0 = TestFleet.start
        let kind = DeploymentKind.configure([
            ConfigOperation(
                fileOp: .mergePatch, filePath: "/datadog.yaml",
                patch: .object(["log_level": .string("debug"), "apm_config": .object(["enabled": .bool(true)])])),
            ConfigOperation(fileOp: .mergePatch, filePath: "/conf.d/new.yaml", patch: .object(["a": .int(1)])),
            ConfigOperation(fileOp: .delete, filePath: "/conf.d/new.yaml", patch: nil),
        ])
        fleet.apply(try fleet.planDeployment(kind: kind, filterQuery: "host:web-staging-1", now: t0))
        _ = fleet.advance(to: t0.plus(seconds: 600))
        let host = try #require(fleet.host(agentKey: TestFleet.key("web-staging-1")))
        #expect(
            host.configFiles["/datadog.yaml"]
                == .object([
                    "log_level": .string("debug"), "apm_config": .object(["enabled": .bool(true)]),
                ]))
        #expect(host.configFiles["/conf.d/new.yaml"] == nil)
    }
}
