/// Facts about a deployment's progress that the v2 surface reports: when it started and ended, and
/// how many hosts are in each state.
extension Deployment {
    /// When the first host started; nil before that.
    public var startedAt: Instant? {
        rolloutIndex.earliestStart
    }

    /// When the last host finished, once every host has; nil while any is pending or running.
    public var finishedAt: Instant? {
        guard !operations.isEmpty else { return canceledAt ?? createdAt }
        guard count(of: .pending) + count(of: .running) == 0 else { return nil }
        return rolloutIndex.latestFinish
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
}
