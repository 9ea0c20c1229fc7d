import FleetDomain

// Background commit: with group commit, each request's writes go to a thread of their own as soon
// as they are planned, and that thread also renders the replies' bodies deferred to it, while the
// loop handles the pass's next requests. The pass's end is unchanged: one commit (now awaited from
// the thread), then every held reply, or a failure instead of each if writes were lost.
extension FleetApplication {
    /// Writes on a thread of their own from now on. False if no thread could be started: the loop
    /// then goes on writing itself.
    public func commitInBackground() -> Bool {
        precondition(groupsCommits, "background commit is a form of group commit")
        guard writerThread == nil, let thread = WriterThread() else { return false }
        commitOpenBatches()
        writerThread = thread
        return true
    }

    /// Commits what is left and ends the thread (the server is stopping).
    public func stopCommittingInBackground() {
        guard let thread = writerThread else { return }
        commitOpenBatches()
        thread.stop()
        writerThread = nil
    }

    /// A JSON reply whose body the writer thread renders, when writes are in the background
    /// (rendering a deployment is a sixth of a trigger's time); else rendered now. `render` must
    /// read only values it captured, never the simulation.
    func deferredJSON(_ status: Int, render: @escaping @Sendable () -> [UInt8]) -> APIResponse {
        guard let writerThread else { return .json(status, render()) }
        let body = DeferredBody(render)
        writerThread.enqueue(.render(body))
        passHasBackgroundWork = true
        var response = APIResponse.json(status, [])
        response.deferredBody = body
        return response
    }

    /// Hands the changes to the writer thread, noting the org for the pass's commit.
    func writeInBackground(_ changes: [FleetChange], on writerThread: WriterThread) {
        guard !changes.isEmpty else { return }
        if !orgsWrittenInBackground.contains(where: { $0 === current }) { orgsWrittenInBackground.append(current) }
        writerThread.enqueue(.write(orgID: current.id, persistence: persistence, changes: changes))
        passHasBackgroundWork = true
    }

    /// Waits for the writer thread to commit the pass; an org whose writes were lost gets its
    /// committed state back, and its replies held for the pass fail (`lostOrgs`).
    func commitBackgroundWork(on writerThread: WriterThread) {
        guard passHasBackgroundWork else { return }
        let lost = writerThread.commitAndWait()
        let orgs = orgsWrittenInBackground
        passHasBackgroundWork = false
        orgsWrittenInBackground.removeAll(keepingCapacity: true)
        guard !lost.isEmpty else { return }
        lostOrgs.formUnion(lost.keys)
        for org in orgs where lost[org.id] != nil && self.orgs[org.id] === org {
            log("storage failure: \(lost[org.id]!); org \(org.id) goes back to its last committed state")
            returnToCommittedState(org)
        }
    }

    /// Before the org's store closes: a write the writer thread may still be making to it is
    /// finished (the pass is committed now); on the loop, the org's open batch is dropped (closing
    /// the store rolls it back).
    func settleWritesBeforeClosingStore(of org: Org) {
        if let writerThread { commitBackgroundWork(on: writerThread) }
        orgsWithOpenBatch.removeAll { $0 === org }
    }
}
