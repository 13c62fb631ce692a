/// Makes a message acceptable to a strict destination without losing content: the repairs a
/// ``RepairPolicy`` allows, each one reported. Bytes that need no repair are never touched.
public enum MessageRepair {
    /// What a scan found: the repairs needed, and what no repair can fix.
    public struct Findings: Sendable, Hashable {
        public var needed: Set<RepairKind> = []
        /// Body lines over the limit: reported, never changed.
        public var longBodyLines = 0
        public var longestBodyLine = 0

        public init() {}
    }

    /// A repaired message.
    public struct Result: Sendable {
        public var bytes: [UInt8]
        /// The repairs made.
        public var repaired: Set<RepairKind>
        /// What was left as it is, for the report (an 8-bit address, an unbreakable long line).
        public var unrepaired: [String]
    }

    /// Largest message repaired in memory; a larger one is sent as it is, and the report says so.
    public static let maximumRepairSize = 64 << 20

    /// Finds what `data` needs, reading it once in chunks.
    public static func scan(_ data: MessageData, policy: RepairPolicy) throws -> Findings {
        var scanner = RepairScanner(policy: policy)
        try data.forEachChunk { scanner.feed($0) }
        return scanner.finish()
    }

    /// `bytes` repaired as `policy` allows: line breaks made CRLF throughout, NULs removed, a
    /// final CRLF, 8-bit header fields encoded, long header lines folded.
    public static func repair(_ bytes: [UInt8], policy: RepairPolicy) -> Result {
        var repaired: Set<RepairKind> = []
        var unrepaired: [String] = []
        // 1. NULs and line breaks, in one pass.
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count + bytes.count / 32 + 2)
        var crlfStyle: Bool?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0 where policy.removeNUL:
                repaired.insert(.nul)
            case 0x0d:
                var next = index
                while policy.removeNUL, next < bytes.count, bytes[next] == 0 { next += 1 }
                if next < bytes.count, bytes[next] == 0x0a {
                    if next > index { repaired.insert(.nul) }
                    index = next + 1
                    if crlfStyle == nil { crlfStyle = true }
                } else if policy.lineBreaks {
                    repaired.insert(.bareCarriageReturn)
                } else {
                    text.append(byte)
                    continue
                }
                text += [0x0d, 0x0a]
            case 0x0a:
                if crlfStyle == nil {
                    crlfStyle = false
                } else if crlfStyle == true, policy.lineBreaks {
                    repaired.insert(.bareLineFeed)
                }
                text += [0x0d, 0x0a]
            default:
                text.append(byte)
            }
        }
        if policy.finalLineBreak, !text.isEmpty, text.last != 0x0a {
            text += [0x0d, 0x0a]
            repaired.insert(.finalLineBreak)
        }
        // 2. The header section, field by field.
        let headerEnd = HeaderSection.end(of: text)
        guard headerEnd > 0 else {
            return Result(bytes: text, repaired: repaired, unrepaired: unrepaired + bodyNotes(text, from: 0, policy))
        }
        var header: [UInt8] = []
        header.reserveCapacity(headerEnd + 256)
        for field in HeaderSection.fields(text[0..<headerEnd]) {
            var lines = field
            if policy.encode8BitHeaders, field.contains(where: { $0.contains(where: { $0 >= 0x80 }) }) {
                let encoded = EncodedWords.encodeField(field.flatMap { $0 })
                if let note = encoded.note { unrepaired.append(note) }
                if encoded.changed {
                    repaired.insert(.eightBitHeader)
                    lines = HeaderFolding.fold(encoded.line, limit: 78, hardLimit: policy.maximumLineLength)
                }
            }
            var folded: [[UInt8]] = []
            for line in lines {
                if line.count > policy.maximumLineLength {
                    let pieces = HeaderFolding.fold(line, limit: policy.maximumLineLength, hardLimit: policy.maximumLineLength)
                    if pieces.contains(where: { $0.count > policy.maximumLineLength }) {
                        // Folding cannot bring it under the limit: leave it whole rather than half-folded.
                        unrepaired.append(
                            "header field \(HeaderSection.name(of: line)) has a line of \(line.count) bytes with no place to fold it; sent as it is")
                        folded.append(line)
                    } else {
                        if pieces.count > 1 { repaired.insert(.longHeaderLine) }
                        folded += pieces
                    }
                } else {
                    folded.append(line)
                }
            }
            for line in folded { header += line + [0x0d, 0x0a] }
        }
        let body = text[headerEnd...]
        return Result(bytes: header + body, repaired: repaired, unrepaired: unrepaired + bodyNotes(text, from: headerEnd, policy))
    }

    /// A note on body lines over the limit (never folded: that would change the content).
    private static func bodyNotes(_ text: [UInt8], from start: Int, _ policy: RepairPolicy) -> [String] {
        var count = 0
        var longest = 0
        var lineStart = start
        for position in start..<text.count where text[position] == 0x0a {
            let length = position - lineStart - (position > lineStart && text[position - 1] == 0x0d ? 1 : 0)
            if length > policy.maximumLineLength {
                count += 1
                longest = max(longest, length)
            }
            lineStart = position + 1
        }
        guard count > 0 else { return [] }
        return ["\(count) body line(s) over \(policy.maximumLineLength) bytes (longest \(longest)) sent as they are"]
    }
}

/// The header section of a CRLF message, as lines grouped into fields.
enum HeaderSection {
    /// The offset just past the header section's last CRLF (before the empty line), or the
    /// whole message when there is no empty line; 0 for a message that starts with one.
    static func end(of text: [UInt8]) -> Int {
        if text.starts(with: [0x0d, 0x0a]) { return 0 }
        var index = 0
        while index + 3 < text.count {
            if text[index] == 0x0d, text[index + 1] == 0x0a, text[index + 2] == 0x0d, text[index + 3] == 0x0a {
                return index + 2
            }
            index += 1
        }
        return text.count
    }

    /// The lines (CRLF removed) of each field; a line starting with a space or tab continues
    /// the previous field.
    static func fields(_ header: ArraySlice<UInt8>) -> [[[UInt8]]] {
        var fields: [[[UInt8]]] = []
        var lineStart = header.startIndex
        var position = header.startIndex
        while position < header.endIndex {
            if header[position] == 0x0a {
                let end = position > lineStart && header[position - 1] == 0x0d ? position - 1 : position
                let line = Array(header[lineStart..<end])
                if let first = line.first, first == 0x20 || first == 0x09, !fields.isEmpty {
                    fields[fields.count - 1].append(line)
                } else {
                    fields.append([line])
                }
                lineStart = position + 1
            }
            position += 1
        }
        if lineStart < header.endIndex { fields.append([Array(header[lineStart...])]) }
        return fields
    }

    /// A field's name, for messages (at most 40 characters, printable ASCII).
    static func name(of line: [UInt8]) -> String {
        let name = line.prefix { $0 != UInt8(ascii: ":") }.prefix(40).map { $0 >= 0x21 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }
        return String(decoding: name, as: UTF8.self)
    }
}
