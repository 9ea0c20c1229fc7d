import FleetDomain

/// Maps a method and a path to a route of the table and its path parameters.
///
/// The path is split into segments first and each segment percent-decoded after, so an encoded
/// `/` or a `..` inside an id stays inside that id's segment and never changes the route.
public struct Router: Sendable {
    public struct Match: Sendable {
        public let route: Route
        /// Decoded path parameters by name; nil where the segment's percent-encoding was invalid.
        public let parameters: [String: String?]

        public var operation: Operation { route.operation }
    }

    private enum Segment: Sendable {
        /// A fixed segment, as UTF-8 bytes.
        case literal([UInt8])
        case parameter(String)
    }

    private struct CompiledRoute: Sendable {
        let route: Route
        let segments: [Segment]
    }

    private let routes: [CompiledRoute]
    /// Routes by their number of segments, each list in table order: a path is only compared with
    /// routes as long as it is.
    private let routesBySegmentCount: [Int: [CompiledRoute]]

    public static let fleet = Router(Route.table)

    init(_ table: [Route]) {
        routes = table.map { route in
            let segments = route.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                part -> Segment in
                part.hasPrefix("{") ? .parameter(String(part.dropFirst().dropLast())) : .literal(Array(part.utf8))
            }
            return CompiledRoute(route: route, segments: segments)
        }
        routesBySegmentCount = Dictionary(grouping: routes, by: \.segments.count)
    }

    /// The path's segments after each `/`, still percent-encoded (what comes before the first `/`
    /// is no segment). Substrings of the path: nothing is copied.
    private static func rawSegments(of path: String) -> [Substring] {
        var segments: [Substring] = []
        segments.reserveCapacity(8)
        let utf8 = path.utf8
        guard var start = utf8.firstIndex(of: UInt8(ascii: "/")) else { return [] }
        start = utf8.index(after: start)
        while let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/")) {
            segments.append(path[start..<slash])
            start = utf8.index(after: slash)
        }
        segments.append(path[start...])
        return segments
    }

    /// Whether a raw segment, once percent-decoded, is `literal`. Most segments have no escape and
    /// are compared as they are.
    private static func segment(_ raw: Substring, is literal: [UInt8]) -> Bool {
        if !raw.utf8.contains(UInt8(ascii: "%")) { return raw.utf8.elementsEqual(literal) }
        return PercentDecoding.decode(raw, plusAsSpace: false).map { $0.utf8.elementsEqual(literal) } ?? false
    }

    /// The route for `method` on `path`, `routeNotFound`, or `methodNotAllowed` when the path
    /// exists for other methods. `path` excludes the query string.
    public func match(method: String, path: String) throws(APIError) -> Match {
        let raw = Self.rawSegments(of: path)
        var allowed: [String] = []
        for route in routesBySegmentCount[raw.count] ?? [] {
            var matches = true
            for (segment, value) in zip(route.segments, raw) {
                if case .literal(let literal) = segment, !Self.segment(value, is: literal) {
                    matches = false
                    break
                }
            }
            guard matches else { continue }
            if route.route.method == method || (method == "HEAD" && route.route.method == "GET") {
                var parameters: [String: String?] = [:]
                for (segment, value) in zip(route.segments, raw) {
                    if case .parameter(let name) = segment {
                        parameters[name] = PercentDecoding.decode(value, plusAsSpace: false)
                    }
                }
                return Match(route: route.route, parameters: parameters)
            }
            allowed.append(route.route.method)
        }
        if !allowed.isEmpty {
            throw APIError.methodNotAllowed(method: method, path: path, allowed: allowed)
        }
        throw APIError.routeNotFound(method: method, path: path, nearest: nearestRoute(method: method, path: path))
    }
}

extension Router {
    /// The route a path that matched nothing came closest to (`POST /api/.../{id}/cancel`): segment
    /// by segment, a parameter matches anything, a literal costs its edit distance over its length
    /// (and more than half a word wrong is no near miss), a missing or extra segment costs one,
    /// another method half. Nothing within a total of one: no hint.
    public func nearestRoute(method: String, path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var best: (cost: Double, text: String)?
        for route in routes {
            var cost = Double(abs(route.segments.count - segments.count))
            for (segment, value) in zip(route.segments, segments) {
                if case .literal(let bytes) = segment, !value.utf8.elementsEqual(bytes) {
                    let literal = String(decoding: bytes, as: UTF8.self)
                    let distance =
                        Double(Self.editDistance(literal, value)) / Double(max(literal.count, value.count, 1))
                    cost += distance > 0.5 ? 10 : distance
                }
            }
            if route.route.method != method { cost += 0.5 }
            if best.map({ cost < $0.cost }) ?? true {
                best = (cost, route.route.method + " " + route.route.path)
            }
        }
        // Far from everything: better no hint than a misleading one.
        guard let best, best.cost <= 1 else { return nil }
        return best.text
    }

    static func editDistance(_ left: String, _ right: String) -> Int {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// RFC 3986 percent-decoding. Returns nil for a malformed escape or bytes that are not UTF-8.
enum PercentDecoding {
    static func decode(_ text: Substring, plusAsSpace: Bool) -> String? {
        if !text.utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && text.utf8.contains(UInt8(ascii: "+"))) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
