/// SplitMix64: a tiny, fast generator whose whole state is one integer, so it can be persisted
/// after every draw and a restart continues the same sequence.
public struct SeededRandom: RandomNumberGenerator, Equatable, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A uniform draw in [0, 1).
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A version 4 UUID in canonical lowercase form, drawn from this generator.
    public mutating func nextUUID() -> String {
        // The version (4) and the RFC 4122 variant (10) in their bits.
        let high = (next() & ~0xF000) | 0x4000
        let low = (next() & ~(0xC0 << 56)) | (0x80 << 56)
        // Written as bytes into the string's own storage: appending Characters one by one cost a
        // sixth of planning a trigger.
        return String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = index < 8 ? high : low
                let byte = UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(index % 8)))
                text[position] = Self.hexDigit(byte >> 4)
                text[position + 1] = Self.hexDigit(byte & 0x0F)
                position += 2
            }
            return position
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
