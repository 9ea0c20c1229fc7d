import FleetDomain
import Testing

@Suite struct ISO8601Tests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_764_446_885_123, "2025-11-29T20:08:05.123Z"),
        (951_782_400_999, "2000-02-29T00:00:00.999Z"),
        (-1_000, "1969-12-31T23:59:59.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func formatsMillisecondsAsUTC(milliseconds: Int64, text: String) {
        #expect(ISO8601.format(Instant(milliseconds: milliseconds)) == text)
    }

    @Test func yearsPastFourDigitsStillFormat() {
        #expect(ISO8601.format(Instant(milliseconds: 253_402_300_800_000)) == "10000-01-01T00:00:00.000Z")
    }
}
