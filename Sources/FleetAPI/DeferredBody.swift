/// A reply's body rendered after the reply was decided: by the commit thread, once the batch with
/// the writes it reports is committed (background commit), so the loop spends no time on it.
///
/// Unchecked: the commit thread renders it before it hands the batch's outcome back under its
/// mutex, and the loop reads `bytes` only after collecting that outcome (or renders it itself when
/// no thread ever had it), so one thread at a time touches `rendered`.
public final class DeferredBody: @unchecked Sendable {
    private let render: @Sendable () -> [UInt8]
    private var rendered: [UInt8]?

    init(_ render: @escaping @Sendable () -> [UInt8]) {
        self.render = render
    }

    func renderIfNeeded() {
        if rendered == nil { rendered = render() }
    }

    /// Whether it was rendered (by the commit thread, or by reading `bytes`).
    public var isRendered: Bool { rendered != nil }

    /// The body, rendered now if no thread rendered it yet.
    public var bytes: [UInt8] {
        renderIfNeeded()
        return rendered ?? []
    }
}
