import FleetAPI
import Glibc
import Testing

/// The README's operation table is the route table, row for row: users read permissions there.
@Suite struct ReadmeOperationTableTests {
    static func readme() throws -> String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        guard let file = fopen(path + "/README.md", "rb") else { throw ReadmeMissing() }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    struct ReadmeMissing: Error {}

    @Test func everyRouteHasItsRowAndEveryRowARoute() throws {
        let rows = try Self.readme().split(separator: "\n").filter {
            $0.hasPrefix("| ") && $0.contains("` | ") && $0.contains("/api/")
        }
        let expected = Route.table.filter { $0.operation.surface != .control }.map { route in
            let permissions = route.operation.requiredPermissions.map { "`\($0)`" }.joined(separator: ", ")
            return "| \(route.operation.rawValue) | `\(route.method) \(route.path)` | \(permissions) |"
        }
        #expect(rows.map(String.init) == expected)
    }
}
