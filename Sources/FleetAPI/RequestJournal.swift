import FleetDomain
import FleetJSON

/// What FleetMock answered, request by request, for tests to inspect: a bounded ring of the most
/// recent `/api/` exchanges (the control surface's own requests are left out). Bodies are cut at
/// `bodyLimit` bytes.
public struct RequestJournal: Sendable {
    public struct Entry: Sendable {
        public let sequence: Int
        public let time: Instant
        public let method: String
        public let target: String
        public let operation: String?
        public let org: String
        public let status: Int
        public let durationMicroseconds: Int64
        /// Kept as the bytes received and sent (cut at the journal's limit), turned into text only
        /// when someone reads the journal: recording runs on every request, reading rarely.
        let requestBytes: Body
        var responseBytes: Body
        public var requestBody: String { requestBytes.text }
        public var responseBody: String { responseBytes.text }
        /// For a request no route served: the route it came closest to.
        public let nearMatch: String?
        /// The fault rule that shaped the answer, if any.
        public let fault: String?
    }

    public struct Filter: Sendable {
        public var operation: String?
        public var status: Int?
        public var method: String?
        public var since: Instant?
        /// Only this org's exchanges (`?org=ID`), else every org's.
        public var org: String?
        public var limit = Int.max

        public init() {}
    }

    public let capacity: Int
    public let bodyLimit: Int
    private var entries: [Entry] = []
    /// Where the oldest entry is once the ring is full.
    private var start = 0
    private var nextSequence = 1
    /// Entries whose response body is still deferred, by index and sequence.
    private var entriesWithDeferredBodies: [(index: Int, sequence: Int)] = []

    public init(capacity: Int = 1_000, bodyLimit: Int = 4_096) {
        self.capacity = max(1, capacity)
        self.bodyLimit = max(0, bodyLimit)
    }

    public var count: Int { entries.count }

    public mutating func record(
        time: Instant, method: String, target: String, operation: String?, org: String, status: Int,
        durationMicroseconds: Int64, requestBody: [UInt8], responseBody: [UInt8],
        deferredResponseBody: DeferredBody? = nil,
        nearMatch: String?, fault: String?
    ) {
        let entry = Entry(
            sequence: nextSequence, time: time, method: method, target: target, operation: operation, org: org,
            status: status, durationMicroseconds: durationMicroseconds,
            requestBytes: Body(requestBody, limit: bodyLimit),
            responseBytes: deferredResponseBody.map { Body(deferred: $0, limit: bodyLimit) }
                ?? Body(responseBody, limit: bodyLimit),
            nearMatch: nearMatch, fault: fault)
        nextSequence += 1
        cutRenderedBodies()
        let index: Int
        if entries.count < capacity {
            index = entries.count
            entries.append(entry)
        } else {
            index = start
            entries[start] = entry
            start = (start + 1) % capacity
        }
        if deferredResponseBody != nil { entriesWithDeferredBodies.append((index, entry.sequence)) }
    }

    /// Deferred bodies are kept whole until rendered; once they are, they are cut to the journal's
    /// limit like any other, so the journal stays bounded (a page of hosts with many packages
    /// runs to tens of kilobytes).
    private mutating func cutRenderedBodies() {
        entriesWithDeferredBodies.removeAll { index, sequence in
            // The ring may have put a newer entry there since.
            guard index < entries.count, entries[index].sequence == sequence,
                let deferred = entries[index].responseBytes.deferred
            else { return true }
            guard deferred.isRendered else { return false }
            entries[index].responseBytes = Body(deferred.bytes, limit: bodyLimit)
            return true
        }
    }

    /// A body's first `limit` bytes and how many there were in all.
    struct Body: Sendable {
        /// The body, or its first `limit` bytes when it is longer than `sharedUpTo`.
        private let kept: [UInt8]
        /// A body rendered later (by the writer thread), read only when the journal is.
        let deferred: DeferredBody?
        let limit: Int

        init(_ body: [UInt8], limit: Int) {
            // A body up to `sharedUpTo` is kept whole, sharing the reply's storage (a cached
            // page is not copied at all); only a longer one is cut here, so the journal stays
            // bounded. Either way the text shows `limit` bytes.
            kept = body.count > max(limit, Self.sharedUpTo) ? Array(body[..<limit]) : body
            ownCount = body.count
            deferred = nil
            self.limit = limit
        }

        /// Holds the whole deferred body until the journal cuts it, once rendered.
        init(deferred: DeferredBody, limit: Int) {
            kept = []
            ownCount = 0
            self.deferred = deferred
            self.limit = limit
        }

        private let ownCount: Int
        static let sharedUpTo = 16 << 10

        var text: String {
            let kept = deferred?.bytes ?? kept
            let totalCount = deferred == nil ? ownCount : kept.count
            let shown = kept.prefix(limit)
            let text = String(decoding: shown, as: UTF8.self)
            return totalCount > shown.count ? text + "…[\(totalCount - shown.count) more bytes]" : text
        }
    }

    /// Oldest first, the last `limit` that pass the filter.
    public func entries(matching filter: Filter) -> [Entry] {
        var selected: [Entry] = []
        for offset in 0..<entries.count {
            let entry = entries[(start + offset) % entries.count]
            if let operation = filter.operation, entry.operation != operation { continue }
            if let status = filter.status, entry.status != status { continue }
            if let method = filter.method, entry.method != method { continue }
            if let since = filter.since, entry.time < since { continue }
            if let org = filter.org, entry.org != org { continue }
            selected.append(entry)
        }
        return Array(selected.suffix(max(0, filter.limit)))
    }

    public mutating func clear() {
        entries.removeAll()
        entriesWithDeferredBodies.removeAll()
        start = 0
    }

    func render(_ selected: [Entry]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * max(1, selected.count))
        writer.beginObject()
        writer.key("requests")
        writer.beginArray()
        for entry in selected {
            writer.beginObject()
            writer.field("duration_ms", Double(entry.durationMicroseconds) / 1000)
            if let fault = entry.fault { writer.field("fault", fault) }
            writer.field("method", entry.method)
            if let nearMatch = entry.nearMatch { writer.field("near_match", nearMatch) }
            if let operation = entry.operation {
                writer.field("operation", operation)
            } else {
                writer.key("operation")
                writer.null()
            }
            writer.field("org", entry.org)
            writer.field("path", entry.target)
            writer.field("request_body", entry.requestBody)
            writer.field("response_body", entry.responseBody)
            writer.field("sequence", entry.sequence)
            writer.field("status", entry.status)
            writer.field("time", ISO8601.format(entry.time))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
