/// Splits a message's header section into fields without building strings, so that callers
/// can look at the few fields they need (and copy the others' bytes untouched).
///
/// A field is a line `Name: value` plus its folded continuation lines (lines starting with a space
/// or tab). A line that is not a field (no colon, or a name with spaces or control bytes) is kept
/// as a field of its own without a name. The section ends at the first empty line (not included)
/// or at the end of the bytes.
public enum HeaderFields {
    /// One field: its bytes (terminators and continuations included) and where its name ends.
    public struct Field: Sendable, Hashable {
        public var range: Range<Int>
        /// The index of the colon after the name; `nil` for a line that is not a field.
        public var colon: Int?
    }

    /// The fields of the header section at the start of `bytes`, and the index where the
    /// section's terminating empty line starts (or `bytes.count` when there is none).
    public static func split(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) -> (fields: [Field], end: Int) {
        var fields: [Field] = []
        var index = 0
        let count = min(bytes.count, limit)
        while index < count {
            let lineEnd = LineEndings.firstIndex(of: 0x0a, in: UnsafeRawBufferPointer(rebasing: bytes[index..<count]))
                .map { index + $0 + 1 } ?? count
            let first = bytes[index]
            if first == 0x0a || (first == 0x0d && index + 1 < count && bytes[index + 1] == 0x0a) {
                return (fields, index)
            }
            if (first == 0x20 || first == 0x09), !fields.isEmpty {
                fields[fields.count - 1].range = fields[fields.count - 1].range.lowerBound..<lineEnd
            } else {
                fields.append(Field(range: index..<lineEnd, colon: colonOfName(bytes, from: index, to: lineEnd)))
            }
            index = lineEnd
        }
        return (fields, count)
    }

    public static func split(_ bytes: [UInt8], limit: Int = .max) -> (fields: [Field], end: Int) {
        bytes.withUnsafeBytes { split($0, limit: limit) }
    }

    /// Whether the field's name is `lowercasedName` (ASCII, compared case-insensitively).
    public static func field(_ field: Field, in bytes: UnsafeRawBufferPointer, isNamed lowercasedName: String) -> Bool {
        guard let colon = field.colon, colon - field.range.lowerBound == lowercasedName.utf8.count else { return false }
        var index = field.range.lowerBound
        for expected in lowercasedName.utf8 {
            var byte = bytes[index]
            if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
            if byte != expected { return false }
            index += 1
        }
        return true
    }

    /// The unfolded values of every field named `lowercasedName` in a header section.
    public static func values(named lowercasedName: String, in header: [UInt8]) -> [String] {
        header.withUnsafeBytes { bytes in
            split(bytes).fields.filter { field($0, in: bytes, isNamed: lowercasedName) }.map { value($0, in: bytes) }
        }
    }

    /// The field's name, lower-cased (empty for a line that is not a field).
    public static func lowercasedName(_ field: Field, in bytes: UnsafeRawBufferPointer) -> String {
        guard let colon = field.colon else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.range.lowerBound..<colon]), as: UTF8.self)
            .lowercased()
    }

    /// The field's value, unfolded (line breaks removed) and trimmed of spaces and tabs.
    public static func value(_ field: Field, in bytes: UnsafeRawBufferPointer) -> String {
        guard let colon = field.colon else { return "" }
        var value: [UInt8] = []
        value.reserveCapacity(field.range.upperBound - colon)
        for byte in bytes[(colon + 1)..<field.range.upperBound] where byte != 0x0d && byte != 0x0a {
            value.append(byte)
        }
        let start = value.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) ?? value.count
        let end = (value.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) ?? -1) + 1
        return start < end ? String(decoding: value[start..<end], as: UTF8.self) : ""
    }

    /// The colon ending a printable, space-free name at the start of the line, if any.
    private static func colonOfName(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") { return index > start ? index : nil }
            if byte <= 0x20 || byte >= 0x7f { return nil }
            index += 1
        }
        return nil
    }
}
