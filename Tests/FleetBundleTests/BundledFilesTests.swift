import FleetBundle
import Foundation
import Testing

/// The executable carries the fleet, credentials and dashboard page compiled in; the files in the
/// repository are their one source. `make` regenerates the Swift file before every build, so this
/// fails only when a file was edited and the package built without `make`.
@Suite struct BundledFilesTests {
    static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    @Test(arguments: [
        (BundledFiles.fleetJSON, "Fixtures/fleet.json"),
        (BundledFiles.credentialsJSON, "Fixtures/credentials.json"),
        (BundledFiles.dashboardHTML, "ui/index.html"),
    ])
    func bundledFileEqualsTheRepositorysFile(bundled: StaticString, path: String) throws {
        let onDisk = try #require(FileManager.default.contents(atPath: Self.packageRoot + "/" + path))
        let compiledIn = BundledFiles.bytes(bundled)
        #expect(
            compiledIn == Array(onDisk),
            "\(path) changed since Sources/FleetBundle/BundledFiles.swift was generated: run python3 scripts/bundle_files.py"
        )
    }
}
