import Synchronization

/// A reply's body rendered after the reply was decided: by the writer thread, so the loop spends no
/// time on it. Part of the durability seam (`StoreWriter.deferredJSON`), whose thread it crosses:
/// with StoreWriter, the only code in FleetAPI that takes a lock. Whoever reads it first renders
/// it, under that lock: the loop normally reads it only after the pass's commit, by when the
/// writer thread has rendered it.
public final class DeferredBody: Sendable {
    private struct State {
        /// Dropped once rendered: it holds what it renders from (a whole deployment), and the
        /// journal keeps the body long after.
        var render: (@Sendable () -> [UInt8])?
        var bytes: [UInt8]?
    }

    private let state: Mutex<State>
    /// Set once the bytes are in `state`: the loop asks this of each body in the journal after
    /// every request, and must not wait on the lock while the writer thread renders (it did:
    /// 4% of the loop's time, blocked).
    private let rendered = Atomic<Bool>(false)

    public init(_ render: @escaping @Sendable () -> [UInt8]) {
        state = Mutex(State(render: render, bytes: nil))
    }

    func renderIfNeeded() {
        _ = bytes
    }

    /// Whether it was rendered (by the writer thread, or by reading `bytes`).
    public var isRendered: Bool { rendered.load(ordering: .acquiring) }

    /// The body, rendered now if it was not yet.
    public var bytes: [UInt8] {
        state.withLock { state in
            if let bytes = state.bytes { return bytes }
            let bytes = state.render?() ?? []
            state.bytes = bytes
            state.render = nil
            rendered.store(true, ordering: .releasing)
            return bytes
        }
    }
}
