/// How host operations progress, as moto's managed state models it:
/// - `immediate`: every host operation completes at once (the usual choice in CI);
/// - `stepped`: operations advance only when simulated time is advanced (a frozen clock);
/// - `timed`: operations take their simulated durations as the clock runs (demos).
public enum ProgressPolicy: String, Sendable, CaseIterable {
    case immediate, stepped, timed

    /// New deployments' durations under this policy. A deployment keeps the durations it was
    /// created with, so switching policy never rewrites one in flight.
    public func settings(from standard: SimulationSettings) -> SimulationSettings {
        guard self == .immediate else { return standard }
        var settings = standard
        settings.startDelayMilliseconds = 0
        settings.operationDuration = 0...0
        return settings
    }
}
