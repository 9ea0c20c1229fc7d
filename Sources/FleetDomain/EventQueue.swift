/// The next deployment due to change: a min-heap of (time, sequence, deployment index).
/// Entries can go stale when a deployment's plan changes; the consumer re-checks and skips them.
struct EventQueue: Sendable {
    struct Entry: Comparable, Sendable {
        let time: Instant
        let sequence: Int64
        let deploymentIndex: Int

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
        }
    }

    private var heap = MinHeap<Entry>()

    var first: Entry? { heap.first }
    var count: Int { heap.count }

    mutating func insert(_ entry: Entry) { heap.insert(entry) }

    mutating func removeFirst() -> Entry? { heap.removeFirst() }
}
