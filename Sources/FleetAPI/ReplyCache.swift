/// Replies rendered from one revision of an org's simulation, by a key the handler makes of the
/// operation and its parameters: a client polling a deployment between two rollout events gets the
/// same bytes without a second rendering. Any change to the simulation moves its revision, and a
/// lookup or store at another revision than the one the replies were rendered at empties the cache
/// first, so no reply outlives the state it shows.
struct ReplyCache {
    /// Per org: a few pages polled at once. A full cache empties before taking another reply.
    static let limit = 16

    private var replies: [String: [UInt8]] = [:]
    /// The simulation's revision the replies were rendered at.
    private var revision: UInt64 = 0

    /// The reply rendered for `key` at `revision`, if there is one.
    mutating func reply(for key: String, at revision: UInt64) -> [UInt8]? {
        forgetUnless(at: revision)
        return replies[key]
    }

    /// Keeps `reply`, rendered for `key` from the simulation at `revision`.
    mutating func store(_ reply: [UInt8], for key: String, at revision: UInt64) {
        forgetUnless(at: revision)
        if replies.count >= Self.limit { replies.removeAll() }
        replies[key] = reply
    }

    private mutating func forgetUnless(at revision: UInt64) {
        guard revision != self.revision else { return }
        replies.removeAll()
        self.revision = revision
    }
}
