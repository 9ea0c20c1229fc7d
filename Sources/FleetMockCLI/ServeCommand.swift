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
    private var heldRequestLines: [(line: RequestLine, commitGroup: String)] = []

    init(options: ServeOptions) {
        self.options = options
        self.log = RequestLog(format: options.logFormat, minimumLevel: options.logLevel)
    }

    func run() throws(StartupError) {
        Self.prepareProcess()
        // A ready file never holds an earlier run's URL: gone before the bind, and again at exit.
        if let readyFile = options.readyFile { unlink(readyFile) }
        defer { if let readyFile = options.readyFile { unlink(readyFile) } }

        let fixtures = try FixtureFiles.source(explicit: options.fixturesPath)
        let credentials = try fixtures.credentials()
        if options.databasePath != ":memory:" { try Self.claimStateFile(options.databasePath) }
        if options.fresh { SQLiteOrgHosting.deleteState(mainPath: options.databasePath) }
        let (store, snapshot, origin) = try Self.openState(options: options, fixtures: fixtures, log: log)
        let orgHosting = SQLiteOrgHosting(registry: store, mainPath: options.databasePath)
        defer {
            orgHosting.closeAll()
            store.close()
        }
        let orgRecords = try Self.openOrgs(orgHosting, store: store, databasePath: options.databasePath)

        let summary =
            "\(snapshot.hosts.count) hosts, \(snapshot.schedules.count) schedules, "
            + "\(snapshot.deployments.count) deployments"
        let application = try makeApplication(
            snapshot: consume snapshot, store: store, credentials: credentials, fixtures: fixtures,
            orgHosting: orgHosting, orgRecords: orgRecords)
        // Reading the fixtures and seeding leave freed memory behind (the parsed document, SQLite's
        // page cache): hand it back, so a large fleet's resident size is its state's.
        SystemIO.releaseFreedMemory()
        self.application = application
        // The writer thread is done with the stores before they close, on every way out.
        defer { application.stop() }
        // Progress due since the last run is committed before the first request, as one pass.
        application.advanceAllOrgs(wallNow: SystemIO.wallNow())
        if application.finishPass() != nil {
            log.message(.warn, "could not persist the progress due since the last run: it is derived again next time")
        }

        let (server, port) = try startServer(application: application)
        try announce(port: port, summary: summary, origin: origin, application: application)
        runUntilStopped(server: server, application: application)
    }

    /// The application over the opened state: the simulation with the flags' settings, and the API
    /// with the credentials, rate limit and journal, which reads the fixtures again for a reset.
    private func makeApplication(
        snapshot: consuming FleetSnapshot, store: SQLiteFleetStore, credentials: Credentials,
        fixtures: FixtureFiles, orgHosting: SQLiteOrgHosting, orgRecords: [OrgRecord]
    ) throws(StartupError) -> FleetApplication {
        let options = self.options
        let settings = SimulationSettings(
            concurrency: options.concurrency, failureRate: options.failureRate,
            startDelayMilliseconds: SimulationSettings.standard.startDelayMilliseconds,
            operationDuration: SimulationSettings.standard.operationDuration)
        // Consumed: the snapshot's arrays are shared with the simulation, which then owns them
        // uniquely and mutates them in place instead of copying them once at the first change.
        let simulation = FleetSimulation(snapshot: consume snapshot, settings: settings)
        let application: FleetApplication
        do {
            application = try FleetApplication(
                simulation: simulation, persistence: store,
                credentials: credentials,
                rateLimit: .init(limit: options.rateLimit, periodSeconds: options.rateLimitPeriodSeconds),
                journal: RequestJournal(capacity: options.journalSize),
                monotonicMicroseconds: SystemIO.monotonicMicroseconds,
                loadFixtures: { () throws(FleetError) -> FleetSnapshot in
                    do {
                        return try Self.fleet(of: try fixtures.fleetDocument(), fixtures: fixtures, options: options)
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
        return application
    }

    /// Binds the listening socket and hands the server's requests, pass ends, signals and timer to
    /// this command; the port bound.
    private func startServer(application: FleetApplication) throws(StartupError) -> (HTTPServer, UInt16) {
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
        return (server, port)
    }

    /// Tells that the server is ready: the log's summary line, the ready file, the one line on stdout.
    private func announce(
        port: UInt16, summary: String, origin: StateOrigin?, application: FleetApplication
    ) throws(StartupError) {
        let hostForURL = options.host.contains(":") ? "[\(options.host)]" : options.host
        let madeFrom =
            origin.map { "made from \($0.fixtures) with seed \($0.seed)" }
            ?? "made before FleetMock recorded its fixtures"
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
    }

    /// Serves until a signal stops the server, then ends what is in flight.
    private func runUntilStopped(server: HTTPServer, application: FleetApplication) {
        // From here on a pass's log lines go out together at its end (the start-up lines are written).
        log.holdsLines = true
        server.run()
        // Writes no pass ended (a timer's, late in the shutdown) are committed before the store closes.
        _ = application.finishPass()
        application.stop()
        log.holdsLines = false
        self.server = nil
        log.message(.info, "stopped")
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
            durationMicroseconds: SystemIO.monotonicMicroseconds() - started, apiKey: request.header("DD-API-KEY"),
            org: response.org ?? "default")
        if let group = response.commitGroup, application.hasUncommittedWrites {
            heldRequestLines.append((line, group))
        } else {
            write(line)
        }
        return HTTPResponse(
            status: response.status, headers: response.headers, body: response.body,
            delayMilliseconds: response.delayMilliseconds, dropConnection: response.dropConnection,
            lateBody: Self.lateBody(response.deferredBody), commitGroup: response.commitGroup)
    }

    private func write(_ line: RequestLine) {
        log.request(
            method: line.method, target: line.target, operation: line.operation, status: line.status,
            durationMicroseconds: line.durationMicroseconds, org: line.org, apiKey: line.apiKey)
    }

    private static func lateBody(_ deferred: DeferredBody?) -> (@Sendable () -> [UInt8])? {
        guard let deferred else { return nil }
        return { deferred.bytes }
    }

    /// The end of a loop pass with held replies: one commit for the pass's writes. nil sends the
    /// replies as they are; else the commit groups whose writes were lost, whose replies fail.
    private func finishPass() -> LostCommitGroups? {
        let lost = application?.finishPass()
        for (line, group) in heldRequestLines {
            var written = line
            if let lost, lost.commitGroups.contains(group) { written.status = lost.reply.status }
            write(written)
        }
        heldRequestLines.removeAll(keepingCapacity: true)
        log.flush()
        guard let lost else { return nil }
        // An org went back to its committed state: its next rollout event may have moved.
        rescheduleWakeUp()
        let reply = HTTPResponse(status: lost.reply.status, headers: lost.reply.headers, body: lost.reply.body)
        return LostCommitGroups(groups: lost.commitGroups, reply: reply)
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
    /// The org the request ran in (the default one on the control surface).
    let org: String
}
