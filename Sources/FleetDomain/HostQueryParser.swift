/// Recursive-descent parser for host queries, after Datadog's search syntax.
///
///     query   := or EOF
///     or      := and ("OR" and)*
///     and     := unary (["AND"] unary)*      adjacent terms are joined by an implicit AND
///     unary   := ("NOT" | "-") unary | primary
///     primary := "(" or ")" | key ":(" or ")" | term
///     term    := [key ":"] value
///     key     := word | "quoted"
///     value   := word | "quoted"
///
/// Inside `key:( … )` the terms are values without a key; each becomes `key:value`. A word takes
/// `*` and `?` as wildcards and `\` as an escape (`\:`, `\ `, `\(`, `\*`, …: the next character is
/// itself); a quoted value has no wildcards and escapes only `\"` and `\\`. Datadog's other special
/// characters (`! [ ] { } < > = ~ ^ #`, `&&`, `||`) have no meaning here and must be escaped. The
/// operators are upper case. Errors name a 1-based character position.
struct HostQueryParser {
    private enum Token: Equatable {
        case open, close, and, or
        /// `NOT` or a leading `-`, as written.
        case not(String)
        /// `source` is the term as written, for messages.
        case term(key: String?, pattern: WildcardPattern, source: String)
        /// `key:` right before a `(`: the value group's key (the `(` is the next token).
        case group(key: String, source: String)
    }

    /// A value group being parsed: its key, folded, and how it was written.
    private struct Group {
        let key: String
        let source: String
    }

    /// A word or quoted text as read: what it says, its wildcards, and how it was written.
    private struct Text {
        var literal = ""
        var pieces: [WildcardPattern.Piece] = []
        /// Quoted or escaped anywhere: never an operator.
        var isVerbatim = false
        /// 1-based position of the first wildcard.
        var firstWildcard: Int?

        mutating func append(_ character: Character) {
            literal.append(character)
            if case .literal(let run) = pieces.last {
                pieces[pieces.count - 1] = .literal(run + String(character))
            } else {
                pieces.append(.literal(String(character)))
            }
        }

        var pattern: WildcardPattern { WildcardPattern(text: literal, pieces: pieces) }
    }

    private let source: String
    private let characters: [Character]
    private var tokens: [(token: Token, position: Int)] = []
    private var cursor = 0

    init(_ source: String) {
        self.source = source
        self.characters = Array(source)
    }

    mutating func parse() throws(FleetError) -> HostQuery {
        try tokenize()
        if tokens.isEmpty { return .all }
        let query = try parseOr(depth: 0, group: nil)
        if cursor < tokens.count {
            let (token, position) = tokens[cursor]
            if token == .close { throw failure(at: position, "unbalanced ')'") }
            throw failure(at: position, "unexpected \(describe(token))")
        }
        return query
    }

    private func failure(at position: Int, _ reason: String) -> FleetError {
        .invalidQuery(query: source, position: position, reason: reason)
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .open: return "'('"
        case .close: return "')'"
        case .and: return "'AND'"
        case .or: return "'OR'"
        case .not(let spelling): return "'\(spelling)'"
        case .term(_, _, let source): return "term '\(source)'"
        case .group(_, let source): return "'\(source)('"
        }
    }

    private var endPosition: Int { characters.count + 1 }

    // MARK: Tokens

    private mutating func tokenize() throws(FleetError) {
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let position = index + 1
            if character.isWhitespace {
                index += 1
            } else if character == "(" {
                tokens.append((.open, position))
                index += 1
            } else if character == ")" {
                tokens.append((.close, position))
                index += 1
            } else if character == "-" {
                // A leading '-' excludes the term that follows it, written right after it.
                guard index + 1 < characters.count else {
                    throw failure(at: endPosition, "expected a term after '-' but the query ended")
                }
                guard !characters[index + 1].isWhitespace else {
                    throw failure(at: position, "'-' must be written right before the term it excludes")
                }
                tokens.append((.not("-"), position))
                index += 1
            } else {
                let (token, end) = try readTerm(from: index)
                tokens.append((token, position))
                index = end
            }
        }
    }

    private func isTermBoundary(_ character: Character) -> Bool {
        character.isWhitespace || character == "(" || character == ")"
    }

    /// A term, a value group's `key:` or an operator starting at `start`, and the index after it.
    private func readTerm(from start: Int) throws(FleetError) -> (Token, Int) {
        var index = start
        var key: Text
        if characters[index] == "\"" {
            key = try readQuoted(from: &index)
            guard index < characters.count, characters[index] == ":" else {
                return (.term(key: nil, pattern: key.pattern, source: written(start, index)), index)
            }
        } else {
            key = try readWord(from: &index, upToColon: true)
            guard index < characters.count, characters[index] == ":" else {
                if index < characters.count, characters[index] == "\"" {
                    throw failure(at: index + 1, "unexpected '\"' inside a term")
                }
                if !key.isVerbatim {
                    switch key.literal {
                    case "AND": return (.and, index)
                    case "OR": return (.or, index)
                    case "NOT": return (.not("NOT"), index)
                    default: break
                    }
                }
                return (.term(key: nil, pattern: key.pattern, source: written(start, index)), index)
            }
            guard !key.literal.isEmpty else { throw failure(at: index + 1, "a tag key is missing before ':'") }
            if let wildcard = key.firstWildcard {
                throw failure(at: wildcard, "a tag key cannot hold wildcards")
            }
        }
        index += 1  // the ':'
        let keyText = key.literal
        if index < characters.count, characters[index] == "(" {
            return (.group(key: keyText, source: written(start, index)), index)
        }
        let value: Text
        if index < characters.count, characters[index] == "\"" {
            value = try readQuoted(from: &index)
        } else {
            value = try readWord(from: &index, upToColon: false)
            if index < characters.count, characters[index] == "\"" {
                throw failure(at: index + 1, "unexpected '\"' inside a value")
            }
            guard !value.literal.isEmpty else {
                throw failure(at: index + 1, "a value is missing after '\(written(start, index))'")
            }
        }
        return (.term(key: keyText, pattern: value.pattern, source: written(start, index)), index)
    }

    private func written(_ start: Int, _ end: Int) -> String {
        String(characters[start..<end])
    }

    /// `"…"`: every character is itself; `\"` and `\\` (any `\x`) stand for the character.
    private func readQuoted(from index: inout Int) throws(FleetError) -> Text {
        let start = index + 1
        index += 1
        var text = Text(isVerbatim: true)
        while index < characters.count, characters[index] != "\"" {
            if characters[index] == "\\", index + 1 < characters.count {
                index += 1
            }
            text.append(characters[index])
            index += 1
        }
        guard index < characters.count else {
            throw failure(at: start, "unterminated quoted value")
        }
        index += 1
        return text
    }

    /// An unquoted word up to a boundary or a '"' (and, for a key, up to its first ':'; a value
    /// keeps later colons, as a tag does after its key).
    private func readWord(from index: inout Int, upToColon: Bool) throws(FleetError) -> Text {
        var text = Text()
        while index < characters.count {
            let character = characters[index]
            if isTermBoundary(character) || character == "\"" || (upToColon && character == ":") { break }
            let position = index + 1
            switch character {
            case "\\":
                guard index + 1 < characters.count else {
                    throw failure(at: position, "'\\' at the end of the query has nothing to escape")
                }
                index += 1
                text.isVerbatim = true
                text.append(characters[index])
            case "*", "?":
                if text.firstWildcard == nil { text.firstWildcard = position }
                text.literal.append(character)
                text.pieces.append(character == "*" ? .anyRun : .anyCharacter)
            case "[", "]", "{", "}", "<", ">":
                throw failure(
                    at: position,
                    "'\(character)' would start a range or comparison, which host queries do not support "
                        + "(write '\\\(character)' for the character)")
            case "!":
                throw failure(
                    at: position,
                    "'!' is not an operator here: negate with '-' or 'NOT' (write '\\!' for the character)")
            case "&", "|":
                if index + 1 < characters.count, characters[index + 1] == character {
                    let spelling = String(repeating: character, count: 2)
                    throw failure(
                        at: position,
                        "'\(spelling)' is not an operator here: use '\(character == "&" ? "AND" : "OR")' "
                            + "(write '\\\(character)' for the character)")
                }
                text.append(character)
            case "=", "~", "^", "#":
                throw failure(
                    at: position, "'\(character)' is a special character: write '\\\(character)' for the character")
            default:
                text.append(character)
            }
            index += 1
        }
        return text
    }

    // MARK: Grammar

    private static let maximumDepth = 64

    private var current: (token: Token, position: Int)? {
        cursor < tokens.count ? tokens[cursor] : nil
    }

    private mutating func parseOr(depth: Int, group: Group?) throws(FleetError) -> HostQuery {
        var query = try parseAnd(depth: depth, group: group)
        while let (token, _) = current, token == .or {
            cursor += 1
            query = .or(query, try parseAnd(depth: depth, group: group, after: "OR"))
        }
        return query
    }

    private mutating func parseAnd(depth: Int, group: Group?, after operatorName: String? = nil) throws(FleetError)
        -> HostQuery
    {
        var query = try parseUnary(depth: depth, group: group, after: operatorName)
        while let (token, _) = current {
            switch token {
            case .and:
                cursor += 1
                query = .and(query, try parseUnary(depth: depth, group: group, after: "AND"))
            case .open, .not, .term, .group:
                query = .and(query, try parseUnary(depth: depth, group: group, after: nil))
            case .or, .close:
                return query
            }
        }
        return query
    }

    private mutating func parseUnary(depth: Int, group: Group?, after operatorName: String?) throws(FleetError)
        -> HostQuery
    {
        guard depth < Self.maximumDepth else {
            throw failure(at: current?.position ?? endPosition, "query nested deeper than \(Self.maximumDepth) levels")
        }
        guard let (token, position) = current else {
            let context = operatorName.map { " after '\($0)'" } ?? ""
            throw failure(at: endPosition, "expected a term\(context) but the query ended")
        }
        switch token {
        case .not(let spelling):
            cursor += 1
            return .not(try parseUnary(depth: depth + 1, group: group, after: spelling))
        case .open:
            return try parseParenthesized(depth: depth, group: group)
        case .group(let key, let source):
            if let group { throw failure(at: position, "'\(group.source)(…)' holds values, not the key '\(source)'") }
            cursor += 1
            // Keys match case-insensitively: fold them once here, not at every match.
            return try parseParenthesized(depth: depth, group: Group(key: key.lowercased(), source: source))
        case .term(let key?, let pattern, let source):
            if let group { throw failure(at: position, "'\(group.source)(…)' holds values, not the term '\(source)'") }
            cursor += 1
            return .term(key: key.lowercased(), pattern: pattern)
        case .term(nil, let pattern, _):
            cursor += 1
            return .term(key: group?.key, pattern: pattern)
        case .and, .or, .close:
            let context = operatorName.map { " after '\($0)'" } ?? ""
            throw failure(at: position, "expected a term\(context) but found \(describe(token))")
        }
    }

    /// `( or )` at the cursor, inside `group`'s values when there is one.
    private mutating func parseParenthesized(depth: Int, group: Group?) throws(FleetError) -> HostQuery {
        let position = current?.position ?? endPosition
        cursor += 1
        if let (next, nextPosition) = current, next == .close {
            throw failure(at: nextPosition, "empty parentheses")
        }
        let inner = try parseOr(depth: depth + 1, group: group)
        guard let (closing, _) = current, closing == .close else {
            throw failure(at: position, "unbalanced '(': no matching ')'")
        }
        cursor += 1
        return inner
    }
}
