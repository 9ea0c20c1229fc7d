import CLibevent

/// Group commit: replies held until the loop pass ends, then sent or replaced.
extension HTTPServer {
    /// Holds each reply for which `holds()` answers true after its request was handled, until the
    /// end of the current loop pass, when `passEnded()` runs once for all of them: it returns nil
    /// to send them as they are, or the commit groups whose writes were not kept and the reply to
    /// send instead of each reply of those groups.
    ///
    /// The pass's end is an event made active by the first held reply: libevent runs active
    /// events in order, so it runs after every request already read in this pass (group commit:
    /// one durable commit for all of them, and no reply before it).
    public func holdRepliesUntilPassEnd(
        while holds: @escaping () -> Bool, passEnded: @escaping () -> LostCommitGroups?
    ) {
        guard passEndEvent == nil,
            let event = event_new(base, -1, 0, httpServerPassEndCallback, Unmanaged.passUnretained(self).toOpaque())
        else { return }
        passEndEvent = event
        holdsReply = holds
        self.passEnded = passEnded
    }

    /// Makes the pass end run after the events already active: for held replies, and for work
    /// done outside a request that the pass end finishes (a timer's writes, log lines).
    public func endPassSoon() {
        guard let passEndEvent, !passEndScheduled else { return }
        passEndScheduled = true
        event_active(passEndEvent, 0, 0)
    }

    func endPass() {
        passEndScheduled = false
        let lost = passEnded?()
        // Swapped with a spare list, so neither is ever copied (removing all from a list still
        // shared would allocate a new one each pass).
        var held = spareHeldReplies
        swap(&held, &heldReplies)
        defer {
            held.removeAll(keepingCapacity: true)
            spareHeldReplies = held
        }
        for (request, response) in held {
            let replacement = response.commitGroup.flatMap { lost?.groups.contains($0) == true ? lost?.reply : nil }
            var reply = replacement ?? response
            let closes = response.headers.contains { $0.name == "Connection" && $0.value == "close" }
            if replacement != nil, closes {
                reply.headers.append(("Connection", "close"))
            }
            dispatch(reply, to: request)
        }
    }
}
