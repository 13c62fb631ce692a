import NIOCore

/// Turns the bytes a server sends into ``ResponseEvent``s, incrementally and within limits.
///
/// Feed it whatever arrived with ``parse(_:)`` until it returns `nil` ("need more bytes" — not an
/// error). It assembles one response at a time: the line, and any literals inside it up to
/// ``Limits/maximumLiteralSize``. Message body literals of FETCH responses (`BODY[…]`,
/// `BINARY[…]`, `RFC822…`) are not assembled: they come out as ``ResponseEvent/bodyBegin(sequence:section:size:)``,
/// ``ResponseEvent/bodyBytes(_:)`` pieces and ``ResponseEvent/bodyEnd``, and the FETCH response
/// that follows says `.streamedBody`. Every limit is checked before memory is committed.
public struct ResponseParser: Sendable {
    /// The parser's limits, with their defaults.
    public struct Limits: Sendable, Hashable {
        /// Longest response line outside literals: 64 KiB.
        public var maximumLineLength = 64 * 1024
        /// Longest `SEARCH`/`ESEARCH` line (UID lists can be long): 16 MiB.
        public var maximumSearchLineLength = 16 * 1024 * 1024
        /// Largest literal outside message bodies: 64 KiB.
        public var maximumLiteralSize = 64 * 1024
        /// Largest response, literals included (bodies excluded): 1 MiB.
        public var maximumResponseSize = 1024 * 1024
        /// Largest message body: 256 MiB.
        public var maximumBodySize = 256 * 1024 * 1024
        /// Deepest list nesting: 100.
        public var maximumNestingDepth = 100
        /// Most digits in a literal size: 10.
        public var maximumLiteralDigits = 10

        public init() {}
    }

    public let limits: Limits
    private var frame: [UInt8] = []
    private var textLength = 0  // bytes of `frame` outside literals
    private var pendingLiteral = 0
    private var bodyRemaining = 0
    private var bodyEndPending = false
    private var isSearchLine = false

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Whether the parser is between responses (no partial response buffered).
    public var isAtResponseBoundary: Bool {
        frame.isEmpty && pendingLiteral == 0 && bodyRemaining == 0 && !bodyEndPending
    }

    /// The next event from `buffer` (consuming what it used), or `nil` when more bytes are needed.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(IMAPParserError) -> ResponseEvent? {
        while true {
            if bodyRemaining > 0 {
                let count = min(bodyRemaining, buffer.readableBytes)
                guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
                bodyRemaining -= count
                if bodyRemaining == 0 { bodyEndPending = true }
                return .bodyBytes(slice)
            }
            if bodyEndPending {
                bodyEndPending = false
                return .bodyEnd
            }
            if pendingLiteral > 0 {
                let count = min(pendingLiteral, buffer.readableBytes)
                guard count > 0 else { return nil }
                buffer.readWithUnsafeReadableBytes { raw in
                    frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                    return count
                }
                pendingLiteral -= count
                if pendingLiteral > 0 { return nil }
                continue
            }
            // The rest of a line.
            let readable = buffer.readableBytesView
            if frame.count < 9 && !isSearchLine {
                isSearchLine = (frame + readable.prefix(9 - frame.count)).starts(with: Array("* SEARCH".utf8))
                    || (frame + readable.prefix(9 - frame.count)).starts(with: Array("* ESEARCH".utf8))
            }
            guard let lf = readable.firstIndex(of: 0x0a) else {
                let count = readable.count
                try checkLength(adding: count)
                try checkNoNUL(readable)
                frame.append(contentsOf: readable)
                textLength += count
                buffer.moveReaderIndex(forwardBy: count)
                return nil
            }
            let count = lf - readable.startIndex + 1
            try checkLength(adding: count)
            try checkNoNUL(readable[readable.startIndex...lf])
            frame.append(contentsOf: readable[readable.startIndex...lf])
            textLength += count
            buffer.moveReaderIndex(forwardBy: count)
            if let literal = try literalAtLineEnd() {
                if let body = bodyContext(literalStart: literal.start) {
                    guard literal.size <= limits.maximumBodySize else {
                        throw .bodyTooLarge(actual: literal.size, maximum: limits.maximumBodySize)
                    }
                    frame.removeSubrange(literal.start...)
                    frame += [0] + Array(String(literal.size).utf8) + [0]
                    bodyRemaining = literal.size
                    if literal.size == 0 { bodyEndPending = true }
                    return .bodyBegin(sequence: body.sequence, section: body.section, size: literal.size)
                }
                guard literal.size <= limits.maximumLiteralSize else {
                    throw .literalTooLarge(actual: literal.size, maximum: limits.maximumLiteralSize)
                }
                guard frame.count + literal.size <= limits.maximumResponseSize else {
                    throw .responseTooLarge(actual: frame.count + literal.size, maximum: limits.maximumResponseSize)
                }
                pendingLiteral = literal.size
                continue
            }
            let complete = frame
            frame = []
            textLength = 0
            isSearchLine = false
            var grammar = ResponseGrammar(complete, maximumDepth: limits.maximumNestingDepth)
            return .response(try grammar.parseResponse())
        }
    }

    private func checkLength(adding count: Int) throws(IMAPParserError) {
        let maximum = isSearchLine ? limits.maximumSearchLineLength : limits.maximumLineLength
        if textLength + count > maximum { throw .lineTooLong(actual: textLength + count, maximum: maximum) }
        if frame.count + count > max(limits.maximumResponseSize, maximum) {
            throw .responseTooLarge(actual: frame.count + count, maximum: max(limits.maximumResponseSize, maximum))
        }
    }

    /// NUL never appears in response text (RFC 3501 CHAR excludes it); refusing it also keeps the
    /// parser's internal marker for streamed bodies (NUL-delimited) unforgeable.
    private func checkNoNUL(_ bytes: ByteBufferView.SubSequence) throws(IMAPParserError) {
        if bytes.contains(0) {
            let excerpt = String(decoding: (frame + bytes).prefix(120).map { $0 < 0x20 ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
            throw .malformed(expected: "no NUL byte in a response line", excerpt: excerpt)
        }
    }

    /// `{123}` or `{123+}` (or `~{123}`) right before the line's CRLF: its size and where it starts.
    private func literalAtLineEnd() throws(IMAPParserError) -> (size: Int, start: Int)? {
        var end = frame.count - 1  // the LF
        if end > 0 && frame[end - 1] == 0x0d { end -= 1 }
        guard end > 0, frame[end - 1] == UInt8(ascii: "}") else { return nil }
        var index = end - 2
        if index >= 0 && frame[index] == UInt8(ascii: "+") { index -= 1 }
        let digitsEnd = index + 1
        while index >= 0 && frame[index] >= 0x30 && frame[index] <= 0x39 { index -= 1 }
        let digitsStart = index + 1
        guard index >= 0, frame[index] == UInt8(ascii: "{"), digitsEnd > digitsStart else { return nil }
        let digits = digitsEnd - digitsStart
        guard digits <= limits.maximumLiteralDigits else {
            throw .literalSizeTooLong(digits: digits, maximum: limits.maximumLiteralDigits)
        }
        var size = 0
        for byte in frame[digitsStart..<digitsEnd] { size = size * 10 + Int(byte - 0x30) }
        var start = index
        if start > 0 && frame[start - 1] == UInt8(ascii: "~") { start -= 1 }  // literal8
        return (size, start)
    }

    /// When the literal starting at `literalStart` is the value of a FETCH body section: the
    /// message's sequence number and the section (`BODY[]`, `BODY[HEADER]<0>`, `RFC822`, …).
    private func bodyContext(literalStart: Int) -> (sequence: UInt32, section: String)? {
        // "* <n> FETCH (" opens the response.
        guard frame.count > 4, frame[0] == UInt8(ascii: "*"), frame[1] == 0x20 else { return nil }
        var index = 2
        var sequence: UInt32 = 0
        while index < frame.count, frame[index] >= 0x30, frame[index] <= 0x39 {
            sequence = sequence &* 10 &+ UInt32(frame[index] - 0x30)
            index += 1
        }
        guard index > 2, frame[index...].starts(with: Array(" FETCH ".utf8)) else { return nil }
        // The item name right before the literal.
        var end = literalStart
        while end > 0 && frame[end - 1] == 0x20 { end -= 1 }
        var start = end
        var depth = 0
        while start > 0 {
            let byte = frame[start - 1]
            if byte == UInt8(ascii: "]") { depth += 1 }
            if byte == UInt8(ascii: "[") { depth -= 1 }
            if depth == 0 && (byte == 0x20 || byte == UInt8(ascii: "(")) { break }
            start -= 1
        }
        let item = String(decoding: frame[start..<end], as: UTF8.self)
        let upper = item.uppercased()
        let isBody =
            upper.hasPrefix("BODY[") || upper.hasPrefix("BINARY[") || upper == "RFC822" || upper == "RFC822.TEXT"
            || upper == "RFC822.HEADER"
        return isBody ? (sequence, item) : nil
    }
}
