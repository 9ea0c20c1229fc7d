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
        // jemalloc as the process's allocator (linked, not preloaded), and its control interface.
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),

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
            dependencies: ["FleetAPI", "FleetStore", "EventHTTP", "FleetDomain", "FleetJSON", "CJemalloc"]
        ),

        // A small fleet shared by the domain, store and API tests.
        .target(name: "FleetTestSupport", dependencies: ["FleetDomain", "FleetJSON"], path: "Tests/FleetTestSupport"),
        .testTarget(name: "FleetDomainTests", dependencies: ["FleetDomain", "FleetJSON", "FleetTestSupport"]),
        .testTarget(name: "FleetStoreTests", dependencies: ["FleetStore", "FleetDomain", "FleetJSON", "FleetTestSupport"]),
        .testTarget(name: "FleetAPITests", dependencies: ["FleetAPI", "FleetDomain", "FleetJSON", "FleetTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["FleetJSON"]),
        .testTarget(name: "AllocatorTests", dependencies: ["CJemalloc"]),
    ]
)
