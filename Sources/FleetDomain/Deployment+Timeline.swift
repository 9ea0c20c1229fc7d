/// Facts about a deployment's progress that the v2 surface reports: when it started and ended, and
/// how many hosts are in each state.
extension Deployment {
    /// When the first host started; nil before that.
    public var startedAt: Instant? {
        rolloutIndex.earliestStart
    }

    /// When the last host finished, once every host has; nil while any is pending or running.
    /// A deployment with no host, or whose every host was skipped, finished when it was created.
    public var finishedAt: Instant? {
        guard count(of: .pending) + count(of: .running) == 0 else { return nil }
        return rolloutIndex.latestFinish ?? canceledAt ?? createdAt
    }

    /// A one-line account of the failures, for v2's `error_summary`; nil when no host failed.
    public var errorSummary: String? {
        guard let first = rolloutIndex.firstFailedPosition else { return nil }
        return "\(count(of: .failed)) of \(operations.count) hosts failed: \(operations[first].error)"
    }
}

extension HostOperation {
    /// What a running host is doing, for v2's `running_step`; empty unless running.
    public func runningStep(in deployment: Deployment) -> String {
        guard state == .running else { return "" }
        switch deployment.kind {
        case .upgrade(let targets):
            return "installing " + targets.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
        case .configure:
            return "applying configuration"
        }
    }

    /// Why a skipped host was left alone, for v2's `status_details`; empty unless skipped. An
    /// upgrade's host whose every package was at or above its target then says so; otherwise the
    /// host was busy with another deployment's operation.
    public func skipReason(in deployment: Deployment) -> String {
        guard state == .skipped else { return "" }
        if case .upgrade(let targets) = deployment.kind, initialVersions.count == targets.count,
            targets.indices.allSatisfy({
                FleetSimulation.isAtOrAbove(initialVersions[$0], AgentVersion(targets[$0].version))
            })
        {
            let installed = targets.indices.map { "\(targets[$0].name) \(initialVersions[$0])" }.joined(separator: ", ")
            let equal = targets.indices.allSatisfy {
                AgentVersion(initialVersions[$0]) == AgentVersion(targets[$0].version)
            }
            return equal
                ? "skipped: already at the target version (\(installed))"
                : "skipped: the installed version (\(installed)) is at or above the target; "
                    + "an upgrade never moves a package down"
        }
        return "skipped: the host was busy with another deployment's operation when this deployment was created"
    }
}
