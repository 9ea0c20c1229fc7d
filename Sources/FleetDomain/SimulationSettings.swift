/// Knobs that shape new deployments. They are configuration, not state: a deployment keeps the
/// concurrency and durations it was created with.
public struct SimulationSettings: Equatable, Sendable {
    /// At most this many hosts of one deployment are in progress at once.
    public var concurrency: Int
    /// Probability that a host without the failure tag fails an operation.
    public var failureRate: Double
    /// Simulated time from creation to the first hosts starting.
    public var startDelayMilliseconds: Int64
    /// Each host operation takes a duration drawn uniformly from this range (milliseconds).
    public var operationDuration: ClosedRange<Int64>

    public static let defaultSeed: UInt64 = 20_260_101
    public static let standard = SimulationSettings(
        concurrency: 5, failureRate: 0, startDelayMilliseconds: 5_000, operationDuration: 20_000...120_000)

    public init(
        concurrency: Int, failureRate: Double, startDelayMilliseconds: Int64, operationDuration: ClosedRange<Int64>
    ) {
        self.concurrency = concurrency
        self.failureRate = failureRate
        self.startDelayMilliseconds = startDelayMilliseconds
        self.operationDuration = operationDuration
    }
}
