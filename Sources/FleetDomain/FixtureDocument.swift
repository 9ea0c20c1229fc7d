import FleetJSON

/// `fleet.json`'s text, checked as JSON and split at its top level without a tree of it (a
/// 100,000-host fleet is 45 MB): every member but `hosts` parsed, and where each host object is.
/// The whole text is checked here, so a syntax error anywhere is reported before any field's.
public struct FixtureDocument: Sendable {
    static let path = "fleet"

    public let bytes: [UInt8]
    let members: [String: JSONValue]
    let hostsOffset: Int?
    /// Where each host object is, when `hosts` is an array: enough for a store to write the hosts'
    /// text while they are being read from it.
    public let hostsText: HostsText?

    public init(json bytes: [UInt8]) throws(FixtureError) {
        self.bytes = bytes
        var scanner = JSONScanner(bytes)
        var members: [String: JSONValue] = [:]
        var hostsOffset: Int?
        var hostRanges: [Range<Int>]?
        do {
            guard scanner.kind == .object else {
                try scanner.skip()
                try scanner.finish()
                throw FixtureError(path: Self.path, reason: "must be an object")
            }
            if try scanner.enterObject() {
                repeat {
                    let name = try scanner.key()
                    guard name == "hosts" else {
                        members[name] = try scanner.value()
                        continue
                    }
                    hostsOffset = scanner.offset
                    hostRanges = nil
                    guard scanner.kind == .array else {
                        try scanner.skip()
                        continue
                    }
                    var ranges: [Range<Int>] = []
                    if try scanner.enterArray() {
                        repeat { ranges.append(try scanner.skip()) } while try scanner.nextElement()
                    }
                    hostRanges = ranges
                } while try scanner.nextMember()
            }
            try scanner.finish()
        } catch let error as FixtureError {
            throw error
        } catch {
            throw FixtureError(path: Self.path, reason: "is not valid JSON: \(error)")
        }
        self.members = members
        self.hostsOffset = hostsOffset
        hostsText = hostRanges.map { HostsText(bytes: bytes, hostRanges: $0) }
    }
}

/// Hosts as JSON text: a document's bytes and where each host object is in them, in fleet order.
public struct HostsText: Sendable {
    public let bytes: [UInt8]
    public let hostRanges: [Range<Int>]

    public init(bytes: [UInt8], hostRanges: [Range<Int>]) {
        self.bytes = bytes
        self.hostRanges = hostRanges
    }
}
