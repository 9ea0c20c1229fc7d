import FleetDomain

/// What becomes of the replies a transport holds while writes are uncommitted (group commit).
public enum HeldRepliesFate {
    /// A batch is in flight: the replies held since it left wait for the next one.
    case keepHolding
    /// The replies held so far belong to the batch just handed to the commit thread: they go when
    /// it is reported finished.
    case sealForCommit
    /// Everything they saw is committed: send them, or, if not nil, this reply instead of each
    /// (writes they saw or made were lost).
    case send(replacement: APIResponse?)
}

/// Where the transport's held replies stand, from `settleCommits()`.
public struct CommitSettlement {
    /// One entry per batch the transport sealed replies for, oldest first, that has finished since:
    /// nil sends its replies as they are, else the reply each must become.
    public var finishedBatches: [APIResponse?]
    public var heldReplies: HeldRepliesFate
}

// Background commit: with group commit, a pass's writes are noted rather than made, and at the
// pass's end a thread of their own writes and commits them while the loop reads, plans and renders
// the next requests. No reply leaves before the writes it saw are committed; a lost batch fails
// its replies and every reply held after it, and memory returns to what the stores hold.
extension FleetApplication {
    /// Writes and commits on a thread of their own from now on; `finished` is called on that
    /// thread after each batch (the transport then calls `settleCommits()` on its loop). Returns
    /// false if no thread could be started: commits then stay on the loop.
    public func commitInBackground(finished: @escaping @Sendable () -> Void) -> Bool {
        precondition(groupsCommits, "background commit is a form of group commit")
        guard commitThread == nil, let thread = CommitThread(finished: finished) else { return false }
        commitOpenBatches()
        commitThread = thread
        return true
    }

    /// Commits what is left and ends the commit thread (the server is stopping).
    public func stopCommittingInBackground() {
        guard let thread = commitThread else { return }
        commitEverythingNow()
        thread.stop()
        commitThread = nil
    }

    /// Called at each pass's end and whenever the commit thread reports a batch finished: reports
    /// finished batches, and hands the unwritten writes over if the thread is free.
    public func settleCommits() -> CommitSettlement {
        var finished = drainedBatches
        drainedBatches.removeAll()
        if let orgs = batchInFlight, let lost = commitThread?.collect() {
            finished.append(finishBatch(of: orgs, lost: lost))
        }
        guard batchInFlight == nil else { return CommitSettlement(finishedBatches: finished, heldReplies: .keepHolding) }
        if commitThread != nil, !unwrittenChanges.isEmpty || !unrenderedBodies.isEmpty {
            submitUnwrittenChanges()
            return CommitSettlement(finishedBatches: finished, heldReplies: .sealForCommit)
        }
        return CommitSettlement(finishedBatches: finished, heldReplies: .send(replacement: finishPass()))
    }

    /// A JSON reply whose body the commit thread renders after committing the writes it reports,
    /// when commits are in the background (rendering a deployment is a sixth of a trigger's time);
    /// else rendered now. `render` must read only values it captured, never the simulation.
    func deferredJSON(_ status: Int, render: @escaping @Sendable () -> [UInt8]) -> APIResponse {
        guard commitThread != nil else { return .json(status, render()) }
        let body = DeferredBody(render)
        unrenderedBodies.append(body)
        var response = APIResponse.json(status, [])
        response.deferredBody = body
        return response
    }

    /// Drops the org's writes not yet committed (its store is closing).
    func forgetUncommittedWrites(of org: Org) {
        orgsWithOpenBatch.removeAll { $0 === org }
        unwrittenChanges.removeAll { $0.org === org }
    }

    /// Waits for the batch in flight, then writes and commits the unwritten changes on this thread.
    func commitEverythingNow() {
        if let orgs = batchInFlight, let thread = commitThread {
            drainedBatches.append(finishBatch(of: orgs, lost: thread.collectWaiting()))
        }
        guard !unwrittenChanges.isEmpty || !unrenderedBodies.isEmpty else { return }
        let (batch, orgs) = takeUnwrittenChanges()
        let lost = batch.writeAndCommit()
        if !lost.isEmpty { returnToCommittedState(orgs.filter { lost.contains($0.id) }) }
    }

    private func submitUnwrittenChanges() {
        let (batch, orgs) = takeUnwrittenChanges()
        batchInFlight = orgs
        commitThread?.submit { batch.writeAndCommit() }
    }

    private func takeUnwrittenChanges() -> (UnwrittenBatch, orgs: [Org]) {
        var orgs: [Org] = []
        var writes: [UnwrittenBatch.Write] = []
        writes.reserveCapacity(unwrittenChanges.count)
        for (org, changes) in unwrittenChanges {
            if !orgs.contains(where: { $0 === org }) { orgs.append(org) }
            writes.append(UnwrittenBatch.Write(orgID: org.id, persistence: org.persistence, changes: changes))
        }
        unwrittenChanges.removeAll(keepingCapacity: true)
        defer { unrenderedBodies.removeAll(keepingCapacity: true) }
        return (UnwrittenBatch(writes: writes, bodies: unrenderedBodies), orgs)
    }

    /// The reply each of a finished batch's replies must become (nil: none), after putting memory
    /// back in step if its writes were lost. Writes noted since then built on the lost ones: they
    /// are dropped too, and the replies held for them fail at their turn.
    private func finishBatch(of orgs: [Org], lost: Set<String>) -> APIResponse? {
        batchInFlight = nil
        guard !lost.isEmpty else { return nil }
        var affected = orgs.filter { lost.contains($0.id) }
        for (org, _) in unwrittenChanges where !affected.contains(where: { $0 === org }) { affected.append(org) }
        unwrittenChanges.removeAll()
        // Their replies fail: nothing renders them (the journal still can, when read).
        unrenderedBodies.removeAll()
        returnToCommittedState(affected)
        return FleetError.storageFailure(reason: "the write could not be committed").response
    }

    private func returnToCommittedState(_ orgs: [Org]) {
        batchLost = true
        for org in orgs where self.orgs[org.id] === org {
            log("storage failure: a batch of writes was lost; org \(org.id) goes back to its last committed state")
            returnToCommittedState(org)
        }
    }
}

/// One pass's writes, in order, with the stores they go to: what the commit thread runs.
/// Unchecked: the stores are not Sendable, but the loop leaves them alone from the batch's hand-over
/// until it has collected the batch's outcome, so one thread at a time touches them.
struct UnwrittenBatch: @unchecked Sendable {
    struct Write {
        let orgID: String
        let persistence: FleetPersistence
        let changes: [FleetChange]
    }

    let writes: [Write]
    /// Bodies of the batch's replies, rendered once it is committed.
    let bodies: [DeferredBody]

    /// Writes everything, then commits each org's batch; an org one of whose writes fails has its
    /// whole batch rolled back. Then renders the replies' bodies. Returns the orgs whose writes
    /// were lost.
    func writeAndCommit() -> Set<String> {
        var lost: Set<String> = []
        var stores: [(orgID: String, persistence: FleetPersistence)] = []
        for write in writes {
            if !stores.contains(where: { $0.orgID == write.orgID }) { stores.append((write.orgID, write.persistence)) }
            guard !lost.contains(write.orgID) else { continue }
            do {
                try write.persistence.persistInBatch(write.changes)
            } catch {
                lost.insert(write.orgID)
            }
        }
        for (orgID, persistence) in stores {
            if lost.contains(orgID) {
                persistence.rollbackBatch()
                continue
            }
            do {
                try persistence.commitBatch()
            } catch {
                lost.insert(orgID)
            }
        }
        for body in bodies { body.renderIfNeeded() }
        return lost
    }
}
