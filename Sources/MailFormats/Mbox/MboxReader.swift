import Foundation
import MailCore

/// Reads an mbox file one message at a time, in bounded memory (one line buffer plus the message
/// being read, which goes to a spool file when huge).
///
/// A message starts at a `From ` line that has a readable date and follows a blank line (or is
/// followed by a header line); a `From ` line without a date counts only when a blank line comes
/// before it and a header line after it, and earns a warning. Bookkeeping headers (`Status`,
/// `X-Status`, `X-Keywords`, …, see ``MboxMetadata``) become flags and leave the message. The
/// blank line that separates messages is not part of either. CRLF files, a missing final
/// newline, NUL bytes and 8-bit headers pass through unchanged.
public final class MboxReader {
    public struct Options: Sendable {
        /// Force a dialect; `nil` reads any (see ``MboxDialect``).
        public var dialect: MboxDialect?
        public var spillThreshold: Int
        /// A header section longer than this is treated as body from there on.
        public var maximumHeaderBytes: Int
        /// How far ahead a `Content-Length` is checked; longer bodies are read by `From ` lines.
        public var contentLengthLookahead: Int
        /// Count messages and bytes without keeping them (for folder status).
        public var countOnly: Bool
        /// Size of the line buffer; lines longer than half of it are read in pieces.
        public var lineBufferSize: Int

        public init(
            dialect: MboxDialect? = nil, spillThreshold: Int = MessageSpool.defaultSpillThreshold,
            maximumHeaderBytes: Int = 1 << 20, contentLengthLookahead: Int = 16 << 20, countOnly: Bool = false,
            lineBufferSize: Int = 1 << 20
        ) {
            self.lineBufferSize = lineBufferSize
            self.dialect = dialect
            self.spillThreshold = spillThreshold
            self.maximumHeaderBytes = maximumHeaderBytes
            self.contentLengthLookahead = contentLengthLookahead
            self.countOnly = countOnly
        }
    }

    /// One message as read.
    public struct Message: Sendable {
        public var data: MessageData
        public var fingerprint: Fingerprint
        public var flags: FlagSet
        public var fromLine: MboxFromLine
        public var headers: HeaderScanner.Summary
        /// 1-based position in the file.
        public var number: Int
        /// Offset of its `From ` line in the (decompressed) file.
        public var offset: Int64
        /// Line number of its `From ` line.
        public var line: Int
        /// Size in bytes (also set in count-only mode, where `data` is empty).
        public var size: Int
        public var warnings: [MailError]
    }

    public enum Item: Sendable {
        case message(Message)
        /// A message that could not be read (no header section, cut off by the end of the file).
        case failure(MailError)
    }

    public let path: String
    public let options: Options
    public private(set) var evidence = MboxDialectEvidence()
    private let lines: LineReader
    private var started = false
    private var ended = false
    private var pendingFrom: (bytes: [UInt8], offset: Int64, line: Int)?
    private var number = 0

    public init(input: any ByteInput, options: Options = Options()) {
        self.path = input.path
        self.options = options
        self.lines = LineReader(input: input, bufferSize: options.lineBufferSize)
    }

    /// Bytes of the underlying file consumed so far (compressed bytes for `.gz`).
    public var fileOffset: Int { lines.input.fileOffset }

    public func close() { lines.input.close() }

    /// The next message, `nil` after the last. Throws when the file cannot be read at all
    /// (`not-a-mailbox` if it does not start like an mbox, I/O errors).
    public func next() throws -> Item? {
        if !started { try start() }
        guard !ended, let from = pendingFrom else { return nil }
        pendingFrom = nil
        number += 1
        do {
            return try readMessage(from: from)
        } catch let error as MailError where error.code == .truncatedMessage {
            ended = true
            var failure = error
            failure.messageNumber = number
            failure.line = from.line
            failure.summary = "message is cut off: \(error.summary)"
            return .failure(failure)
        }
    }

    // MARK: - Reading

    private static let fromPrefix: [UInt8] = Array("From ".utf8)

    private func start() throws {
        started = true
        while let line = try lines.next() {
            if lines.isBlank(line) { continue }
            guard line.startsLine, lines.line(line, hasPrefix: Self.fromPrefix) else {
                throw MailError(
                    .notAMailbox, scope: .folder, retry: .never,
                    "not an mbox file: line \(lines.lineNumber) does not start with \"From \"", path: path,
                    line: lines.lineNumber)
            }
            pendingFrom = (lines.bytes(of: line), lines.offset - Int64(line.range.count), lines.lineNumber)
            return
        }
    }

    private func readMessage(from: (bytes: [UInt8], offset: Int64, line: Int)) throws -> Item {
        let fromLine = MboxFromLine(parsing: from.bytes)
        var warnings: [MailError] = []
        if fromLine.date == nil {
            warnings.append(
                MailError(
                    .malformedMessage, scope: .message, retry: .never,
                    "\"From \" line has no readable date; the arrival date is taken from the Date: header",
                    messageNumber: number, path: path, line: from.line))
        }
        let spool = MessageSpool(spillThreshold: options.spillThreshold)
        var size = 0
        func append(_ bytes: UnsafeRawBufferPointer) throws {
            size += bytes.count
            if !options.countOnly { try spool.append(bytes) }
        }

        // Header section.
        var headerBytes: [UInt8] = []
        var headerTerminator: [UInt8]?
        var firstBodyLine: [UInt8]?
        var headerOverflow = false
        while let line = try lines.next() {
            if lines.isBlank(line) {
                headerTerminator = lines.bytes(of: line)
                break
            }
            if !line.startsLine || isHeaderLine(line, hasPreviousField: !headerBytes.isEmpty) {
                headerBytes.append(contentsOf: lines[line])
                if headerBytes.count > options.maximumHeaderBytes {
                    headerOverflow = true
                    break
                }
                continue
            }
            if lines.line(line, hasPrefix: Self.fromPrefix) {
                let bytes = lines.bytes(of: line)
                if try isSeparator(bytes, previousBlank: headerBytes.isEmpty) {
                    pendingFrom = (bytes, lines.offset - Int64(bytes.count), lines.lineNumber)
                    break
                }
                firstBodyLine = bytes
            } else {
                firstBodyLine = lines.bytes(of: line)
            }
            break
        }

        if headerBytes.isEmpty {
            // Consume the rest of this entry so the next message starts cleanly, then report it.
            if pendingFrom == nil { try skipBody() }
            evidence.messagesByFromLine += 1
            return .failure(
                MailError(
                    .malformedMessage, scope: .message, retry: .never,
                    "message has no header section (the line after \"From \" is not a header field)",
                    messageKey: "offset:\(from.offset)", messageNumber: number, path: path, line: from.line))
        }

        // Bookkeeping fields become flags and leave the message; all other bytes stay as they are.
        var keptHeaders: [UInt8] = []
        keptHeaders.reserveCapacity(headerBytes.count)
        var metadataFields: [(name: String, value: String)] = []
        headerBytes.withUnsafeBytes { buffer in
            for field in HeaderFields.split(buffer).fields {
                let name = field.colon.map { $0 - field.range.lowerBound <= 18 } == true
                    ? HeaderFields.lowercasedName(field, in: buffer) : ""
                if MboxMetadata.readFields.contains(name) {
                    metadataFields.append((name, HeaderFields.value(field, in: buffer)))
                }
                if !MboxMetadata.bookkeepingFields.contains(name) {
                    keptHeaders.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[field.range]))
                }
            }
        }
        let metadata = MboxMetadata.parse(fields: metadataFields)
        if headerOverflow {
            warnings.append(
                MailError.limitExceeded(
                    "header section of message \(number)", actual: headerBytes.count,
                    maximum: options.maximumHeaderBytes, path: path))
        }
        if !metadata.invalidKeywords.isEmpty {
            warnings.append(
                MailError(
                    .malformedMessage, scope: .message, retry: .never,
                    "keywords that are not valid IMAP keywords were dropped: \(metadata.invalidKeywords.joined(separator: " "))",
                    messageNumber: number, path: path, line: from.line))
        }
        // A header-only message (no empty line, no body) is followed directly by the separating
        // blank line: that blank belongs to neither message, so it must not become this one's
        // header terminator (an appender writes `Subject: x` + `Status: O` + blank + `From `).
        if headerTerminator != nil, firstBodyLine == nil, pendingFrom == nil, metadata.contentLength == nil {
            if try lines.peek() == nil {
                headerTerminator = nil  // the file's final blank line: the separator
            } else if let next = try lines.peek(), next.startsLine, lines.line(next, hasPrefix: Self.fromPrefix) {
                let bytes = lines.bytes(of: next)
                _ = try lines.next()
                if try isSeparator(bytes, previousBlank: true) {
                    pendingFrom = (bytes, lines.offset - Int64(bytes.count), lines.lineNumber)
                    headerTerminator = nil
                } else {
                    firstBodyLine = bytes  // a `From ` line of the body, after the real empty line
                }
            }
        }
        let headerSummary = HeaderScanner.scan(keptHeaders + (headerTerminator ?? []))
        try keptHeaders.withUnsafeBytes { try append($0) }
        if let headerTerminator { try headerTerminator.withUnsafeBytes { try append($0) } }

        // Body.
        var usedContentLength = false
        if let length = metadata.contentLength, headerTerminator != nil, firstBodyLine == nil, pendingFrom == nil,
            options.dialect == nil || options.dialect == .mboxcl2
        {
            if try contentLengthFits(length) {
                try readExactly(length, append: append)
                usedContentLength = true
            } else {
                warnings.append(
                    MailError(
                        .malformedMessage, scope: .message, retry: .never,
                        "Content-Length \(length) does not match the message; its end was found by the next \"From \" line",
                        messageNumber: number, path: path, line: from.line))
            }
        }
        if usedContentLength {
            evidence.messagesByContentLength += 1
        } else {
            evidence.messagesByFromLine += 1
            if pendingFrom == nil {
                try readBody(firstLine: firstBodyLine, previousBlank: headerTerminator != nil, append: append)
            }
        }

        let (data, fingerprint) = options.countOnly ? (MessageData([]), Fingerprint.of([])) : try spool.finish()
        return .message(
            Message(
                data: data, fingerprint: fingerprint, flags: metadata.flags, fromLine: fromLine, headers: headerSummary,
                number: number, offset: from.offset, line: from.line, size: size, warnings: warnings))
    }

    /// Reads body lines up to the next separator (left in `pendingFrom`) or the end of the file.
    private func readBody(
        firstLine: [UInt8]?, previousBlank startBlank: Bool, append: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let unquote = options.dialect != .mboxo && options.dialect != .mboxcl2
        var heldBlank: [UInt8]?
        var previousBlank = startBlank
        if let firstLine {
            try firstLine.withUnsafeBytes { try appendBodyLine($0, startsLine: true, unquote: unquote, append: append) }
            previousBlank = false
        }
        while let line = try lines.next() {
            let bytes = lines[line]
            if line.startsLine && bytes.first == UInt8(ascii: "F") && bytes.starts(with: Self.fromPrefix)
            {
                let copied = Array(bytes)
                if try isSeparator(copied, previousBlank: previousBlank) {
                    pendingFrom = (copied, lines.offset - Int64(copied.count), lines.lineNumber)
                    return  // the held blank line separated the messages; it belongs to neither
                }
                if let held = heldBlank {
                    try held.withUnsafeBytes { try append($0) }
                    heldBlank = nil
                }
                evidence.unquotedFromLines += 1
                try copied.withUnsafeBytes { try append($0) }
                previousBlank = false
                continue
            }
            if let held = heldBlank {
                try held.withUnsafeBytes { try append($0) }
                heldBlank = nil
            }
            if lines.isBlank(line) {
                heldBlank = Array(bytes)
                previousBlank = true
                continue
            }
            previousBlank = false
            try appendBodyLine(bytes, startsLine: line.startsLine, unquote: unquote, append: append)
        }
        // End of file: a final blank line is the separator mbox writers add after the last message.
    }

    private func appendBodyLine(
        _ bytes: UnsafeRawBufferPointer, startsLine: Bool, unquote: Bool, append: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if startsLine, bytes.first == UInt8(ascii: ">") {
            var quotes = 0
            while quotes < bytes.count && bytes[quotes] == UInt8(ascii: ">") { quotes += 1 }
            if UnsafeRawBufferPointer(rebasing: bytes[quotes...]).starts(with: Self.fromPrefix) {
                if quotes == 1 { evidence.quotedFromLines += 1 } else { evidence.multiplyQuotedFromLines += 1 }
                try append(unquote ? UnsafeRawBufferPointer(rebasing: bytes[1...]) : bytes)
                return
            }
        }
        try append(bytes)
    }

    /// Consumes lines up to the next separator.
    private func skipBody() throws {
        var previousBlank = true
        while let line = try lines.next() {
            if line.startsLine && lines.line(line, hasPrefix: Self.fromPrefix) {
                let bytes = lines.bytes(of: line)
                if try isSeparator(bytes, previousBlank: previousBlank) {
                    pendingFrom = (bytes, lines.offset - Int64(bytes.count), lines.lineNumber)
                    return
                }
            }
            previousBlank = lines.isBlank(line)
        }
    }

    /// Whether a `From ` line (already copied: this may peek) starts a new message.
    private func isSeparator(_ bytes: [UInt8], previousBlank: Bool) throws -> Bool {
        let parsed = MboxFromLine(parsing: bytes)
        if parsed.date != nil && previousBlank { return true }
        guard parsed.date != nil || previousBlank else { return false }
        guard let next = try lines.peek() else { return parsed.date != nil }
        return isHeaderLine(next, hasPreviousField: false)
    }

    /// `Name: value` with a printable name (or a folded continuation when a field came before).
    private func isHeaderLine(_ line: LineReader.Line, hasPreviousField: Bool) -> Bool {
        let bytes = lines[line]
        guard let first = bytes.first else { return false }
        if first == 0x20 || first == 0x09 { return hasPreviousField }
        for index in 0..<min(bytes.count, 200) {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") { return index > 0 }
            if byte <= 0x20 || byte >= 0x7f { return false }
        }
        return false
    }

    /// Whether `length` body bytes from here end exactly at a line end followed by a `From `
    /// line, a blank line and a `From ` line, or the end of the file.
    private func contentLengthFits(_ length: Int) throws -> Bool {
        guard length >= 0 else { return false }
        let limit = options.contentLengthLookahead
        if length > 0 {
            guard let before = try lines.lookahead(distance: length - 1, count: 1, limit: limit),
                before == [0x0a]
            else { return false }
        }
        guard let after = try lines.lookahead(distance: length, count: 7, limit: limit) else { return false }
        let from = Self.fromPrefix
        return after.isEmpty || after == [0x0a] || after == [0x0d, 0x0a] || after.starts(with: from)
            || (after.first == 0x0a && after.dropFirst().starts(with: from))
            || (after.starts(with: [0x0d, 0x0a]) && after.dropFirst(2).starts(with: from))
    }

    /// Reads exactly `length` bytes of body (they end at a line end: see ``contentLengthFits(_:)``),
    /// then the blank separator line if there is one. `>From ` lines lose one `>` unless the
    /// dialect is forced to mboxcl2: mutt writes Content-Length *and* quotes (mboxcl).
    private func readExactly(_ length: Int, append: (UnsafeRawBufferPointer) throws -> Void) throws {
        let unquote = options.dialect != .mboxcl2
        var remaining = length
        while remaining > 0, let line = try lines.next() {
            remaining -= line.range.count
            if line.startsLine && lines.line(line, hasPrefix: Self.fromPrefix) { evidence.unquotedFromLines += 1 }
            try appendBodyLine(lines[line], startsLine: line.startsLine, unquote: unquote, append: append)
        }
        while let line = try lines.next() {
            if lines.isBlank(line) { continue }
            if line.startsLine && lines.line(line, hasPrefix: Self.fromPrefix) {
                pendingFrom = (lines.bytes(of: line), lines.offset - Int64(line.range.count), lines.lineNumber)
            }
            return
        }
    }
}
