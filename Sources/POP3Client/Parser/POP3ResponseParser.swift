#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MailCore
import NIOCore

/// Turns a POP3 server's bytes into ``POP3Event``s, incrementally and within limits.
///
/// POP3 responses carry no tags: the parser learns the shape of each response from
/// ``expect(_:)``, called in command order before the command is sent. Status and listing lines
/// are assembled up to ``Limits/lineLimit``; message data is never assembled — it comes out in
/// pieces as it arrives, dot-unstuffed, so memory does not grow with the message.
public struct POP3ResponseParser: Sendable {
    /// The parser's limits, with their defaults.
    public struct Limits: Sendable, Hashable {
        /// RFC 1939's limit for a response line, CRLF included: 512 octets.
        public var maximumLineLength = 512
        /// Octets accepted beyond ``maximumLineLength`` for servers that exceed it (long greetings,
        /// CAPA lines): 512.
        public var lineLengthTolerance = 512
        /// Largest message (RETR or TOP data): 256 MiB.
        public var maximumMessageSize = 256 * 1024 * 1024
        /// Most lines in a listing (CAPA, LIST, UIDL): one million.
        public var maximumListingLines = 1_000_000

        /// The longest line accepted.
        public var lineLimit: Int { maximumLineLength + max(0, lineLengthTolerance) }

        public init() {}
    }

    private enum State: Sendable {
        case status
        case lines(count: Int)
        case message(size: Int, atLineStart: Bool)
        /// The terminating `.` was consumed; ``POP3Event/end`` is due.
        case ended
    }

    public let limits: Limits
    private var shapes: [POP3ResponseShape] = []
    private var shapeHead = 0
    private var state = State.status
    private var line: [UInt8] = []

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Announces the response to the next command sent (in order).
    public mutating func expect(_ shape: POP3ResponseShape) {
        guard shape != .none else { return }
        if shapeHead > 64 && shapeHead * 2 > shapes.count {
            shapes.removeFirst(shapeHead)
            shapeHead = 0
        }
        shapes.append(shape)
    }

    /// Responses announced but not yet complete.
    public var outstanding: Int { shapes.count - shapeHead }

    /// Whether the parser is inside a message's data (RETR, TOP), timed by the minimum rate.
    public var isInMessage: Bool {
        if case .message = state { return true }
        return false
    }

    /// Whether part of a line is buffered (a status line or a listing line not yet complete).
    public var hasPartialLine: Bool { !line.isEmpty }

    /// Whether the parser is between responses, nothing partial buffered.
    public var isAtResponseBoundary: Bool {
        if case .status = state { return line.isEmpty }
        return false
    }

    /// The next event from `buffer` (consuming what it used), or `nil` when more bytes are needed.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(POP3ParserError) -> POP3Event? {
        switch state {
        case .ended:
            state = .status
            return .end
        case .message(let size, let atLineStart):
            return try parseMessage(&buffer, size: size, atLineStart: atLineStart)
        case .lines(let count):
            guard let text = try readLine(&buffer) else { return nil }
            if text == [0x2e] {
                state = .status
                return .end
            }
            guard count < limits.maximumListingLines else { throw .tooManyLines(maximum: limits.maximumListingLines) }
            state = .lines(count: count + 1)
            return .line(text.first == 0x2e ? Array(text.dropFirst()) : text)
        case .status:
            guard buffer.readableBytes > 0 || !line.isEmpty else { return nil }
            guard shapeHead < shapes.count else { throw .unexpectedData }
            guard let text = try readLine(&buffer) else { return nil }
            let shape = shapes[shapeHead]
            if shape == .authentication, text.first == 0x2b, text.count == 1 || text[1] == 0x20 {
                return .continuation(String(decoding: text.dropFirst(2), as: UTF8.self))
            }
            guard let status = POP3Status(line: text) else {
                throw .malformedStatus(ServerText.sanitize(String(decoding: text.prefix(40), as: UTF8.self)))
            }
            shapeHead += 1
            if status.isOK {
                switch shape {
                case .lines: state = .lines(count: 0)
                case .message: state = .message(size: 0, atLineStart: true)
                case .singleLine, .authentication, .none: break
                }
            }
            return .status(status)
        }
    }

    /// A whole line without its line ending (CRLF or a bare LF), or `nil` for more bytes.
    private mutating func readLine(_ buffer: inout ByteBuffer) throws(POP3ParserError) -> [UInt8]? {
        let readable = buffer.readableBytesView
        let limit = limits.lineLimit
        guard let lf = readable.firstIndex(of: 0x0a) else {
            guard line.count + readable.count <= limit else { throw .lineTooLong(maximum: limit) }
            line.append(contentsOf: readable)
            buffer.moveReaderIndex(forwardBy: readable.count)
            return nil
        }
        let count = lf - readable.startIndex + 1
        guard line.count + count <= limit else { throw .lineTooLong(maximum: limit) }
        line.append(contentsOf: readable[readable.startIndex..<lf])
        buffer.moveReaderIndex(forwardBy: count)
        var text = line
        line = []
        if text.last == 0x0d { text.removeLast() }
        guard !text.contains(0) else { throw .nulInLine }
        return text
    }

    /// The next piece of message data: everything up to the next stuffed dot or the terminator.
    private mutating func parseMessage(
        _ buffer: inout ByteBuffer, size: Int, atLineStart: Bool
    ) throws(POP3ParserError) -> POP3Event? {
        // What to do with the readable bytes: emit `emit` bytes, then skip `skip` (a stuffed dot
        // or the terminator), then continue at a line start or not, or end.
        var emit = 0
        var skip = 0
        var nextAtLineStart = false
        var ends = false
        buffer.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            var position = 0
            var lineStart = atLineStart
            while position < count {
                if lineStart {
                    if bytes[position] == 0x2e {
                        // Need the byte after the dot (and after "\r") to decide.
                        guard position + 1 < count else { nextAtLineStart = true; emit = position; return }
                        let after = bytes[position + 1]
                        if after == 0x0a {
                            emit = position; skip = 2; ends = true; return
                        }
                        if after == 0x0d {
                            guard position + 2 < count else { nextAtLineStart = true; emit = position; return }
                            if bytes[position + 2] == 0x0a {
                                emit = position; skip = 3; ends = true; return
                            }
                        }
                        // A stuffed dot: emit what precedes it, drop it, go on mid-line.
                        emit = position; skip = 1; nextAtLineStart = false; return
                    }
                    lineStart = false
                }
                let base = bytes.baseAddress! + position
                guard let found = memchr(base, 0x0a, count - position) else {
                    position = count
                    break
                }
                position += UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
                lineStart = true
            }
            emit = count
            nextAtLineStart = lineStart
        }
        let total = size + emit
        guard total <= limits.maximumMessageSize else { throw .messageTooLarge(maximum: limits.maximumMessageSize) }
        let slice = emit > 0 ? buffer.readSlice(length: emit) : nil
        buffer.moveReaderIndex(forwardBy: skip)
        if ends {
            state = slice == nil ? .status : .ended
            if slice == nil { return .end }
        } else {
            // After a stuffed dot the line goes on; otherwise continue where the scan stopped.
            state = .message(size: total, atLineStart: skip == 1 ? false : nextAtLineStart)
        }
        if let slice { return .data(slice) }
        // Nothing to emit: a dot was skipped (loop for the rest) or more bytes are needed.
        if skip > 0 { return try parse(&buffer) }
        return nil
    }
}
