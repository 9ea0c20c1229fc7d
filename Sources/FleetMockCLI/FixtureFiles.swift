import FleetBundle
import FleetDomain
import FleetJSON

/// Where the fleet and credentials come from: the ones compiled into the executable, or a folder
/// given with --fixtures (its `fleet.json`, and its `credentials.json` when it has one).
enum FixtureFiles {
    case bundled
    case folder(String)

    static func source(explicit: String?) throws(StartupError) -> FixtureFiles {
        guard let explicit else { return .bundled }
        guard SystemIO.fileExists(explicit + "/fleet.json") else {
            throw StartupError("no fleet.json in fixtures folder '\(explicit)'")
        }
        return .folder(explicit)
    }

    /// How logs and messages name it.
    var name: String {
        switch self {
        case .bundled: return "the bundled fleet"
        case .folder(let path): return path
        }
    }

    /// The dashboard page, always the bundled one.
    static var dashboardPage: [UInt8] { BundledFiles.bytes(BundledFiles.dashboardHTML) }

    /// `fleet.json`'s bytes.
    func fleetBytes() throws(StartupError) -> [UInt8] {
        switch self {
        case .bundled: return BundledFiles.bytes(BundledFiles.fleetJSON)
        case .folder(let path):
            guard let bytes = SystemIO.readFile(path + "/fleet.json") else {
                throw StartupError("cannot read \(path)/fleet.json")
            }
            return bytes
        }
    }

    func credentials() throws(StartupError) -> Credentials {
        var bytes = BundledFiles.bytes(BundledFiles.credentialsJSON)
        var label = "the bundled credentials.json"
        if case .folder(let path) = self, SystemIO.fileExists(path + "/credentials.json") {
            label = path + "/credentials.json"
            guard let read = SystemIO.readFile(label) else { throw StartupError("cannot read \(label)") }
            bytes = read
        }
        do {
            return try Fixture.credentials(from: try JSONParser.parse(bytes))
        } catch {
            throw StartupError("\(label): \(error)")
        }
    }

    /// `fleet.json` (these bytes of it, when read already) checked and split, its hosts not yet read.
    func fleetDocument(_ bytes: [UInt8]? = nil) throws(StartupError) -> FixtureDocument {
        let json: [UInt8]
        if let bytes { json = bytes } else { json = try fleetBytes() }
        do {
            return try FixtureDocument(json: json)
        } catch {
            throw StartupError("\(fleetLabel): \(error)")
        }
    }

    func fleet(of document: FixtureDocument, clock: SimulationClock, seed: UInt64) throws(StartupError) -> FleetSnapshot
    {
        do {
            return try Fixture.fleet(from: document, clock: clock, seed: seed)
        } catch {
            throw StartupError("\(fleetLabel): \(error)")
        }
    }

    private var fleetLabel: String {
        switch self {
        case .bundled: return "the bundled fleet.json"
        case .folder(let path): return path + "/fleet.json"
        }
    }
}

/// Why serve could not start: one line for the user, and the exit code (2 for a refusal that a
/// flag resolves, 1 otherwise).
struct StartupError: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
