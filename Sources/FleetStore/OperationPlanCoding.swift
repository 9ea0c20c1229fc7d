import CSQLite
import FleetDomain
import FleetJSON
import Glibc

/// A deployment's host plan, as stored in its row: what each host will do, before any starts.
///
/// Written as a blob: a format byte, the operation count, then per operation the host, the planned
/// duration in milliseconds, a flags byte (1: planned to fail, 2: a planned error follows, 4:
/// skipped when the deployment was created; a bit older plans never set, so no migration), the
/// initial versions (count, then each), and the planned error if any. The host is its position in
/// the fleet (format 2; a store's fleet never reorders, and a reset replaces plans with it), or
/// its key and hostname when a position is not known (format 1, also every plan from before
/// format 2). Numbers are LEB128 varints; strings are a varint byte length and their UTF-8. A
/// 100-host plan is about 1 KB in format 2, 7 KB in format 1 (and a row over a page long spills
/// into overflow pages).
///
/// Stored before: `[[host_key, hostname, planned_duration_ms, planned_to_fail (0/1),
/// [initial versions], planned_error?], ...]` as JSON text.
enum OperationPlanCoding {
    static let keyedFormat: UInt8 = 1
    static let positionalFormat: UInt8 = 2

    static func encode(_ operations: [HostOperation]) -> [UInt8] {
        // By position (see HostOperation).
        let positional = operations.indices.allSatisfy { operations[$0].hostPosition >= 0 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + (positional ? 16 : 80) * operations.count)
        bytes.append(positional ? positionalFormat : keyedFormat)
        appendVarint(UInt64(operations.count), to: &bytes)
        for position in operations.indices {
            if positional {
                appendVarint(UInt64(operations[position].hostPosition), to: &bytes)
            } else {
                appendString(operations[position].hostKey, to: &bytes)
                appendString(operations[position].hostname, to: &bytes)
            }
            appendVarint(UInt64(max(0, operations[position].plannedDurationMilliseconds)), to: &bytes)
            let plannedError = operations[position].plannedError
            bytes.append(
                (operations[position].plannedToFail ? 1 : 0) | (plannedError != nil ? 2 : 0)
                    | (operations[position].state == .skipped ? 4 : 0))
            appendVarint(UInt64(operations[position].initialVersions.count), to: &bytes)
            for version in operations[position].initialVersions { appendString(version, to: &bytes) }
            if let plannedError { appendString(plannedError, to: &bytes) }
        }
        return bytes
    }

    /// What plans read one after another share: a host's key and name are the fleet's own strings
    /// (a restart with 330,000 host operations over 100,000 hosts held a copy of both per
    /// operation: 57 of its 219 MB), and equal version lists one array. A plan lists its hosts in
    /// fleet order, so the next operation's host is nearly always the one after the last one's: a
    /// comparison, not a lookup (hashing every key cost more than the copies).
    struct SharedTexts {
        private let hosts: [SimulatedHost]
        private var nextHost = 0
        private var hostIndexByKey: [String: Int]?
        fileprivate var versionLists = SharedDecodings<[String]>()

        init(hosts: [SimulatedHost] = []) {
            self.hosts = hosts
        }

        /// A new plan: its first host is looked for from the fleet's start.
        fileprivate mutating func startPlan() {
            nextHost = 0
        }

        /// The key and name of the host at `position`, nil if there is none.
        fileprivate func host(at position: Int) -> (key: String, name: String)? {
            guard position >= 0, position < hosts.count else { return nil }
            return (hosts[position].agentKey, hosts[position].hostname)
        }

        /// The position of the fleet's host with this key and name, nil if no host has both. The
        /// hosts just ahead are compared first (a plan of a tenth of the fleet skips about ten
        /// each time).
        fileprivate mutating func hostPosition(key: ArraySlice<UInt8>, name: ArraySlice<UInt8>) -> Int? {
            for index in nextHost..<min(nextHost + 64, hosts.count) where Self.equal(hosts[index].agentKey, key) {
                guard Self.equal(hosts[index].hostname, name) else { return nil }
                nextHost = index + 1
                return index
            }
            guard !hosts.isEmpty else { return nil }
            if hostIndexByKey == nil {
                hostIndexByKey = Dictionary(
                    hosts.indices.map { (hosts[$0].agentKey, $0) }, uniquingKeysWith: { first, _ in first })
            }
            guard let index = hostIndexByKey?[String(decoding: key, as: UTF8.self)],
                Self.equal(hosts[index].hostname, name)
            else { return nil }
            nextHost = index + 1
            return index
        }

        private static func equal(_ text: String, _ bytes: ArraySlice<UInt8>) -> Bool {
            var text = text  // `withUTF8` wants a var; a native string is not copied
            return text.withUTF8 { utf8 in
                bytes.withUnsafeBytes { raw in
                    utf8.count == raw.count
                        && (raw.isEmpty || memcmp(utf8.baseAddress!, raw.baseAddress!, raw.count) == 0)
                }
            }
        }
    }

    static func decode(_ stored: [UInt8]) throws(SQLiteError) -> [HostOperation] {
        var shared = SharedTexts()
        return try decode(stored, sharing: &shared)
    }

    static func decode(_ stored: [UInt8], sharing shared: inout SharedTexts) throws(SQLiteError) -> [HostOperation] {
        if stored.first == UInt8(ascii: "[") { return try decodeJSON(stored) }
        var reader = Reader(bytes: stored)
        let format = reader.byte()
        guard format == keyedFormat || format == positionalFormat else { throw corrupt("unknown plan format") }
        shared.startPlan()
        let count = try reader.varint()
        guard count <= UInt64(stored.count) else { throw corrupt("the plan's count exceeds its size") }
        var operations: [HostOperation] = []
        operations.reserveCapacity(Int(count))
        for _ in 0..<count {
            let hostKey: String
            let hostname: String
            var hostPosition = -1
            if format == positionalFormat {
                let position = try reader.varint()
                guard position < UInt64(Int.max), let host = shared.host(at: Int(position)) else {
                    throw corrupt("a plan names a host the fleet has not")
                }
                (hostKey, hostname, hostPosition) = (host.key, host.name, Int(position))
            } else {
                let keyRange = try reader.stringRange()
                let nameRange = try reader.stringRange()
                if let position = shared.hostPosition(key: stored[keyRange], name: stored[nameRange]),
                    let host = shared.host(at: position)
                {
                    (hostKey, hostname, hostPosition) = (host.key, host.name, position)
                } else {
                    hostKey = String(decoding: stored[keyRange], as: UTF8.self)
                    hostname = String(decoding: stored[nameRange], as: UTF8.self)
                }
            }
            let duration = try reader.varint()
            guard let flags = reader.byte(), duration <= UInt64(Int64.max) else {
                throw corrupt("a plan entry is cut short")
            }
            let versionCount = try reader.varint()
            guard versionCount <= UInt64(stored.count) else { throw corrupt("a version count exceeds the plan's size") }
            let versionsStart = reader.offset
            for _ in 0..<versionCount { try reader.skipString() }
            let versionsText = JSONText(stored[versionsStart..<reader.offset])
            let versions = try shared.versionLists.value(for: versionsText) { () throws(SQLiteError) -> [String] in
                var versionReader = Reader(bytes: stored, offset: versionsStart)
                var versions: [String] = []
                for _ in 0..<versionCount { versions.append(try versionReader.string()) }
                return versions
            }
            let plannedError = flags & 2 != 0 ? try reader.string() : nil
            operations.append(
                HostOperation(
                    hostKey: hostKey, hostname: hostname, hostPosition: hostPosition,
                    state: flags & 4 != 0 ? .skipped : .pending, plannedDurationMilliseconds: Int64(duration),
                    plannedToFail: flags & 1 != 0, plannedError: plannedError, initialVersions: versions))
        }
        guard reader.atEnd else { throw corrupt("bytes follow the plan") }
        return operations
    }

    private static func decodeJSON(_ text: [UInt8]) throws(SQLiteError) -> [HostOperation] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw corrupt("\(error)")
        }
        return (value.arrayValue ?? []).map { item in
            let fields = item.arrayValue ?? []
            func field(_ index: Int) -> JSONValue { index < fields.count ? fields[index] : .null }
            return HostOperation(
                hostKey: field(0).stringValue ?? "", hostname: field(1).stringValue ?? "",
                plannedDurationMilliseconds: field(2).intValue ?? 0, plannedToFail: field(3).intValue == 1,
                plannedError: field(5).stringValue,
                initialVersions: field(4).arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    private static func corrupt(_ reason: String) -> SQLiteError {
        SQLiteError(code: SQLITE_CORRUPT, message: "stored plan is unreadable: \(reason)", context: "loading")
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        appendVarint(UInt64(text.utf8.count), to: &bytes)
        bytes.appendUTF8(of: text)
    }

    /// Reads the blob front to back; every read checks the bytes left.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(SQLiteError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = byte() {
                guard shift < 64 else { break }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw OperationPlanCoding.corrupt("a number is cut short")
        }

        mutating func string() throws(SQLiteError) -> String {
            let range = try stringRange()
            return String(decoding: bytes[range], as: UTF8.self)
        }

        mutating func skipString() throws(SQLiteError) {
            _ = try stringRange()
        }

        mutating func stringRange() throws(SQLiteError) -> Range<Int> {
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else {
                throw OperationPlanCoding.corrupt("a string is cut short")
            }
            let end = offset + Int(length)
            defer { offset = end }
            return offset..<end
        }
    }
}
