// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FleetMock",
    products: [
        .executable(name: "fleetmock", targets: ["FleetMockCLI"])
    ],
    targets: [
        // C boundary: system libraries behind one-file shims.
        .systemLibrary(name: "CLibevent", pkgConfig: "libevent", providers: [.apt(["libevent-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Pure layers: no I/O, no C.
        .target(name: "FleetJSON"),
        .target(name: "FleetDomain", dependencies: ["FleetJSON"]),
        .target(name: "FleetAPI", dependencies: ["FleetDomain", "FleetJSON"]),

        // Adapters over the C libraries.
        .target(name: "FleetStore", dependencies: ["CSQLite", "FleetDomain", "FleetJSON"]),
        .target(name: "EventHTTP", dependencies: ["CLibevent"]),

        // Composition root.
        .executableTarget(
            name: "FleetMockCLI",
            dependencies: ["FleetAPI", "FleetStore", "EventHTTP", "FleetDomain", "FleetJSON"]
        ),

        .testTarget(name: "FleetDomainTests", dependencies: ["FleetDomain", "FleetJSON"]),
        .testTarget(name: "FleetStoreTests", dependencies: ["FleetStore", "FleetDomain", "FleetJSON"]),
        .testTarget(name: "FleetAPITests", dependencies: ["FleetAPI", "FleetDomain", "FleetJSON"]),
        .testTarget(name: "EndToEndTests", dependencies: ["FleetJSON"]),
    ]
)
