import FleetDomain

/// Seeded mutations of a document, for the randomised tests of readers that must refuse bad input
/// with a typed error: each copy has `1...editBound` edits (a byte replaced, removed or inserted),
/// the new bytes drawn from `alphabet`.
func mutations(of seed: [UInt8], alphabet: [UInt8], count: Int, editBound: UInt64, randomSeed: UInt64) -> [[UInt8]] {
    var random = SeededRandom(seed: randomSeed)
    return (0..<count).map { _ in
        var document = seed
        for _ in 0...(random.next() % editBound) {
            let position = Int(random.next() % UInt64(document.count))
            switch random.next() % 3 {
            case 0: document[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            case 1: document.remove(at: position)
            default: document.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
            }
        }
        return document
    }
}
