/// Deployment planning: a trigger of a schedule, or a deployment of any kind, to every host its
/// query matches now. Like every command they validate, decide and return the changes; the caller
/// persists them and then applies them.
extension FleetSimulation {
    /// Trigger: a new deployment from the schedule's query, its version strategy and every host that
    /// matches now. The schedule itself is not modified, and an inactive schedule can be triggered.
    public func planTrigger(
        scheduleID: String, by author: String = "", forcedFailures: [String: String] = [:], now: Instant
    ) throws(FleetError) -> [FleetChange] {
        guard let schedule = schedule(id: scheduleID) else { throw FleetError.scheduleNotFound(id: scheduleID) }
        let version = try catalog.version(forVersionToLatest: schedule.versionToLatest)
        let targets = [PackageTarget(name: SimulatedHost.agentPackage, version: version.text)]
        return try planDeployment(
            kind: .upgrade(targets), filterQuery: schedule.query, scheduleID: schedule.id, author: author,
            forcedFailures: forcedFailures, now: now)
    }

    /// A new deployment of `kind` to every host `filterQuery` matches now.
    public func planDeployment(
        kind: DeploymentKind, filterQuery: String, scheduleID: String? = nil, author: String = "",
        rules: CreationRules = .unstable, forcedFailures: [String: String] = [:], now: Instant
    ) throws(FleetError) -> [FleetChange] {
        try kind.validate(catalog: catalog)
        let targets = try matchingHosts(filterQuery)
        var generator = random
        let id = generator.nextUUID()
        if rules.requireMatchingHosts, targets.isEmpty {
            throw FleetError.invalidField(
                path: "data.attributes.filter_query",
                reason: "'\(filterQuery)' matches no host eligible for the deployment")
        }
        if rules.refuseConcurrentUpgrades, case .upgrade = kind,
            let conflict = hostWithUpgradeInProgress(among: targets)
        {
            throw FleetError.upgradeInProgress(hostname: conflict.hostname, deploymentID: conflict.deploymentID)
        }
        var operations: [HostOperation] = []
        operations.reserveCapacity(targets.count)
        var initialVersionLists = InitialVersionLists(kind: kind, catalog: catalog)
        let durationSpan = UInt64(settings.operationDuration.upperBound - settings.operationDuration.lowerBound + 1)
        for index in targets {
            // Fields read through the array, not `let host = hosts[index]`: a host copy retains and
            // releases a dozen references.
            // Both draws happen for every host, so the failure rate never shifts other outcomes.
            let duration = settings.operationDuration.lowerBound + Int64(generator.next() % durationSpan)
            let randomFailure = generator.nextUnitInterval() < settings.failureRate
            let (initialVersions, atTarget) = initialVersionLists.list(forHostAt: index, in: hosts)
            // One operation per host at a time: a host busy with another deployment is skipped,
            // as is an upgrade's host already at (or above) the target version.
            let skipped = atTarget || activeOperation(ofHost: index) != nil
            let forcedError = forcedFailures.isEmpty || skipped ? nil : forcedFailures[hosts[index].agentKey]
            operations.append(
                HostOperation(
                    hostKey: hosts[index].agentKey, hostname: hosts[index].hostname, hostPosition: index,
                    state: skipped ? .skipped : .pending, finishedAt: skipped ? now : nil,
                    plannedDurationMilliseconds: duration,
                    plannedToFail: !skipped
                        && (hosts[index].failsEveryOperation || randomFailure || forcedError != nil),
                    plannedError: forcedError, initialVersions: initialVersions))
        }
        let deployment = Deployment(
            id: id, sequence: (deployments.last?.sequence ?? 0) + 1, kind: kind, filterQuery: filterQuery,
            createdAt: now, scheduleID: scheduleID, author: author, concurrency: settings.concurrency,
            startDelayMilliseconds: settings.startDelayMilliseconds, operations: operations)
        return [.deploymentCreated(deployment), .randomStateUpdated(generator.state)]
    }

    /// Positions of the hosts `filterQuery` matches, in fleet order; a 400 naming the place where
    /// the query does not parse.
    func matchingHosts(_ filterQuery: String) throws(FleetError) -> [Int] {
        if let known = matchedHostsByQuery[filterQuery] { return known }
        let query = try HostQuery.parse(filterQuery)
        // Fields, not `hosts[$0]`: passing the element copied every host (a dozen retains).
        return hosts.indices.filter { query.matches(name: hosts[$0].hostname, fields: hosts[$0].tags) }
    }

    /// How strict a new deployment's creation is: the v2 surface refuses a query that matches no
    /// host, and an upgrade of a host that another upgrade is still working on (409).
    public struct CreationRules: Sendable {
        public var requireMatchingHosts: Bool
        public var refuseConcurrentUpgrades: Bool

        public static let unstable = CreationRules(requireMatchingHosts: false, refuseConcurrentUpgrades: false)
        public static let v2 = CreationRules(requireMatchingHosts: true, refuseConcurrentUpgrades: true)
    }

    /// The first of `hosts` with a pending or running operation in an upgrade deployment that is
    /// itself pending or running.
    func hostWithUpgradeInProgress(among positions: [Int]) -> (hostname: String, deploymentID: String)? {
        for position in positions {
            guard let active = activeOperation(ofHost: position), deployments[active.deployment].isCancelable,
                case .upgrade = deployments[active.deployment].kind
            else { continue }
            return (hosts[position].hostname, deployments[active.deployment].id)
        }
        return nil
    }
}
