import FleetDomain
import FleetJSON

/// Finds and reads the fixture folder: `fleet.json` (the fleet) and `credentials.json` (keys).
enum FixtureFiles {
    /// The folder given, else the bundled one: ./Fixtures, then a Fixtures/ beside or above the
    /// executable (a SwiftPM build), then the container's /usr/share/fleetmock/Fixtures.
    static func locate(explicit: String?) throws(StartupError) -> String {
        if let explicit {
            guard SystemIO.fileExists(explicit + "/fleet.json") else {
                throw StartupError("no fleet.json in fixtures folder '\(explicit)'")
            }
            return explicit
        }
        var candidates = ["Fixtures"]
        if var directory = SystemIO.executableDirectory() {
            for _ in 0..<5 {
                candidates.append(directory + "/Fixtures")
                guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { break }
                directory = String(directory[..<slash])
            }
        }
        candidates.append("/usr/share/fleetmock/Fixtures")
        guard let found = candidates.first(where: { SystemIO.fileExists($0 + "/fleet.json") }) else {
            throw StartupError("cannot find the bundled Fixtures/ folder; pass --fixtures DIR")
        }
        return found
    }

    /// The dashboard page: `ui/index.html` beside the fixtures folder, in the working directory,
    /// beside or above the executable, or the container's /usr/share/fleetmock/ui.
    static func dashboardPage(fixtures: String) -> [UInt8]? {
        var candidates = [fixtures + "/../ui", "ui"]
        if var directory = SystemIO.executableDirectory() {
            for _ in 0..<5 {
                candidates.append(directory + "/ui")
                guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { break }
                directory = String(directory[..<slash])
            }
        }
        candidates.append("/usr/share/fleetmock/ui")
        return candidates.lazy.compactMap { SystemIO.readFile($0 + "/index.html") }.first
    }

    static func readJSON(_ path: String) throws(StartupError) -> JSONValue {
        guard let bytes = SystemIO.readFile(path) else { throw StartupError("cannot read \(path)") }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw StartupError("\(path) is not valid JSON: \(error)")
        }
    }

    static func credentials(in folder: String) throws(StartupError) -> Credentials {
        do {
            return try Fixture.credentials(from: try readJSON(folder + "/credentials.json"))
        } catch let error as FixtureError {
            throw StartupError("\(folder)/credentials.json: \(error)")
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("\(error)")
        }
    }

    /// `fleet.json` checked and split, its hosts not yet read.
    static func fleetDocument(in folder: String) throws(StartupError) -> FixtureDocument {
        let path = folder + "/fleet.json"
        guard let bytes = SystemIO.readFile(path) else { throw StartupError("cannot read \(path)") }
        do {
            return try FixtureDocument(json: bytes)
        } catch {
            throw StartupError("\(path): \(error)")
        }
    }

    static func fleet(
        of document: FixtureDocument, in folder: String, clock: SimulationClock, seed: UInt64
    ) throws(StartupError) -> FleetSnapshot {
        do {
            return try Fixture.fleet(from: document, clock: clock, seed: seed)
        } catch {
            throw StartupError("\(folder)/fleet.json: \(error)")
        }
    }
}

struct StartupError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
