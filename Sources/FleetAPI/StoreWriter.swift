import FleetDomain
import FleetThreads

/// Where a write becomes durable: the one seam between the API and the orgs' stores.
///
/// A request's changes are handed over as soon as they are planned (`write(_:for:)`) and written by
/// a thread of its own into one open transaction per org, while the loop goes on with the pass's
/// next requests; a created deployment's reply body is rendered there too (`deferredJSON`). At the
/// end of each event-loop pass the transport calls `endPass()`, which commits every org's
/// transaction and waits for it: no reply of the pass leaves before. An org one of whose writes, or
/// whose commit, failed is rolled back whole and its memory goes back to what its store holds;
/// `endPass()` names its commit group, and the replies of that group fail while others stand.
/// A commit mid-pass (before a control request) starts new groups: a reply after it shares the
/// fate of the next commit, not of the one before.
///
/// Measured against the two other ways it once had (one commit per request, and the pass's writes
/// made on the loop): BENCHMARKS.md, "One way to commit".
final class StoreWriter {
    private let worker: Worker
    private let log: (String) -> Void
    /// Orgs written since the last commit, in the order they first wrote.
    private var orgsWritten: [Org] = []
    private var hasWork = false
    /// Commits so far: with the org's id, it names a commit group.
    private var commits: UInt64 = 0
    /// Commit groups whose writes were lost since the last `endPass()`.
    private var lostGroups: Set<String> = []

    init(log: @escaping (String) -> Void) throws(WorkerThreadError) {
        worker = try Worker()
        self.log = log
    }

    /// An application dropped without `stop()` (a test's) ends its thread all the same.
    deinit {
        stop()
    }

    /// The writes a reply in `org` shows await this commit: its group.
    func commitGroup(of org: Org) -> String {
        "\(org.id) \(commits)"
    }

    /// True while some write or rendering is not yet committed: every reply must wait for `endPass()`.
    var hasUncommittedWork: Bool { hasWork }

    /// Hands the org's changes to the writer thread. Throws at once if the org's state file is no
    /// longer where it was opened (a write there would be acknowledged and lost).
    func write(_ changes: [FleetChange], for org: Org) throws(FleetError) {
        guard !changes.isEmpty else { return }
        do {
            try org.persistence.requireFileInPlace()
        } catch {
            // Once the pass so far is committed the writer thread is idle: the store is the loop's.
            commit()
            org.persistence.releaseReplacedFile()
            throw error
        }
        if !orgsWritten.contains(where: { $0 === org }) { orgsWritten.append(org) }
        worker.enqueue(.write(orgID: org.id, persistence: org.persistence, changes: changes))
        hasWork = true
    }

    /// A JSON reply whose body the writer thread renders (rendering a deployment is a sixth of a
    /// trigger's time). `render` must read only values it captured, never an org's state.
    func deferredJSON(_ status: Int, render: @escaping @Sendable () -> [UInt8]) -> APIResponse {
        let body = DeferredBody(render)
        worker.enqueue(.render(body))
        hasWork = true
        var response = APIResponse.json(status, [])
        response.deferredBody = body
        return response
    }

    /// Commits what was handed over so far and waits for it, mid-pass: before a control request
    /// replaces, opens or closes a store. Orgs whose writes were lost are noted for `endPass()`.
    func commit() {
        guard hasWork else { return }
        let lost = worker.commitAndWait()
        let orgs = orgsWritten
        hasWork = false
        orgsWritten.removeAll(keepingCapacity: true)
        defer { commits &+= 1 }
        guard !lost.isEmpty else { return }
        for org in orgs where lost[org.id] != nil {
            lostGroups.insert(commitGroup(of: org))
            log("storage failure: \(lost[org.id]!); org \(org.id) goes back to its last committed state")
            returnToCommittedState(org)
        }
    }

    /// The end of an event-loop pass: commits, and returns the commit groups whose writes were lost
    /// since the last pass ended (empty when every one is durable).
    func endPass() -> Set<String> {
        commit()
        defer { lostGroups.removeAll() }
        return lostGroups
    }

    /// Commits what is left and ends the thread (the server is stopping).
    func stop() {
        commit()
        worker.stop()
    }

    /// Puts the org's memory back in step with what its store holds.
    private func returnToCommittedState(_ org: Org) {
        do {
            if let committed = try org.persistence.loadCommitted() {
                org.replaceSimulation(with: committed)
            }
        } catch {
            log("cannot reload org \(org.id) from its store: \(error)")
        }
    }
}

@available(*, unavailable)
extension StoreWriter: Sendable {}

/// The writer thread and what the loop hands it. Work goes in under the monitor and the commit's
/// outcome comes back the same way. The stores are not Sendable: the loop leaves them alone while
/// the thread has work (it touches them only after `commitAndWait`, before handing over more).
private final class Worker: @unchecked Sendable {
    enum Work {
        case write(orgID: String, persistence: FleetPersistence, changes: [FleetChange])
        case render(DeferredBody)
        /// Commit every store written since the last commit; a store one of whose writes failed is
        /// rolled back instead, and only its org's replies fail.
        case commit

        /// A created deployment (its plan to encode) or a body to render: more work than waking
        /// the thread costs.
        var isHeavy: Bool {
            switch self {
            case .write(_, _, let changes):
                return changes.contains { if case .deploymentCreated = $0 { true } else { false } }
            case .render, .commit:
                return true
            }
        }
    }

    /// An idle thread is woken (a system call, and two cores' caches brought in step) for heavy work
    /// at once; a cancel's one statement costs less than the wake-up, so light work waits for a pile.
    static let lightWorkPerWakeUp = 32

    private let monitor = Monitor()
    private var thread: WorkerThread?
    // Guarded by `monitor`.
    private var queue: [Work] = []
    private var idle = false
    private var outcome: [String: String]?
    private var stopping = false
    // The thread's own, between commits.
    private var storesWritten: [(orgID: String, persistence: FleetPersistence)] = []
    /// Orgs whose writes of the pass were lost, with SQLite's reason.
    private var orgsLost: [String: String] = [:]

    init() throws(WorkerThreadError) {
        thread = try WorkerThread { [self] in run() }
    }

    func enqueue(_ work: Work) {
        monitor.withLock {
            queue.append(work)
            if idle, work.isHeavy || queue.count >= Self.lightWorkPerWakeUp { monitor.broadcast() }
        }
    }

    /// Commits everything handed over so far and returns the orgs whose writes were lost, with why.
    func commitAndWait() -> [String: String] {
        precondition(thread != nil, "a write handed over after the writer thread stopped")
        return monitor.withLock {
            queue.append(.commit)
            if idle { monitor.broadcast() }
            while outcome == nil { monitor.wait() }
            defer { outcome = nil }
            return outcome ?? [:]
        }
    }

    /// Ends the thread once it has done what it was given; waits for it.
    func stop() {
        monitor.withLock {
            stopping = true
            monitor.broadcast()
        }
        thread?.join()
        thread = nil
    }

    private func run() {
        var taken: [Work] = []
        while true {
            let more = monitor.withLock { () -> Bool in
                while queue.isEmpty && !stopping {
                    idle = true
                    monitor.wait()
                    idle = false
                }
                swap(&taken, &queue)
                return !taken.isEmpty
            }
            guard more else { return }
            var commitOutcome: [String: String]?
            for work in taken {
                if let lost = perform(work) { commitOutcome = lost }
            }
            // Let go of the stores and bodies before the loop hears of the commit: from then on
            // it may close a store, and must be the one to free it.
            taken.removeAll(keepingCapacity: true)
            if let commitOutcome {
                monitor.withLock {
                    outcome = commitOutcome
                    monitor.broadcast()
                }
            }
        }
    }

    /// Does one piece of work; for a commit, returns the orgs whose writes were lost.
    private func perform(_ work: Work) -> [String: String]? {
        switch work {
        case .write(let orgID, let persistence, let changes):
            if !storesWritten.contains(where: { $0.orgID == orgID }) { storesWritten.append((orgID, persistence)) }
            // After a failed write its org's pass is lost: its later writes would only be taken back.
            guard orgsLost[orgID] == nil else { return nil }
            do {
                try persistence.persistInBatch(changes)
            } catch {
                orgsLost[orgID] = "\(error)"
            }
            return nil
        case .render(let body):
            body.renderIfNeeded()
            return nil
        case .commit:
            defer {
                storesWritten.removeAll(keepingCapacity: true)
                orgsLost.removeAll()
            }
            // Each org's writes stand or fall together, and only its own replies fail with them.
            for (orgID, persistence) in storesWritten {
                if orgsLost[orgID] != nil {
                    persistence.rollbackBatch()
                    continue
                }
                do {
                    try persistence.commitBatch()
                } catch {
                    orgsLost[orgID] = "\(error)"
                }
            }
            return orgsLost
        }
    }
}
