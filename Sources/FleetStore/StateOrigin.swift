/// The fixtures (how they were named, and a digest of their `fleet.json`) and the seed a state was made from.
public struct StateOrigin: Equatable, Sendable {
    public var fixtures: String
    public var fixturesDigest: UInt64
    public var seed: UInt64

    public init(fixtures: String, fixturesDigest: UInt64, seed: UInt64) {
        self.fixtures = fixtures
        self.fixturesDigest = fixturesDigest
        self.seed = seed
    }
}
