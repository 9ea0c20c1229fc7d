import FleetJSON

/// Reads the YAML that Datadog's OpenAPI documents are written in into a `JSONValue`, for tests that
/// walk the spec: block mappings and sequences, `|`/`>` block scalars, quoted and plain scalars
/// (folded over several lines) and flow collections (`{name: id, in: path}`, `[]`). No anchors,
/// tags or multiple documents: the spec files use none, and a document that does is an error.
struct SpecYAML {
    struct Failure: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "YAML line \(line): \(reason)" }
    }

    private struct Line {
        var indent: Int
        var text: Substring
        let number: Int
    }

    private var lines: [Line] = []
    private var position = 0

    static func parse(_ text: String) throws -> JSONValue {
        var reader = SpecYAML()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let body = line.drop(while: { $0 == " " })
            reader.lines.append(Line(indent: line.count - body.count, text: body, number: index + 1))
        }
        reader.skipBlank()
        guard reader.position < reader.lines.count else { return .null }
        let value = try reader.node(indent: reader.lines[reader.position].indent)
        reader.skipBlank()
        if reader.position < reader.lines.count {
            throw Failure(line: reader.lines[reader.position].number, reason: "unexpected content")
        }
        return value
    }

    private func isBlank(_ line: Line) -> Bool {
        line.text.isEmpty || line.text.hasPrefix("#") || line.text == "---"
    }

    private mutating func skipBlank() {
        while position < lines.count, isBlank(lines[position]) { position += 1 }
    }

    private static func isSequenceItem(_ text: Substring) -> Bool {
        text == "-" || text.hasPrefix("- ")
    }

    /// The node whose first line is the current one, at `indent`.
    private mutating func node(indent: Int) throws -> JSONValue {
        skipBlank()
        let line = lines[position]
        if Self.isSequenceItem(line.text) { return try sequence(indent: line.indent) }
        if keySplit(line.text) != nil { return try mapping(indent: line.indent) }
        position += 1
        return try scalarOrFlow(String(line.text), continuingAbove: indent - 1, line: line.number)
    }

    private mutating func sequence(indent: Int) throws -> JSONValue {
        var items: [JSONValue] = []
        while true {
            skipBlank()
            guard position < lines.count, lines[position].indent == indent, Self.isSequenceItem(lines[position].text)
            else { break }
            let rest = lines[position].text.dropFirst(1).drop(while: { $0 == " " })
            if rest.isEmpty {
                position += 1
                skipBlank()
                items.append(
                    position < lines.count && lines[position].indent > indent
                        ? try node(indent: lines[position].indent) : .null)
            } else {
                // "- key: value" opens a mapping at the column after the dash: read it as that line.
                let column = indent + (lines[position].text.count - rest.count)
                lines[position] = Line(indent: column, text: rest, number: lines[position].number)
                items.append(try node(indent: column))
            }
        }
        return .array(items)
    }

    private mutating func mapping(indent: Int) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        while true {
            skipBlank()
            guard position < lines.count, lines[position].indent == indent, !Self.isSequenceItem(lines[position].text)
            else { break }
            let line = lines[position]
            guard let (key, rest) = keySplit(line.text) else {
                throw Failure(line: line.number, reason: "expected 'key: value'")
            }
            position += 1
            let value: JSONValue
            if rest.isEmpty {
                skipBlank()
                if position < lines.count,
                    lines[position].indent > indent
                        || (lines[position].indent == indent && Self.isSequenceItem(lines[position].text))
                {
                    value = try node(indent: lines[position].indent)
                } else {
                    value = .null
                }
            } else if let style = rest.first, style == "|" || style == ">" {
                value = .string(blockScalar(header: rest, parentIndent: indent))
            } else {
                value = try scalarOrFlow(String(rest), continuingAbove: indent, line: line.number)
            }
            members[key] = value
        }
        return .object(members)
    }

    /// The key of a `key: value` or `key:` line and what follows it, or nil if the line is not one.
    private func keySplit(_ text: Substring) -> (String, Substring)? {
        if let quote = text.first, quote == "'" || quote == "\"" {
            var scanner = FlowScanner(text: Array(text))
            guard let key = try? scanner.quoted() else { return nil }
            let after = text.dropFirst(scanner.index)
            guard after.first == ":" else { return nil }
            return (key, after.dropFirst().drop(while: { $0 == " " }))
        }
        if text.first == "{" || text.first == "[" { return nil }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " {
                    return (String(text[..<index]).trimmingSpaces(), text[next...].drop(while: { $0 == " " }))
                }
            }
            if text[index] == " ", text[text.index(after: index)...].hasPrefix("#") { return nil }
            index = text.index(after: index)
        }
        return nil
    }

    private mutating func blockScalar(header: Substring, parentIndent: Int) -> String {
        let folded = header.first == ">"
        let keep = header.contains("+")
        let strip = header.contains("-")
        var body: [Substring] = []
        var blockIndent: Int?
        while position < lines.count {
            let line = lines[position]
            if line.text.isEmpty {
                body.append("")
                position += 1
                continue
            }
            if line.indent <= parentIndent { break }
            let column = blockIndent ?? line.indent
            blockIndent = column
            body.append(Substring(String(repeating: " ", count: line.indent - column)) + line.text)
            position += 1
        }
        var trailing = 0
        while let last = body.last, last.isEmpty {
            body.removeLast()
            trailing += 1
        }
        var text = ""
        for (index, line) in body.enumerated() {
            if index > 0 {
                text += folded && !line.isEmpty && !body[index - 1].isEmpty && !line.hasPrefix(" ") ? " " : "\n"
            }
            text += line
        }
        if strip { return text }
        return text + (keep ? String(repeating: "\n", count: trailing + 1) : "\n")
    }

    /// A scalar or flow collection starting on the current line, with the lines indented more than
    /// `continuingAbove` that continue it (a plain scalar folded, a quote or bracket not yet closed).
    private mutating func scalarOrFlow(_ first: String, continuingAbove parentIndent: Int, line: Int) throws
        -> JSONValue
    {
        var text = first
        while position < lines.count, !lines[position].text.isEmpty, lines[position].indent > parentIndent,
            !lines[position].text.hasPrefix("#")
        {
            text += " " + lines[position].text
            position += 1
        }
        var scanner = FlowScanner(text: Array(text))
        do {
            let value = try scanner.value(inFlow: false)
            scanner.skipSpaces()
            guard scanner.index == scanner.text.count || scanner.text[scanner.index] == "#" else {
                throw Failure(line: line, reason: "unexpected text after a value")
            }
            return value
        } catch let failure as FlowScanner.Failure {
            throw Failure(line: line, reason: failure.reason)
        }
    }
}

/// Scalars and flow collections, character by character.
private struct FlowScanner {
    struct Failure: Error { let reason: String }

    let text: [Character]
    var index = 0

    mutating func skipSpaces() {
        while index < text.count, text[index] == " " { index += 1 }
    }

    mutating func value(inFlow: Bool) throws -> JSONValue {
        skipSpaces()
        guard index < text.count else { return .null }
        switch text[index] {
        case "{": return try flowMapping()
        case "[": return try flowSequence()
        case "'", "\"": return .string(try quoted())
        case "&", "*", "!": throw Failure(reason: "anchors, aliases and tags are not supported")
        default: return Self.resolve(plain(inFlow: inFlow, endingAtColon: false))
        }
    }

    mutating func quoted() throws -> String {
        let quote = text[index]
        index += 1
        var result = ""
        while index < text.count {
            let character = text[index]
            index += 1
            if character == quote {
                if quote == "'", index < text.count, text[index] == "'" {
                    result.append("'")
                    index += 1
                    continue
                }
                return result
            }
            if quote == "\"", character == "\\", index < text.count {
                let escaped = text[index]
                index += 1
                switch escaped {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\\", "\"", "/": result.append(escaped)
                default: result.append("\\"); result.append(escaped)
                }
                continue
            }
            result.append(character)
        }
        throw Failure(reason: "unterminated quoted scalar")
    }

    private mutating func plain(inFlow: Bool, endingAtColon: Bool) -> String {
        let start = index
        while index < text.count {
            let character = text[index]
            if inFlow, character == "," || character == "]" || character == "}" { break }
            if endingAtColon, character == ":", index + 1 == text.count || " ,]}".contains(text[index + 1]) { break }
            if character == "#", index > start, text[index - 1] == " " { break }
            index += 1
        }
        return String(text[start..<index]).trimmingSpaces()
    }

    private mutating func flowMapping() throws -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        while true {
            skipSpaces()
            guard index < text.count else { throw Failure(reason: "unterminated '{'") }
            if text[index] == "}" { index += 1; return .object(members) }
            let key =
                text[index] == "'" || text[index] == "\"" ? try quoted() : plain(inFlow: true, endingAtColon: true)
            skipSpaces()
            var value = JSONValue.null
            if index < text.count, text[index] == ":" {
                index += 1
                value = try self.value(inFlow: true)
            }
            members[key] = value
            skipSpaces()
            if index < text.count, text[index] == "," { index += 1 }
        }
    }

    private mutating func flowSequence() throws -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        while true {
            skipSpaces()
            guard index < text.count else { throw Failure(reason: "unterminated '['") }
            if text[index] == "]" { index += 1; return .array(items) }
            items.append(try value(inFlow: true))
            skipSpaces()
            if index < text.count, text[index] == "," { index += 1 }
        }
    }

    /// YAML 1.2 core schema: null, booleans, integers and floats; anything else is a string.
    static func resolve(_ plain: String) -> JSONValue {
        switch plain {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let digits = plain.first == "-" || plain.first == "+" ? plain.dropFirst() : Substring(plain)
        if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int64(plain) {
            return .int(number)
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), digits != ".",
            let number = Double(plain)
        {
            return .double(number)
        }
        return .string(plain)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
