import MailCore

/// Splits a byte stream into lines with one fixed buffer, so that a file of any size streams
/// through in bounded memory.
///
/// A line is returned with its terminator (LF, or CRLF). A line longer than ``maximumPiece``
/// comes back in pieces: every piece but the last has `isComplete == false`, and the next piece
/// does not start a line. A line's bytes (``subscript(_:)``) stay valid only until the next call
/// that reads (``next()``, ``peek()``, ``lookahead(distance:count:limit:)``).
///
/// The buffer is raw memory owned by the reader rather than an array, so the per-line work in
/// the hot loop of an mbox scan involves no reference counting.
public final class LineReader {
    /// A line's position in the buffer, and whether it ends the line.
    public struct Line {
        public var range: Range<Int>
        public var isComplete: Bool
        /// Whether this piece starts a line (false for the continuation of a long line).
        public var startsLine: Bool
    }

    public let input: any ByteInput
    /// Longest piece returned at once; longer lines are split.
    public let maximumPiece: Int
    private var storage: UnsafeMutableRawBufferPointer
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
        self.storage = .allocate(byteCount: max(bufferSize, 16), alignment: 16)
        self.maximumPiece = max(bufferSize, 16) / 2
    }

    deinit { storage.deallocate() }

    /// The bytes of `line` (valid until the next read).
    @inline(__always)
    public subscript(_ line: Line) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[line.range])
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

    /// The line ``next()`` will return, without consuming it. Bytes returned earlier become invalid.
    public func peek() throws -> Line? {
        if let peeked { return peeked }
        peeked = try scan()
        return peeked
    }

    /// Copies the bytes of `line`.
    public func bytes(of line: Line) -> [UInt8] { Array(self[line]) }

    /// Whether the bytes of `line` begin with `prefix`.
    @inline(__always)
    public func line(_ line: Line, hasPrefix prefix: [UInt8]) -> Bool {
        self[line].starts(with: prefix)
    }

    /// Whether `line` holds only its terminator.
    @inline(__always)
    public func isBlank(_ line: Line) -> Bool {
        guard line.startsLine, line.isComplete else { return false }
        let bytes = self[line]
        switch bytes.count {
        case 0: return true
        case 1: return bytes[0] == 0x0a
        case 2: return bytes[0] == 0x0d && bytes[1] == 0x0a
        default: return false
        }
    }

    /// The `count` bytes that start `distance` bytes after the last line returned (fewer at the
    /// end of the stream), without consuming anything; `nil` when that is more than `limit` bytes
    /// ahead or past the end of the stream. The buffer grows as needed, up to `limit`. Used to
    /// check an mbox `Content-Length`.
    public func lookahead(distance: Int, count: Int, limit: Int) throws -> [UInt8]? {
        precondition(peeked == nil, "lookahead after peek")
        let needed = distance + count
        guard needed <= limit else { return nil }
        if start + needed > storage.count {
            let pending = end - start
            if needed > storage.count {
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: needed, alignment: 16)
                grown.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
                storage.deallocate()
                storage = grown
            } else {
                storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
            }
            start = 0
            end = pending
        }
        while end - start < needed && !inputEnded {
            let got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if got == 0 { inputEnded = true }
            end += got
        }
        let from = start + distance
        guard from <= end else { return nil }
        return Array(storage[from..<min(end, from + count)])
    }

    private func scan() throws -> Line? {
        var searchFrom = start
        while true {
            if searchFrom < end {
                if let found = LineEndings.firstIndex(
                    of: 0x0a, in: UnsafeRawBufferPointer(rebasing: storage[searchFrom..<end]))
                {
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
            if start > 0 && end == storage.count || start >= storage.count / 2 {
                let pending = end - start
                storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
                searchFrom -= start
                start = 0
                end = pending
            }
            let got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if got == 0 { inputEnded = true }
            end += got
        }
    }
}
