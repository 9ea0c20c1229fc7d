/// Why the server could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}
