import MailCore

/// Splits a byte stream into lines with one fixed buffer, so that a file of any size streams
/// through in bounded memory.
///
/// A line is returned with its terminator (LF, or CRLF). A line longer than ``maximumPiece``
/// comes back in pieces: every piece but the last has `isComplete == false`, and the next piece
/// does not start a line. The returned range indexes ``buffer`` and stays valid only until the
/// next call.
public final class LineReader {
    /// The line's bytes within ``buffer``, and whether it ends the line.
    public struct Line {
        public var range: Range<Int>
        public var isComplete: Bool
        /// Whether this piece starts a line (false for the continuation of a long line).
        public var startsLine: Bool
    }

    public let input: any ByteInput
    /// The reader's buffer; lines are ranges into it.
    public private(set) var buffer: [UInt8]
    /// Longest piece returned at once; longer lines are split.
    public let maximumPiece: Int
    private var start = 0
    private var end = 0
    private var inputEnded = false
    private var atLineStart = true
    private var peeked: Line?

    /// Offset in the (decompressed) stream of the first byte not yet returned.
    public private(set) var offset: Int64 = 0
    /// 1-based number of the line last returned (counting long lines once).
    public private(set) var lineNumber = 0

    public init(input: any ByteInput, bufferSize: Int = 1 << 20) {
        self.input = input
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
        self.maximumPiece = bufferSize / 2
    }

    /// The next line or piece; `nil` at the end of the stream.
    public func next() throws -> Line? {
        let line: Line
        if let peeked {
            line = peeked
            self.peeked = nil
        } else {
            guard let found = try scan() else { return nil }
            line = found
        }
        start = line.range.upperBound
        offset += Int64(line.range.count)
        if line.startsLine { lineNumber += 1 }
        atLineStart = line.isComplete
        return line
    }

    /// The line ``next()`` will return, without consuming it. Ranges returned earlier become invalid.
    public func peek() throws -> Line? {
        if let peeked { return peeked }
        peeked = try scan()
        return peeked
    }

    /// Copies the bytes of `line`.
    public func bytes(of line: Line) -> [UInt8] { Array(buffer[line.range]) }

    /// Whether the bytes of `line` begin with `prefix`.
    @inline(__always)
    public func line(_ line: Line, hasPrefix prefix: [UInt8]) -> Bool {
        guard line.range.count >= prefix.count else { return false }
        var index = line.range.lowerBound
        for byte in prefix {
            if buffer[index] != byte { return false }
            index += 1
        }
        return true
    }

    /// Whether `line` holds only its terminator.
    @inline(__always)
    public func isBlank(_ line: Line) -> Bool {
        let count = line.range.count
        guard line.startsLine, line.isComplete else { return false }
        if count == 1 { return buffer[line.range.lowerBound] == 0x0a }
        if count == 2 { return buffer[line.range.lowerBound] == 0x0d && buffer[line.range.lowerBound + 1] == 0x0a }
        return count == 0
    }

    /// The `count` bytes that start `distance` bytes after the last line returned (fewer at the
    /// end of the stream), without consuming anything; `nil` when that is more than `limit` bytes
    /// ahead or past the end of the stream. The buffer grows as needed, up to `limit`. Used to check an mbox `Content-Length`.
    public func lookahead(distance: Int, count: Int, limit: Int) throws -> [UInt8]? {
        precondition(peeked == nil, "lookahead after peek")
        let needed = distance + count
        guard needed <= limit else { return nil }
        if start + needed > buffer.count {
            let pending = end - start
            if needed > buffer.count {
                var grown = [UInt8](repeating: 0, count: needed)
                grown.withUnsafeMutableBytes { target in
                    buffer.withUnsafeBytes { source in
                        target.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: pending)
                    }
                }
                buffer = grown
            } else {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: pending)
                }
            }
            start = 0
            end = pending
        }
        while end - start < needed && !inputEnded {
            let got = try buffer.withUnsafeMutableBytes { raw in
                try input.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if got == 0 { inputEnded = true }
            end += got
        }
        let from = start + distance
        guard from <= end else { return nil }
        return Array(buffer[from..<min(end, from + count)])
    }

    private func scan() throws -> Line? {
        var searchFrom = start
        while true {
            if searchFrom < end {
                let found = buffer.withUnsafeBytes {
                    LineEndings.firstIndex(of: 0x0a, in: UnsafeRawBufferPointer(rebasing: $0[searchFrom..<end]))
                }
                if let found {
                    let lineEnd = searchFrom + found + 1
                    if lineEnd - start <= maximumPiece {
                        return Line(range: start..<lineEnd, isComplete: true, startsLine: atLineStart)
                    }
                }
                if end - start >= maximumPiece {
                    return Line(range: start..<(start + maximumPiece), isComplete: false, startsLine: atLineStart)
                }
            }
            if inputEnded {
                guard start < end else { return nil }
                return Line(range: start..<end, isComplete: true, startsLine: atLineStart)
            }
            searchFrom = end
            if start > 0 && end == buffer.count || start >= buffer.count / 2 {
                let pending = end - start
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: pending)
                }
                searchFrom -= start
                start = 0
                end = pending
            }
            let got = try buffer.withUnsafeMutableBytes { raw in
                try input.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if got == 0 { inputEnded = true }
            end += got
        }
    }
}
