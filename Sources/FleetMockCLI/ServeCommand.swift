import EventHTTP
import FleetAPI
import FleetDomain
import FleetStore
import FleetThreads
import Glibc

/// The composition root: the only place that wires fixtures, store, simulation, API and transport.
final class ServeCommand {
    private let options: ServeOptions
    private var server: HTTPServer?
    private var application: FleetApplication?
    private var scheduledWakeUp: Int64?
    private let log: RequestLog
    /// Request lines of replies whose fate the pass's end decides (they report an org's writes):
    /// written then, with the status the client gets.
    private var heldRequestLines: [(line: RequestLine, org: String)] = []

    init(options: ServeOptions) {
        self.options = options
        self.log = RequestLog(format: options.logFormat, minimumLevel: options.logLevel)
    }

    func run() throws(StartupError) {
        // evhttp formats a Date header per reply; with TZ unset glibc re-reads /etc/localtime each time.
        setenv("TZ", "UTC", 1)
        tzset()
        // A client hanging up mid-reply must not kill the server.
        signal(SIGPIPE, SIG_IGN)
        // Each connection is a file descriptor: allow as many as the system lets us (the soft limit
        // is often 1024, too few for a thousand concurrent clients).
        var files = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0, files.rlim_cur < files.rlim_max {
            files.rlim_cur = min(files.rlim_max, 1 << 20)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
        }

        // Until the loop handles them, SIGTERM and SIGINT during a long start (a large first seeding)
        // end the process with one line; a seeding cut short counts as unseeded and starts again.
        signal(SIGTERM, startupSignalHandler)
        signal(SIGINT, startupSignalHandler)
        // A ready file never holds an earlier run's URL: gone before the bind, and again at exit.
        if let readyFile = options.readyFile { unlink(readyFile) }
        defer { if let readyFile = options.readyFile { unlink(readyFile) } }

        let fixtures = try FixtureFiles.source(explicit: options.fixturesPath)
        let credentials = try fixtures.credentials()
        if options.databasePath != ":memory:" {
            SystemIO.createParentDirectories(of: options.databasePath)
            if let reason = SystemIO.cannotOpenForWriting(options.databasePath) {
                throw StartupError("cannot open the state file \(options.databasePath): \(reason)")
            }
            // SQLite opens a WAL or shared-memory file it cannot write read-only, and then fails
            // every write after a start that looked fine.
            for companion in ["-wal", "-shm"] where SystemIO.fileExists(options.databasePath + companion) {
                if let reason = SystemIO.cannotOpenForWriting(options.databasePath + companion) {
                    throw StartupError("cannot open \(options.databasePath + companion), beside the state file: \(reason)")
                }
            }
            // A state file (and its orgs' files) belongs to one process: two servers writing one
            // file diverge and lose each other's writes. Taken before anything is read or deleted.
            if let reason = SystemIO.lockExclusively(options.databasePath + ".lock") {
                throw StartupError("the state file \(options.databasePath) is in use: \(reason) (its lock is \(options.databasePath).lock)")
            }
        }
        if options.fresh { SQLiteOrgHosting.deleteState(mainPath: options.databasePath) }
        let store: SQLiteFleetStore
        var snapshot: FleetSnapshot
        let origin: StateOrigin?
        // The state a new database, and every reset, starts from.
        let options = self.options
        let fleetOfDocument = { (document: FixtureDocument) throws(StartupError) -> FleetSnapshot in
            var seeded = try fixtures.fleet(
                of: document, clock: SimulationClock(mode: options.initialClockMode), seed: options.seed)
            seeded.progressPolicy = options.progress
            return seeded
        }
        let loadFixtures = { () throws(StartupError) -> FleetSnapshot in
            try fleetOfDocument(try fixtures.fleetDocument())
        }
        do {
            store = try SQLiteFleetStore(path: options.databasePath)
            let started = SystemIO.monotonicMicroseconds()
            if let stored = try store.load(clockMode: nil) {
                log.message(
                    .debug, "state loaded from \(options.databasePath) in \((SystemIO.monotonicMicroseconds() - started) / 1000) ms")
                origin = try store.origin()
                try Self.requireSameOrigin(origin, options: options, fixtures: fixtures)
                snapshot = stored
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
            } else {
                let bytes = try fixtures.fleetBytes()
                origin = StateOrigin(fixtures: fixtures.name, fixturesDigest: Self.digest(bytes), seed: options.seed)
                let document = try fixtures.fleetDocument(bytes)
                // The hosts' text goes into the store on a second core while the hosts are read
                // from it: a 100,000-host seeding then takes no time of its own.
                let hostsWriting = document.hostsText.map { text in
                    BackgroundWork.start { try store.beginSeed(hostsText: text) }
                }
                do {
                    snapshot = try fleetOfDocument(document)
                } catch {
                    hostsWriting?.abandon()
                    store.abandonSeed()
                    throw error
                }
                let read = SystemIO.monotonicMicroseconds()
                try hostsWriting?.wait()
                let hostsWritten = SystemIO.monotonicMicroseconds()
                try store.seed(snapshot, origin: options.databasePath == ":memory:" ? nil : origin)
                log.message(
                    .debug, "fixtures read in \((read - started) / 1000) ms, seeded into \(options.databasePath) "
                        + "\((hostsWritten - read) / 1000) + \((SystemIO.monotonicMicroseconds() - hostsWritten) / 1000) ms after")
            }
        } catch let error as StartupError {
            throw error
        } catch let error as SQLiteError {
            throw StartupError("cannot open the state file \(options.databasePath): \(error.message)")
        } catch {
            throw StartupError("cannot open the state file \(options.databasePath): \(error)")
        }
        let orgHosting = SQLiteOrgHosting(registry: store, mainPath: options.databasePath)
        defer {
            orgHosting.closeAll()
            store.close()
        }
        let orgRecords: [OrgRecord]
        do {
            orgRecords = try orgHosting.loadRecords()
        } catch {
            throw StartupError("cannot read the orgs in \(options.databasePath): \(error.message)")
        }
        do {
            try store.startBackgroundCheckpoints()
        } catch {
            throw StartupError("cannot configure the state in \(options.databasePath): \(error.message)")
        }

        let settings = SimulationSettings(
            concurrency: options.concurrency, failureRate: options.failureRate,
            startDelayMilliseconds: SimulationSettings.standard.startDelayMilliseconds,
            operationDuration: SimulationSettings.standard.operationDuration)
        let summary = "\(snapshot.hosts.count) hosts, \(snapshot.schedules.count) schedules, "
            + "\(snapshot.deployments.count) deployments"
        // Consumed: the snapshot's arrays are shared with the simulation, which then owns them
        // uniquely and mutates them in place instead of copying them once at the first change.
        let simulation = FleetSimulation(snapshot: consume snapshot, settings: settings)
        let application: FleetApplication
        do {
            application = try FleetApplication(
            simulation: simulation, persistence: store,
            credentials: credentials,
            rateLimit: .init(limit: options.rateLimit, periodSeconds: options.rateLimitPeriodSeconds),
            journal: RequestJournal(capacity: options.journalSize), monotonicMicroseconds: SystemIO.monotonicMicroseconds,
            loadFixtures: { () throws(FleetError) -> FleetSnapshot in
                do {
                    return try loadFixtures()
                } catch {
                    throw FleetError.storageFailure(reason: "cannot read the fixtures again: \(error)")
                }
            },
            orgHosting: orgHosting, orgRecords: orgRecords, orgSeed: options.seed,
            log: { [log] in log.message(.warn, $0) })
        } catch {
            throw StartupError("cannot start the writer thread: \(error)")
        }
        application.dashboardPage = FixtureFiles.dashboardPage
        // Reading the fixtures and seeding leave freed memory behind (the parsed document, SQLite's
        // page cache): hand it back, so a large fleet's resident size is its state's.
        SystemIO.releaseFreedMemory()
        self.application = application
        application.advanceAllOrgs(wallNow: SystemIO.wallNow())

        let server: HTTPServer
        let port: UInt16
        do {
            server = try HTTPServer { [unowned self] request in self.serve(request) }
            port = try server.bind(host: options.host, port: options.port)
        } catch {
            throw StartupError(error.description)
        }
        self.server = server
        // Trouble the transport handles itself (out of descriptors) goes to the log, in its format.
        // Outside a request, so the held line needs a pass end of its own to be written.
        server.logLine = { [log, unowned server] line in
            log.message(.warn, line)
            if log.hasPendingLines { server.endPassSoon() }
        }
        // A pass's replies leave once its writes are committed (StoreWriter); its log lines go out
        // then too, in one write.
        server.holdRepliesUntilPassEnd(while: { [unowned application] in application.hasUncommittedWrites }) {
            [unowned self] in self.finishPass()
        }
        server.onSignal(SIGTERM) { [unowned self] in self.stop("SIGTERM") }
        server.onSignal(SIGINT) { [unowned self] in self.stop("SIGINT") }
        rescheduleWakeUp()

        let hostForURL = options.host.contains(":") ? "[\(options.host)]" : options.host
        let madeFrom = origin.map { "made from \($0.fixtures) with seed \($0.seed)" } ?? "made before FleetMock recorded its fixtures"
        log.message(
            .info, "\(summary); state \(options.databasePath) (\(madeFrom)); clock \(options.clockMode.rawValue)")
        let url = "http://\(hostForURL):\(port)"
        if let readyFile = options.readyFile {
            guard SystemIO.writeFileAtomically(readyFile, contents: url + "\n") else {
                throw StartupError("cannot write the ready file \(readyFile)")
            }
        }
        SystemIO.printLine("FleetMock listening on \(url)")
        if application.dashboardPage != nil {
            // Last, so `make run` ends with the page to open; on stderr, as stdout carries exactly
            // one line, the ready line, which scripts parse.
            log.message(.info, "dashboard: \(url)/__fleetmock/ui")
        }
        // From here on a pass's log lines go out together at its end (the start-up lines above are written).
        log.holdsLines = true
        server.run()
        // Writes no pass ended (a timer's, late in the shutdown) are committed before the store closes.
        _ = application.finishPass()
        application.stop()
        log.holdsLines = false
        self.server = nil
        log.message(.info, "stopped")
    }

    /// A state made from other fixtures or another seed than the ones given explicitly is refused:
    /// serving the old fleet would silently ignore the flag. Without those flags the state is kept.
    private static func requireSameOrigin(
        _ origin: StateOrigin?, options: ServeOptions, fixtures: FixtureFiles
    ) throws(StartupError) {
        guard let origin, options.fixturesPath != nil || options.seedGiven else { return }
        let given = StateOrigin(
            fixtures: fixtures.name,
            fixturesDigest: options.fixturesPath != nil ? digest(try fixtures.fleetBytes()) : origin.fixturesDigest,
            seed: options.seedGiven ? options.seed : origin.seed)
        guard given.fixturesDigest != origin.fixturesDigest || given.seed != origin.seed else { return }
        let asked = [
            options.fixturesPath != nil ? "fixtures \(given.fixtures)" : nil, options.seedGiven ? "seed \(given.seed)" : nil,
        ].compactMap { $0 }.joined(separator: " and ")
        throw StartupError(
            "the state \(options.databasePath) was made from \(origin.fixtures) with seed \(origin.seed), not from \(asked)"
                + " as asked: pass --fresh to start again from them (replacing the state and its orgs' files),"
                + " or drop --fixtures/--seed to keep the state", exitCode: 2)
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

    private func serve(_ request: HTTPRequest) -> HTTPResponse {
        let response = handle(request)
        rescheduleWakeUp()
        if log.hasPendingLines { server?.endPassSoon() }
        return response
    }

    private func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let application else { return HTTPResponse(status: 503) }
        let started = SystemIO.monotonicMicroseconds()
        let response = application.handle(
            APIRequest(method: request.method, target: request.target, headers: request.headers, body: request.body),
            wallNow: SystemIO.wallNow())
        let line = RequestLine(
            method: request.method, target: request.target, operation: response.operation, status: response.status,
            durationMicroseconds: SystemIO.monotonicMicroseconds() - started, apiKey: request.header("DD-API-KEY"))
        if let org = response.org, application.hasUncommittedWrites {
            heldRequestLines.append((line, org))
        } else {
            write(line)
        }
        return HTTPResponse(
            status: response.status, headers: response.headers, body: response.body,
            delayMilliseconds: response.delayMilliseconds, dropConnection: response.dropConnection,
            lateBody: Self.lateBody(response.deferredBody), commitGroup: response.org)
    }

    private func write(_ line: RequestLine) {
        log.request(
            method: line.method, target: line.target, operation: line.operation, status: line.status,
            durationMicroseconds: line.durationMicroseconds, org: "default", apiKey: line.apiKey)
    }

    private static func lateBody(_ deferred: DeferredBody?) -> (@Sendable () -> [UInt8])? {
        guard let deferred else { return nil }
        return { deferred.bytes }
    }

    /// The end of a loop pass with held replies: one commit for the pass's writes. nil sends the
    /// replies as they are; else the orgs whose writes were lost, whose replies fail.
    private func finishPass() -> LostCommitGroups? {
        let lost = application?.finishPass()
        for (line, org) in heldRequestLines {
            var written = line
            if let lost, lost.orgs.contains(org) { written.status = lost.reply.status }
            write(written)
        }
        heldRequestLines.removeAll(keepingCapacity: true)
        log.flush()
        guard let lost else { return nil }
        // An org went back to its committed state: its next rollout event may have moved.
        rescheduleWakeUp()
        return LostCommitGroups(
            groups: lost.orgs, reply: HTTPResponse(status: lost.reply.status, headers: lost.reply.headers, body: lost.reply.body))
    }

    /// Keeps one timer pointed at the next rollout event, so wall-clock progress is persisted even
    /// when no request arrives.
    private func rescheduleWakeUp() {
        guard let application, let server else { return }
        let wallNow = SystemIO.wallNow()
        guard let delay = application.millisecondsUntilNextEvent(wallNow: wallNow) else {
            if scheduledWakeUp != nil {
                server.cancelTimer()
                scheduledWakeUp = nil
            }
            return
        }
        let wakeUp = wallNow.milliseconds + delay
        guard wakeUp != scheduledWakeUp else { return }
        scheduledWakeUp = wakeUp
        server.setTimer(afterMilliseconds: delay) { [unowned self] in
            self.scheduledWakeUp = nil
            self.application?.advanceAllOrgs(wallNow: SystemIO.wallNow())
            // Progress written by the timer is committed (and its log lines written) at the end of this pass.
            if self.application?.hasUncommittedWrites == true || self.log.hasPendingLines {
                self.server?.endPassSoon()
            }
            self.rescheduleWakeUp()
        }
    }

    private func stop(_ signalName: String) {
        log.message(.info, "\(signalName) received, finishing in-flight replies")
        log.flush()
        server?.shutdown()
    }
}

@available(*, unavailable)
extension ServeCommand: Sendable {}

/// What the log says of one request.
struct RequestLine {
    let method: String
    let target: String
    let operation: String?
    var status: Int
    let durationMicroseconds: Int64
    let apiKey: String?
}

/// Async-signal-safe: a fixed line and `_exit`, nothing else. The ready file is not written yet.
private func startupSignalHandler(_ signal: Int32) {
    let line: StaticString = "fleetmock: stopped by a signal while starting; nothing was served, and a seeding cut short starts again next time\n"
    _ = write(2, line.utf8Start, line.utf8CodeUnitCount)
    _exit(0)
}
