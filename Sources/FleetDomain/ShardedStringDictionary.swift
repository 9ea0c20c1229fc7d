/// A `[String: Value]` split into 64 dictionaries by the key's last bytes, so that growing one
/// rehashes a 64th of the keys.
///
/// A single dictionary of deployment ids rehashed all of them when it grew: at 98,304 ids that
/// held the loop 47 ms (string hashing), delaying every request of the pass. The split costs one
/// small hash of at most eight bytes per lookup.
struct ShardedStringDictionary<Value> {
    private static var shardBits: Int { 6 }
    private var shards = [[String: Value]](repeating: [:], count: 1 << shardBits)
    private(set) var count = 0

    subscript(key: String) -> Value? {
        get { shards[Self.shard(of: key)][key] }
        set {
            let shard = Self.shard(of: key)
            if let newValue {
                if shards[shard].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if shards[shard].removeValue(forKey: key) != nil {
                count -= 1
            }
        }
    }

    /// How many keys each shard holds: what keeps the split worth having is that they are even.
    var shardCounts: [Int] { shards.map(\.count) }

    /// Spreads room for `capacity` keys over the shards.
    mutating func reserveCapacity(_ capacity: Int) {
        guard capacity > 0 else { return }  // a new, empty simulation: no 64 allocations for nothing
        let perShard = capacity >> Self.shardBits + 1
        for shard in shards.indices { shards[shard].reserveCapacity(perShard) }
    }

    /// Fibonacci hashing of the key's last (at most) eight UTF-8 bytes: ids end in random
    /// characters (UUIDs), and any string still lands somewhere fixed.
    private static func shard(of key: String) -> Int {
        var tail: UInt64 = 0
        var taken = 0
        for byte in key.utf8.reversed() {
            tail = tail << 8 | UInt64(byte)
            taken += 1
            if taken == 8 { break }
        }
        return Int(truncatingIfNeeded: (tail &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - shardBits))
    }
}

extension ShardedStringDictionary: Sendable where Value: Sendable {}
