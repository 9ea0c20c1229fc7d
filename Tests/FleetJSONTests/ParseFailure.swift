import FleetJSON

/// Where and why a read stopped, to compare with what a test expects (`JSONParseError`'s own
/// initialiser is internal to FleetJSON).
struct ParseFailure: Equatable, CustomStringConvertible {
    let offset: Int
    let reason: String

    var description: String { "\(reason) at byte \(offset)" }
}

/// How `read` failed; nil when it succeeded. (Untyped `throws`: a closure inside `#expect` is
/// not inferred as throwing `JSONParseError`.)
func failure<Value>(of read: () throws -> Value) -> ParseFailure? {
    do {
        _ = try read()
        return nil
    } catch let error as JSONParseError {
        return ParseFailure(offset: error.offset, reason: error.reason)
    } catch {
        return ParseFailure(offset: -1, reason: "not a JSONParseError: \(error)")
    }
}
