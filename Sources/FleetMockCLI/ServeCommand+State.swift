import FleetAPI
import FleetDomain
import FleetStore

/// The state `serve` starts from: the one stored in the state file, else a new one seeded from the
/// fixtures, and the orgs beside it.
extension ServeCommand {
    /// The store, the state it holds and where that state was made from. Failures name the state file.
    static func openState(
        options: ServeOptions, fixtures: FixtureFiles, log: RequestLog
    ) throws(StartupError) -> (store: SQLiteFleetStore, snapshot: FleetSnapshot, origin: StateOrigin?) {
        do {
            let store = try SQLiteFleetStore(path: options.databasePath)
            let started = SystemIO.monotonicMicroseconds()
            if let stored = try store.load(clockMode: nil) {
                let milliseconds = (SystemIO.monotonicMicroseconds() - started) / 1000
                log.message(.debug, "state loaded from \(options.databasePath) in \(milliseconds) ms")
                let origin = try store.origin()
                let snapshot = try resume(stored, origin: origin, store: store, options: options, fixtures: fixtures)
                return (store, snapshot, origin)
            }
            let (snapshot, origin) = try seed(store, options: options, fixtures: fixtures, log: log, started: started)
            return (store, snapshot, origin)
        } catch let error as StartupError {
            throw error
        } catch let error as SQLiteError {
            throw StartupError("cannot open the state file \(options.databasePath): \(error.message)")
        } catch {
            throw StartupError("cannot open the state file \(options.databasePath): \(error)")
        }
    }

    /// The stored state, if made from the fixtures and seed given, with the progress and clock mode asked.
    private static func resume(
        _ snapshot: consuming FleetSnapshot, origin: StateOrigin?, store: SQLiteFleetStore, options: ServeOptions,
        fixtures: FixtureFiles
    ) throws -> FleetSnapshot {
        try requireSameOrigin(origin, options: options, fixtures: fixtures)
        if let progress = options.progress { snapshot.progressPolicy = progress }
        // The simulated instant is kept whatever the flags: an explicit --clock or --progress
        // changes only how time moves on from it, and that is stored before any request.
        if let mode = options.clockModeAsked, mode != snapshot.clock.mode {
            let wall = SystemIO.wallNow()
            switch mode {
            case .manual: snapshot.clock.freeze(wall: wall)
            case .wall: snapshot.clock.run(wall: wall, speed: snapshot.clock.speed)
            }
            try store.persist([.clockUpdated(snapshot.clock)])
        }
        return snapshot
    }

    /// A new state from the fixtures, seeded into `store`, and its origin.
    private static func seed(
        _ store: SQLiteFleetStore, options: ServeOptions, fixtures: FixtureFiles, log: RequestLog, started: Int64
    ) throws -> (FleetSnapshot, StateOrigin) {
        let bytes = try fixtures.fleetBytes()
        let origin = StateOrigin(fixtures: fixtures.name, fixturesDigest: digest(bytes), seed: options.seed)
        let document = try fixtures.fleetDocument(bytes)
        // The hosts' text goes into the store on a second core while the hosts are read
        // from it: a 100,000-host seeding then takes no time of its own.
        let hostsWriting = document.hostsText.map { text in
            BackgroundWork.start { try store.beginSeed(hostsText: text) }
        }
        let snapshot: FleetSnapshot
        do {
            snapshot = try fleet(of: document, fixtures: fixtures, options: options)
        } catch {
            hostsWriting?.abandon()
            store.abandonSeed()
            throw error
        }
        let read = SystemIO.monotonicMicroseconds()
        try hostsWriting?.wait()
        let hostsWritten = SystemIO.monotonicMicroseconds()
        try store.seed(snapshot, origin: options.databasePath == ":memory:" ? nil : origin)
        let seeded = SystemIO.monotonicMicroseconds()
        log.message(
            .debug,
            "fixtures read in \((read - started) / 1000) ms, seeded into \(options.databasePath) "
                + "\((hostsWritten - read) / 1000) + \((seeded - hostsWritten) / 1000) ms after")
        return (snapshot, origin)
    }

    /// The state a new database, and every reset, starts from.
    static func fleet(
        of document: FixtureDocument, fixtures: FixtureFiles, options: ServeOptions
    ) throws(StartupError) -> FleetSnapshot {
        var seeded = try fixtures.fleet(
            of: document, clock: SimulationClock(mode: options.initialClockMode), seed: options.seed)
        seeded.progressPolicy = options.progress
        return seeded
    }

    /// The orgs' records beside the state file, once the store's background checkpoints run.
    static func openOrgs(
        _ orgHosting: SQLiteOrgHosting, store: SQLiteFleetStore, databasePath: String
    ) throws(StartupError) -> [OrgRecord] {
        let orgRecords: [OrgRecord]
        do {
            orgRecords = try orgHosting.loadRecords()
        } catch {
            throw StartupError("cannot read the orgs in \(databasePath): \(error.message)")
        }
        do {
            try store.startBackgroundCheckpoints()
        } catch {
            throw StartupError("cannot configure the state in \(databasePath): \(error.message)")
        }
        return orgRecords
    }

    /// A state made from other fixtures or another seed than the ones given explicitly is refused:
    /// serving the old fleet would silently ignore the flag. Without those flags the state is kept.
    private static func requireSameOrigin(
        _ origin: StateOrigin?, options: ServeOptions, fixtures: FixtureFiles
    ) throws(StartupError) {
        guard let origin, options.fixturesPath != nil || options.seedGiven else { return }
        let given = StateOrigin(
            fixtures: fixtures.name,
            fixturesDigest: options.fixturesPath != nil
                ? digest(try fixtures.fleetBytes()) : origin.fixturesDigest,
            seed: options.seedGiven ? options.seed : origin.seed)
        guard given.fixturesDigest != origin.fixturesDigest || given.seed != origin.seed else { return }
        let asked = [
            options.fixturesPath != nil ? "fixtures \(given.fixtures)" : nil,
            options.seedGiven ? "seed \(given.seed)" : nil,
        ].compactMap { $0 }.joined(separator: " and ")
        throw StartupError(
            "the state \(options.databasePath) was made from \(origin.fixtures) with seed \(origin.seed),"
                + " not from \(asked) as asked: pass --fresh to start again from them"
                + " (replacing the state and its orgs' files), or drop --fixtures/--seed to keep the state",
            exitCode: 2)
    }

    /// A digest of a fleet.json, eight bytes at a time (a 45 MB fleet in a few milliseconds).
    static func digest(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01b3
                hash ^= hash >> 29
                offset += 8
            }
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* 0x100_0000_01b3
                offset += 1
            }
        }
        return hash
    }
}
