/// A parsed Datadog host query (`env:prod AND (service:web-* OR -region:eu-west-1)`).
///
/// Matching is case-insensitive, as Datadog tags are. `hostname:`/`host:` match the hostname; a
/// bare term matches the hostname, a whole tag or a tag's value.
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
                        || pattern.matchesFolded($0.foldedKey.isEmpty ? $0.foldedValue : $0.foldedKey + ":" + $0.foldedValue)
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
public struct WildcardPattern: Equatable, Sendable {
    private let characters: [Character]
    private let folded: String
    private let hasWildcards: Bool
    public let text: String

    public init(_ text: String) {
        self.text = text
        folded = text.lowercased()
        characters = Array(folded)
        hasWildcards = characters.contains("*") || characters.contains("?")
    }

    public func matches(_ candidate: String) -> Bool {
        matchesFolded(candidate.lowercased())
    }

    /// `candidate` already lowercased (tags fold theirs once).
    func matchesFolded(_ candidate: String) -> Bool {
        if !hasWildcards { return candidate == folded }
        let subject = Array(candidate)
        // Iterative glob with single-star backtracking: linear in practice, never exponential.
        var patternIndex = 0
        var subjectIndex = 0
        var starIndex = -1
        var starMatch = 0
        while subjectIndex < subject.count {
            if patternIndex < characters.count,
                characters[patternIndex] == "?" || characters[patternIndex] == subject[subjectIndex]
            {
                patternIndex += 1
                subjectIndex += 1
            } else if patternIndex < characters.count, characters[patternIndex] == "*" {
                starIndex = patternIndex
                starMatch = subjectIndex
                patternIndex += 1
            } else if starIndex >= 0 {
                patternIndex = starIndex + 1
                starMatch += 1
                subjectIndex = starMatch
            } else {
                return false
            }
        }
        while patternIndex < characters.count, characters[patternIndex] == "*" { patternIndex += 1 }
        return patternIndex == characters.count
    }
}
