import Synchronization

/// A reply's body rendered after the reply was decided: by the writer thread (background commit),
/// so the loop spends no time on it. Whoever reads it first renders it, under a lock: the loop
/// normally reads it only after the pass's commit, by when the writer thread has rendered it.
public final class DeferredBody: Sendable {
    private let render: @Sendable () -> [UInt8]
    private let rendered = Mutex<[UInt8]?>(nil)

    init(_ render: @escaping @Sendable () -> [UInt8]) {
        self.render = render
    }

    func renderIfNeeded() {
        _ = bytes
    }

    /// Whether it was rendered (by the writer thread, or by reading `bytes`).
    public var isRendered: Bool { rendered.withLock { $0 != nil } }

    /// The body, rendered now if it was not yet.
    public var bytes: [UInt8] {
        rendered.withLock { rendered in
            if let rendered { return rendered }
            let bytes = render()
            rendered = bytes
            return bytes
        }
    }
}
