/// A streaming JSON writer into a byte buffer: responses are written field by field, with no
/// intermediate tree, because encoding is the largest cost of a small reply.
///
/// Commas are managed for the caller: `beginObject`/`key`/value calls nest naturally.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes an object key named in the source; the next value call writes its value. Such keys
    /// are plain ASCII and are copied as they are, unescaped (they were a tenth of a GET's time).
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a key computed at run time (an object member's name), escaped as needed.
    public mutating func dynamicKey(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ text: String) {
        separate()
        appendQuoted(text)
    }

    /// A string given as UTF-8 bytes (valid UTF-8, escaped here as `string(_:)` escapes).
    public mutating func string(utf8 text: UnsafeBufferPointer<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(utf8: text)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ number: Int64) {
        separate()
        appendDecimal(number)
    }

    public mutating func int(_ number: Int) {
        int(Int64(number))
    }

    public mutating func double(_ number: Double) {
        separate()
        if number.isFinite {
            if number.rounded() == number, abs(number) < 1e15 {
                appendDecimal(Int64(number))
            } else {
                bytes.append(contentsOf: "\(number)".utf8)
            }
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    public mutating func bool(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes a whole value; object keys in sorted order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): int(number)
        case .double(let number): double(number)
        case .string(let text): string(text)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for name in members.keys.sorted() {
                dynamicKey(name)
                self.value(members[name]!)
            }
            endObject()
        }
    }

    /// Writes a whole value with each object's keys in the dictionary's own order, which differs
    /// from process to process: for text that is stored and read back, never shown (sorting the
    /// keys of 100,000 hosts' attributes was a tenth of seeding them).
    public mutating func unorderedValue(_ value: JSONValue) {
        switch value {
        case .array(let items):
            beginArray()
            for item in items { unorderedValue(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, member) in members {
                dynamicKey(name)
                unorderedValue(member)
            }
            endObject()
        default: self.value(value)
        }
    }

    /// Writes `first`, `separator` and `second` as one string, without making it first (a tag's
    /// `key:value`).
    public mutating func string(_ first: String, _ separator: UInt8, _ second: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(first)
        bytes.append(separator)
        appendEscaped(second)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Where the next byte goes: with `fragment(from:)`, marks the start of a run of output to reuse.
    public var position: Int { bytes.count }

    /// The output written since `start`, to be repeated later with `append(fragment:)`.
    public func fragment(from start: Int) -> [UInt8] { Array(bytes[start...]) }

    /// Appends a fragment this writer produced earlier, which ended with a complete value (or
    /// closed an object or array): the writer is left as after a value.
    public mutating func append(fragment: [UInt8]) {
        bytes.append(contentsOf: fragment)
        needsComma = true
    }

    // Convenience for the common "key": value pairs.
    public mutating func field(_ name: StaticString, _ text: String) { key(name); string(text) }
    public mutating func field(_ name: StaticString, utf8 text: UnsafeBufferPointer<UInt8>) {
        key(name); string(utf8: text)
    }
    public mutating func field(_ name: StaticString, _ number: Int64) { key(name); int(number) }
    public mutating func field(_ name: StaticString, _ number: Int) { key(name); int(number) }
    public mutating func field(_ name: StaticString, _ flag: Bool) { key(name); bool(flag) }
    public mutating func field(_ name: StaticString, _ number: Double) { key(name); double(number) }
    public mutating func field(_ name: StaticString, _ json: JSONValue) { key(name); value(json) }

    private mutating func appendDecimal(_ number: Int64) {
        if number == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = number.magnitude
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for position in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(buffer[position])
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(text)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ text: String) {
        // Most strings (ids, names, versions) need no escape: copy them whole, which is what the
        // byte-by-byte loop below cost most of a GET deployment's time doing.
        // The UTF-8 in place when the string has it contiguous (every native string): no copy of
        // the string value, as `withUTF8` on a `var` needs.
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped(utf8: $0) }) != nil { return }
        for byte in text.utf8 { appendEscaped(byte) }
    }

    private mutating func appendEscaped(utf8 text: UnsafeBufferPointer<UInt8>) {
        for byte in text where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            for byte in text { appendEscaped(byte) }
            return
        }
        bytes.append(contentsOf: text)
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x00..<0x20:
            bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0x0F)])
        default: bytes.append(byte)
        }
    }
}

extension JSONValue {
    /// The compact JSON text of this value, keys sorted.
    public var serialized: [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }

    public var serializedString: String {
        String(decoding: serialized, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Appends `text`'s UTF-8 with one copy from the string's own storage: `append(contentsOf:
    /// text.utf8)` goes byte by byte.
    public mutating func appendUTF8(of text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) == nil {
            append(contentsOf: text.utf8)
        }
    }
}
