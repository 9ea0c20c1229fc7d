/// Recursive-descent parser for host queries.
///
///     query   := or EOF
///     or      := and ("OR" and)*
///     and     := unary (["AND"] unary)*      adjacent terms are joined by an implicit AND
///     unary   := ("NOT" | "-") unary | primary
///     primary := "(" or ")" | term
///     term    := [key ":"] (value | "quoted value")
///
/// Operators are upper case, as in Datadog's search syntax. Errors name a 1-based character position.
struct HostQueryParser {
    private enum Token: Equatable {
        case open, close, and, or, not
        case term(key: String?, value: String)
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
        let query = try parseOr(depth: 0)
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
        case .not: return "'NOT'"
        case .term(let key?, let value): return "term '\(key):\(value)'"
        case .term(nil, let value): return "term '\(value)'"
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
            } else if character == "-" && (index + 1 < characters.count) && !characters[index + 1].isWhitespace {
                // A leading '-' negates the term that follows it.
                tokens.append((.not, position))
                index += 1
            } else {
                tokens.append((try readTerm(from: &index), position))
            }
        }
    }

    private func isTermBoundary(_ character: Character) -> Bool {
        character.isWhitespace || character == "(" || character == ")"
    }

    private mutating func readQuoted(from index: inout Int) throws(FleetError) -> String {
        let start = index + 1
        index += 1
        var value = ""
        while index < characters.count, characters[index] != "\"" {
            if characters[index] == "\\", index + 1 < characters.count {
                index += 1
            }
            value.append(characters[index])
            index += 1
        }
        guard index < characters.count else {
            throw failure(at: start, "unterminated quoted value")
        }
        index += 1
        return value
    }

    private mutating func readTerm(from index: inout Int) throws(FleetError) -> Token {
        let start = index
        if characters[index] == "\"" {
            return .term(key: nil, value: try readQuoted(from: &index))
        }
        var text = ""
        while index < characters.count, !isTermBoundary(characters[index]), characters[index] != "\"" {
            if characters[index] == ":" { break }
            text.append(characters[index])
            index += 1
        }
        if index < characters.count, characters[index] == ":" {
            guard !text.isEmpty else { throw failure(at: start + 1, "a tag key is missing before ':'") }
            index += 1
            if index < characters.count, characters[index] == "\"" {
                return .term(key: text, value: try readQuoted(from: &index))
            }
            var value = ""
            while index < characters.count, !isTermBoundary(characters[index]) {
                guard characters[index] != "\"" else { throw failure(at: index + 1, "unexpected '\"' inside a value") }
                value.append(characters[index])
                index += 1
            }
            guard !value.isEmpty else { throw failure(at: index + 1, "a value is missing after '\(text):'") }
            return .term(key: text, value: value)
        }
        if index < characters.count, characters[index] == "\"" {
            throw failure(at: index + 1, "unexpected '\"' inside a term")
        }
        switch text {
        case "AND": return .and
        case "OR": return .or
        case "NOT": return .not
        default: return .term(key: nil, value: text)
        }
    }

    // MARK: Grammar

    private static let maximumDepth = 64

    private var current: (token: Token, position: Int)? {
        cursor < tokens.count ? tokens[cursor] : nil
    }

    private mutating func parseOr(depth: Int) throws(FleetError) -> HostQuery {
        var query = try parseAnd(depth: depth)
        while let (token, _) = current, token == .or {
            cursor += 1
            query = .or(query, try parseAnd(depth: depth, after: "OR"))
        }
        return query
    }

    private mutating func parseAnd(depth: Int, after operatorName: String? = nil) throws(FleetError) -> HostQuery {
        var query = try parseUnary(depth: depth, after: operatorName)
        while let (token, _) = current {
            switch token {
            case .and:
                cursor += 1
                query = .and(query, try parseUnary(depth: depth, after: "AND"))
            case .open, .not, .term:
                query = .and(query, try parseUnary(depth: depth, after: nil))
            case .or, .close:
                return query
            }
        }
        return query
    }

    private mutating func parseUnary(depth: Int, after operatorName: String?) throws(FleetError) -> HostQuery {
        guard depth < Self.maximumDepth else {
            throw failure(at: current?.position ?? endPosition, "query nested deeper than \(Self.maximumDepth) levels")
        }
        guard let (token, position) = current else {
            let context = operatorName.map { " after '\($0)'" } ?? ""
            throw failure(at: endPosition, "expected a term\(context) but the query ended")
        }
        switch token {
        case .not:
            cursor += 1
            return .not(try parseUnary(depth: depth + 1, after: "NOT"))
        case .open:
            cursor += 1
            if let (next, nextPosition) = current, next == .close {
                throw failure(at: nextPosition, "empty parentheses")
            }
            let inner = try parseOr(depth: depth + 1)
            guard let (closing, _) = current, closing == .close else {
                throw failure(at: position, "unbalanced '(': no matching ')'")
            }
            cursor += 1
            return inner
        case .term(let key, let value):
            cursor += 1
            // Keys match case-insensitively: fold them once here, not at every match.
            return .term(key: key?.lowercased(), pattern: WildcardPattern(value))
        case .and, .or, .close:
            let context = operatorName.map { " after '\($0)'" } ?? ""
            throw failure(at: position, "expected a term\(context) but found \(describe(token))")
        }
    }
}
