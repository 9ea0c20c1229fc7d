import Testing

@testable import FleetDomain

/// The simulation's deployment storage (`ChunkedArray`) and id index (`ShardedStringDictionary`)
/// exist so that growing them never stalls the loop; these hold them to behaving exactly like the
/// array and dictionary they replace.
@Suite struct ChunkedStorageTests {
    /// A small linear congruential generator: the same "random" operations on every run.
    struct Steps {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33) % bound
        }
    }

    @Test func appendingAcrossChunksKeepsEveryElementInOrder() {
        var chunked = ChunkedArray<Int>()
        var plain: [Int] = []
        for value in 0..<(3 * 1024 + 17) {
            chunked.append(value * 7)
            plain.append(value * 7)
        }
        #expect(chunked.count == plain.count)
        #expect(Array(chunked) == plain)
        #expect(chunked.last == plain.last)
        #expect(Array(chunked[1020..<1030]) == Array(plain[1020..<1030]))
        #expect(Array(chunked.suffix(5).reversed()) == Array(plain.suffix(5).reversed()))
        #expect(ChunkedArray(plain) == chunked)
    }

    @Test func changesThroughTheSubscriptMatchAnArraysAndLeaveCopiesAlone() {
        var chunked = ChunkedArray(0..<2500)
        var plain = Array(0..<2500)
        let copy = chunked
        var steps = Steps(state: 7)
        for _ in 0..<500 {
            let position = steps.next(plain.count)
            let value = steps.next(1000)
            chunked[position] += value
            plain[position] += value
        }
        chunked.swapAt(0, 2499)
        plain.swapAt(0, 2499)
        #expect(Array(chunked) == plain)
        #expect(Array(copy) == Array(0..<2500))
    }

    final class Box {}
    struct Holder { var box = Box() }

    /// A deployment changed in place keeps its host operations' storage: a get-then-set would hold
    /// a second reference to it during the change and force a copy.
    @Test func theSubscriptChangesAnElementInPlace() {
        var chunked = ChunkedArray([Holder(), Holder()])
        #expect(isKnownUniquelyReferenced(&chunked[1].box))
    }

    @Test func shardedDictionaryMatchesADictionary() {
        var sharded = ShardedStringDictionary<Int>()
        var plain: [String: Int] = [:]
        let keys =
            ["", "a", "ab", "é", "deployment-1", "deployment-2", "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"]
            + (0..<300).map { "key-\($0)" }
        var steps = Steps(state: 11)
        for round in 0..<3000 {
            let key = keys[steps.next(keys.count)]
            if steps.next(4) == 0 {
                sharded[key] = nil
                plain[key] = nil
            } else {
                sharded[key] = round
                plain[key] = round
            }
        }
        #expect(sharded.count == plain.count)
        for key in keys { #expect(sharded[key] == plain[key], "\(key)") }
        #expect(sharded["never stored"] == nil)
    }

    @Test func uuidKeysSpreadEvenlyOverTheShards() {
        var random = SeededRandom(seed: 42)
        var sharded = ShardedStringDictionary<Int>()
        sharded.reserveCapacity(6400)
        for index in 0..<6400 { sharded[random.nextUUID()] = index }
        let counts = sharded.shardCounts
        #expect(counts.reduce(0, +) == 6400)
        // 100 a shard on average; a skewed split (all in a few shards) would bring the stall back.
        #expect(counts.min()! > 50 && counts.max()! < 160, "\(counts)")
    }
}
