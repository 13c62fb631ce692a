#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Line-ending conventions and conversions between them.
///
/// Internet mail is CRLF on the wire (RFC 5322); Unix mail files (Maildir, mbox) use LF.
/// Conversions touch only line breaks: a bare LF becomes CRLF (or a CRLF becomes LF); a lone CR
/// is left alone, since it is data, not a line break.
public enum LineEndings {
    /// A file's or message's line-break convention.
    public enum Style: String, Sendable, Codable, Hashable {
        case lf
        case crlf
    }

    static let crBytes: [UInt8] = [0x0d]
    static let lfBytes: [UInt8] = [0x0a]
    static let crlfBytes: [UInt8] = [0x0d, 0x0a]

    /// The index of the first `byte` in `buffer`, found with `memchr`.
    @inline(__always)
    public static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer) -> Int? {
        guard let base = buffer.baseAddress, buffer.count > 0,
            let found = memchr(base, Int32(byte), buffer.count)
        else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// The style of the first line break in `bytes` (`nil` when there is none).
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> Style? {
        guard let lf = firstIndex(of: 0x0a, in: bytes) else { return nil }
        return lf > 0 && bytes[lf - 1] == 0x0d ? .crlf : .lf
    }

    /// `bytes` with every line ending in CRLF (a bare LF gains a CR).
    public static func toCRLF(_ bytes: [UInt8]) -> [UInt8] {
        var converter = LineEndingConverter(to: .crlf)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 40)
        bytes.withUnsafeBytes { converter.convert($0) { output.append(contentsOf: $0) } }
        converter.finish { output.append(contentsOf: $0) }
        return output
    }

    /// `bytes` with every CRLF made LF.
    public static func toLF(_ bytes: [UInt8]) -> [UInt8] {
        var converter = LineEndingConverter(to: .lf)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        bytes.withUnsafeBytes { converter.convert($0) { output.append(contentsOf: $0) } }
        converter.finish { output.append(contentsOf: $0) }
        return output
    }

    /// The size `bytes` would have with CRLF line endings (IMAP's RFC822.SIZE, Dovecot's `W=`).
    public static func crlfSize(of bytes: UnsafeRawBufferPointer, previousByte: UInt8? = nil) -> Int {
        var extra = 0
        var search = 0
        while search < bytes.count,
            let found = firstIndex(of: 0x0a, in: UnsafeRawBufferPointer(rebasing: bytes[search...]))
        {
            let lf = search + found
            let previous = lf > 0 ? bytes[lf - 1] : previousByte
            if previous != 0x0d { extra += 1 }
            search = lf + 1
        }
        return bytes.count + extra
    }
}

/// Converts line endings in a stream of chunks, carrying state across chunk boundaries
/// (a CR at the end of one chunk and an LF at the start of the next are one CRLF).
public struct LineEndingConverter: Sendable {
    public let target: LineEndings.Style
    private var heldCR = false
    private var lastByte: UInt8?

    public init(to target: LineEndings.Style) { self.target = target }

    /// Converts `chunk`, handing the output to `emit` in one or more pieces.
    public mutating func convert(_ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        switch target {
        case .crlf:
            var segmentStart = 0
            var search = 0
            while search < chunk.count,
                let found = LineEndings.firstIndex(of: 0x0a, in: UnsafeRawBufferPointer(rebasing: chunk[search...]))
            {
                let lf = search + found
                let previous = lf > 0 ? chunk[lf - 1] : lastByte
                if previous != 0x0d {
                    try emit(UnsafeRawBufferPointer(start: base + segmentStart, count: lf - segmentStart))
                    try LineEndings.crBytes.withUnsafeBytes(emit)
                    segmentStart = lf
                }
                search = lf + 1
            }
            try emit(UnsafeRawBufferPointer(start: base + segmentStart, count: chunk.count - segmentStart))
            lastByte = chunk[chunk.count - 1]
        case .lf:
            var start = 0
            if heldCR {
                heldCR = false
                if chunk[0] != 0x0a { try LineEndings.crBytes.withUnsafeBytes(emit) }
            }
            var search = 0
            while search < chunk.count,
                let found = LineEndings.firstIndex(of: 0x0d, in: UnsafeRawBufferPointer(rebasing: chunk[search...]))
            {
                let cr = search + found
                if cr + 1 == chunk.count {
                    try emit(UnsafeRawBufferPointer(start: base + start, count: cr - start))
                    heldCR = true
                    return
                }
                if chunk[cr + 1] == 0x0a {
                    try emit(UnsafeRawBufferPointer(start: base + start, count: cr - start))
                    start = cr + 1
                }
                search = cr + 1
            }
            try emit(UnsafeRawBufferPointer(start: base + start, count: chunk.count - start))
        }
    }

    /// Flushes a CR held back at the end of the stream.
    public mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if heldCR {
            heldCR = false
            try LineEndings.crBytes.withUnsafeBytes(emit)
        }
    }
}
