import FleetDomain
import Testing

@Suite struct SeededRandomTests {
    /// The UUID as first written (bytes, then Characters appended one by one): ids already stored
    /// and tests' expectations depend on the sequence, so the faster writer must match it.
    private func referenceUUID(_ random: inout SeededRandom) -> String {
        let high = random.next()
        let low = random.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef")
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append("-") }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return text
    }

    @Test func uuidsFollowTheGeneratorAsTheyAlwaysHave() {
        for seed: UInt64 in [0, 1, 42, 0xFFFF_FFFF_FFFF_FFFF, 20_261_130] {
            var random = SeededRandom(seed: seed)
            var reference = SeededRandom(seed: seed)
            for _ in 0..<500 {
                let uuid = random.nextUUID()
                #expect(uuid == referenceUUID(&reference))
                #expect(random == reference)  // two draws each
            }
        }
    }

    @Test func uuidsAreVersion4InCanonicalForm() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let uuid = Array(random.nextUUID().utf8)
            #expect(uuid.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { uuid[$0] == UInt8(ascii: "-") })
            #expect(uuid[14] == UInt8(ascii: "4"))
            #expect(Array("89ab".utf8).contains(uuid[19]))
            #expect(
                uuid.enumerated().allSatisfy { offset, byte in
                    [8, 13, 18, 23].contains(offset) || Array("0123456789abcdef".utf8).contains(byte)
                })
        }
    }
}
