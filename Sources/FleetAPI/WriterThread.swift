import FleetDomain
import Glibc

/// The thread that makes a pass's writes while the loop goes on handling the pass's requests: each
/// request's changes are handed over as soon as it has planned them, reply bodies deferred to it
/// are rendered in turn, and at the pass's end the loop asks for the commit and waits for it.
///
/// The one place FleetAPI crosses threads. Work goes in under the mutex and the commit's outcome
/// comes back the same way. The stores are not Sendable: the loop leaves them alone while the
/// thread has work (it touches them only after `commitAndWait`, before handing over more).
final class WriterThread: @unchecked Sendable {
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

    // Allocated: a pthread object must not move, and a stored property's address is not fixed.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workArrived = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let committed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread: pthread_t?
    // Guarded by `mutex`.
    private var queue: [Work] = []
    private var idle = false
    private var outcome: [String: String]?
    private var stopping = false
    // The thread's own, between commits.
    private var storesWritten: [(orgID: String, persistence: FleetPersistence)] = []
    /// Orgs whose writes of the pass were lost, with SQLite's reason.
    private var orgsLost: [String: String] = [:]

    /// nil if no thread can be started.
    init?() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workArrived, nil)
        pthread_cond_init(committed, nil)
        var handle = pthread_t()
        // The thread holds a reference until it ends.
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&handle, nil, writerThreadMain, context) == 0 else {
            Unmanaged<WriterThread>.fromOpaque(context).release()
            return nil
        }
        thread = handle
    }

    deinit {
        pthread_cond_destroy(committed)
        pthread_cond_destroy(workArrived)
        pthread_mutex_destroy(mutex)
        committed.deallocate()
        workArrived.deallocate()
        mutex.deallocate()
    }

    func enqueue(_ work: Work) {
        pthread_mutex_lock(mutex)
        queue.append(work)
        // A busy thread finds the work when it looks next. An idle one is woken (a system call, and
        // the caches of two cores to bring in step) for work worth it: a cancel's one statement
        // costs less than the wake-up, so light work waits for a pile of it or the commit.
        if idle, work.isHeavy || queue.count >= Self.lightWorkPerWakeUp { pthread_cond_signal(workArrived) }
        pthread_mutex_unlock(mutex)
    }

    static let lightWorkPerWakeUp = 32

    /// Commits everything handed over so far and returns the orgs whose writes were lost, with why.
    func commitAndWait() -> [String: String] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        queue.append(.commit)
        if idle { pthread_cond_signal(workArrived) }
        while outcome == nil { pthread_cond_wait(committed, mutex) }
        let lost = outcome ?? [:]
        outcome = nil
        return lost
    }

    /// Ends the thread once it has done what it was given; waits for it.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(workArrived)
        pthread_mutex_unlock(mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    fileprivate func run() {
        var taken: [Work] = []
        pthread_mutex_lock(mutex)
        while true {
            while queue.isEmpty && !stopping {
                idle = true
                pthread_cond_wait(workArrived, mutex)
                idle = false
            }
            if queue.isEmpty { break }
            swap(&taken, &queue)
            pthread_mutex_unlock(mutex)
            var commitOutcome: [String: String]?
            for work in taken {
                if let lost = perform(work) { commitOutcome = lost }
            }
            // Let go of the stores and bodies before the loop hears of the commit: from then on
            // it may close a store, and must be the one to free it.
            taken.removeAll(keepingCapacity: true)
            pthread_mutex_lock(mutex)
            if let commitOutcome {
                outcome = commitOutcome
                pthread_cond_signal(committed)
            }
        }
        pthread_mutex_unlock(mutex)
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
            // Each org's writes stand or fall together, and only its own replies fail with them:
            // an org whose write failed is taken back, every other org is committed.
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

private func writerThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<WriterThread>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
