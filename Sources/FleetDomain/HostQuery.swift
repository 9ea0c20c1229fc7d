/// A parsed Datadog host query (`env:(prod OR staging) -service:web-*`), compiled once and then
/// evaluated per host without allocating.
///
/// Matching is case-insensitive, as Datadog tags are (they are lowercased when set). `hostname:`
/// and `host:` match the hostname; a bare term matches the hostname, a whole tag or a tag's value.
/// A value group `key:(a OR b)` is parsed into one term per value, each with that key.
public indirect enum HostQuery: Equatable, Sendable {
    /// The empty query: every host.
    case all
    case term(key: String?, pattern: WildcardPattern)
    case not(HostQuery)
    case and(HostQuery, HostQuery)
    case or(HostQuery, HostQuery)

    public static func parse(_ text: String) throws(FleetError) -> HostQuery {
        var parser = HostQueryParser(text)
        return try parser.parse()
    }

    public func matches(_ host: SimulatedHost) -> Bool {
        matches(name: host.hostname, fields: host.tags)
    }

    /// Matches any record seen as a name (what `hostname:`, `host:` and bare terms match) and
    /// `key:value` fields: hosts, tracers, deployments.
    public func matches(name: String, fields: [Tag]) -> Bool {
        switch self {
        case .all:
            return true
        case .not(let inner):
            return !inner.matches(name: name, fields: fields)
        case .and(let left, let right):
            return left.matches(name: name, fields: fields) && right.matches(name: name, fields: fields)
        case .or(let left, let right):
            return left.matches(name: name, fields: fields) || right.matches(name: name, fields: fields)
        case .term(let key?, let pattern):  // keys are folded when parsed
            if key == "hostname" || key == "host" {
                return pattern.matches(name)
            }
            return fields.contains { $0.foldedKey == key && pattern.matchesFolded($0.foldedValue) }
        case .term(nil, let pattern):
            return pattern.matches(name)
                || fields.contains {
                    pattern.matchesFolded($0.foldedValue)
                        || (!$0.foldedKey.isEmpty && pattern.matchesFolded(key: $0.foldedKey, value: $0.foldedValue))
                }
        }
    }

    /// The field keys the query names, lowercased, in order of first use (for endpoints that
    /// accept only some fields).
    public var keys: [String] {
        switch self {
        case .all, .term(nil, _): return []
        case .term(let key?, _): return [key.lowercased()]
        case .not(let inner): return inner.keys
        case .and(let left, let right), .or(let left, let right):
            let leftKeys = left.keys
            return leftKeys + right.keys.filter { !leftKeys.contains($0) }
        }
    }

    /// Whether the query has a bare term (no `key:`), which field-restricted endpoints refuse.
    public var hasBareTerm: Bool {
        switch self {
        case .all, .term(_?, _): return false
        case .term(nil, _): return true
        case .not(let inner): return inner.hasBareTerm
        case .and(let left, let right), .or(let left, let right): return left.hasBareTerm || right.hasBareTerm
        }
    }
}

/// A glob over one value: `*` matches any run of characters, `?` any one; case-insensitive.
///
/// Compiled once into lowercased UTF-8 bytes with the wildcards as codes above a byte, so a match
/// reads the candidate's own bytes and allocates nothing (unless a hostname has non-ASCII letters,
/// which are lowercased the slow way).
public struct WildcardPattern: Equatable, Sendable {
    /// One piece of a parsed value: text matched literally, or a wildcard.
    enum Piece: Equatable {
        case literal(String)
        case anyCharacter
        case anyRun
    }

    private static let anyCharacter: UInt16 = 0x100
    private static let anyRun: UInt16 = 0x101

    /// Lowercased UTF-8 bytes (0...255) and wildcard codes.
    private let units: [UInt16]
    /// The lowercased text when there is no wildcard: then a match is an equality.
    private let folded: String?
    /// The value as written (for `*` and `?` always wildcards, see `init(_:)`).
    public let text: String

    /// `*` and `?` are wildcards, every other character is itself.
    public init(_ text: String) {
        var pieces: [Piece] = []
        for character in text {
            switch character {
            case "*": pieces.append(.anyRun)
            case "?": pieces.append(.anyCharacter)
            default: pieces.append(.literal(String(character)))
            }
        }
        self.init(text: text, pieces: pieces)
    }

    /// A value from the query parser, which decides what is a wildcard (quoted and escaped `*`
    /// and `?` are not).
    init(text: String, pieces: [Piece]) {
        self.text = text
        var units: [UInt16] = []
        var literal = ""
        var hasWildcards = false
        for piece in pieces {
            switch piece {
            case .literal(let part):
                literal += part
                units.append(contentsOf: part.lowercased().utf8.map(UInt16.init))
            case .anyCharacter:
                hasWildcards = true
                units.append(Self.anyCharacter)
            case .anyRun:
                hasWildcards = true
                units.append(Self.anyRun)
            }
        }
        self.units = units
        folded = hasWildcards ? nil : literal.lowercased()
    }

    /// `candidate` in any case (a hostname).
    public func matches(_ candidate: String) -> Bool {
        var candidate = candidate
        let isASCII = candidate.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        guard isASCII else { return matchesFolded(candidate.lowercased()) }
        return candidate.withUTF8 { bytes in glob(ASCIIFoldingBytes(bytes: bytes)) }
    }

    /// `candidate` already lowercased (tags fold theirs once).
    func matchesFolded(_ candidate: String) -> Bool {
        if let folded { return candidate == folded }
        var candidate = candidate
        return candidate.withUTF8 { bytes in glob(Bytes(bytes: bytes)) }
    }

    /// The whole tag `key:value`, both already lowercased, without joining them.
    func matchesFolded(key: String, value: String) -> Bool {
        // Without wildcards only a tag of the pattern's length can match (a native string counts
        // its UTF-8 without reading it).
        if folded != nil, key.utf8.count + 1 + value.utf8.count != units.count { return false }
        var key = key
        var value = value
        return key.withUTF8 { keyBytes in
            value.withUTF8 { valueBytes in glob(JoinedTag(key: keyBytes, value: valueBytes)) }
        }
    }

    /// Iterative glob with single-star backtracking: linear in practice, never exponential. `?`
    /// takes one whole UTF-8 sequence.
    private func glob<Subject: GlobSubject>(_ subject: Subject) -> Bool {
        let count = subject.count
        var patternIndex = 0
        var subjectIndex = 0
        var starIndex = -1
        var starMatch = 0
        while subjectIndex < count {
            if patternIndex < units.count, units[patternIndex] == Self.anyCharacter {
                patternIndex += 1
                subjectIndex = subject.end(ofSequenceAt: subjectIndex)
            } else if patternIndex < units.count, units[patternIndex] == UInt16(subject[subjectIndex]) {
                patternIndex += 1
                subjectIndex += 1
            } else if patternIndex < units.count, units[patternIndex] == Self.anyRun {
                starIndex = patternIndex
                starMatch = subjectIndex
                patternIndex += 1
            } else if starIndex >= 0 {
                patternIndex = starIndex + 1
                starMatch = subject.end(ofSequenceAt: starMatch)
                subjectIndex = starMatch
            } else {
                return false
            }
        }
        while patternIndex < units.count, units[patternIndex] == Self.anyRun { patternIndex += 1 }
        return patternIndex == units.count
    }
}

/// The bytes a pattern is matched against.
private protocol GlobSubject {
    var count: Int { get }
    subscript(index: Int) -> UInt8 { get }
}

extension GlobSubject {
    /// The index after the UTF-8 sequence starting at `index`.
    func end(ofSequenceAt index: Int) -> Int {
        var next = index + 1
        while next < count, self[next] & 0xC0 == 0x80 { next += 1 }
        return next
    }
}

private struct Bytes: GlobSubject {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }
    subscript(index: Int) -> UInt8 { bytes[index] }
}

/// ASCII text read lowercased.
private struct ASCIIFoldingBytes: GlobSubject {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }
    subscript(index: Int) -> UInt8 {
        let byte = bytes[index]
        return byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}

/// `key`, `:`, `value` read as one text.
private struct JoinedTag: GlobSubject {
    let key: UnsafeBufferPointer<UInt8>
    let value: UnsafeBufferPointer<UInt8>
    var count: Int { key.count + 1 + value.count }
    subscript(index: Int) -> UInt8 {
        if index < key.count { return key[index] }
        if index == key.count { return UInt8(ascii: ":") }
        return value[index - key.count - 1]
    }
}
