/// An array kept in fixed-size chunks, so that appending never moves what is already there.
///
/// A plain array doubles by copying every element into a new block: the simulation's deployments
/// (about 250 bytes each) did so at 65,536, holding the loop 17 ms while the copy ran and the new
/// 32 MB block faulted in, and twice as long at the next doubling. Here an append costs at most a
/// new chunk of `chunkSize` elements.
public struct ChunkedArray<Element> {
    @inlinable static var chunkShift: Int { 10 }
    @inlinable static var chunkSize: Int { 1 << chunkShift }
    @inlinable static var offsetMask: Int { chunkSize - 1 }

    @usableFromInline var chunks: [[Element]] = []
    public private(set) var count = 0

    public init() {}

    public init<Elements: Sequence>(_ elements: Elements) where Elements.Element == Element {
        for element in elements { append(element) }
    }

    public mutating func append(_ element: Element) {
        if count & Self.offsetMask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}

extension ChunkedArray: RandomAccessCollection, MutableCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < count, "ChunkedArray index out of range")
            return chunks[position >> Self.chunkShift][position & Self.offsetMask]
        }
        // In place: a get-then-set would copy the element, and with it force a copy of any
        // array it holds (a deployment's host operations) on the next change.
        _modify {
            precondition(position >= 0 && position < count, "ChunkedArray index out of range")
            yield &chunks[position >> Self.chunkShift][position & Self.offsetMask]
        }
    }
}

extension ChunkedArray: Equatable where Element: Equatable {}
extension ChunkedArray: Sendable where Element: Sendable {}
