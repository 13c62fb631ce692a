#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A message's raw RFC 5322 bytes: in memory when small, in a file when large, so that a copy
/// run's memory stays bounded whatever the size of the mail it moves.
///
/// Consumers stream it with ``forEachChunk(_:)``; ``loadAll()`` is for code that needs
/// the bytes at once and knows they are small (tests, header scanning).
public struct MessageData: Sendable {
    /// Where the bytes live.
    public enum Storage: Sendable {
        case memory([UInt8])
        case file(FileSegment)
    }

    public let storage: Storage

    /// Size in bytes, as stored (line endings not converted).
    public var count: Int {
        switch storage {
        case .memory(let bytes): return bytes.count
        case .file(let segment): return segment.length
        }
    }

    /// Bytes this value holds on MailFerry's behalf — in memory, or in a temporary spool file —
    /// as opposed to bytes still in the source's own file: what back-pressure budgets count, so
    /// that a fast source cannot spool a whole folder to disk ahead of a slow sink.
    public var bufferedCount: Int {
        switch storage {
        case .memory(let bytes): return bytes.count
        case .file(let segment): return segment.removeWhenDone ? segment.length : 0
        }
    }

    /// Chunk size used when streaming file-backed data.
    public static let chunkSize = 256 * 1024

    public init(_ bytes: [UInt8]) { storage = .memory(bytes) }

    public init(file segment: FileSegment) { storage = .file(segment) }

    /// Calls `body` with consecutive pieces of the message, in order.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch storage {
        case .memory(let bytes):
            try bytes.withUnsafeBytes(body)
        case .file(let segment):
            try segment.forEachChunk(chunkSize: MessageData.chunkSize, body)
        }
    }

    /// The first `maximum` bytes (fewer if the message is shorter).
    public func prefix(_ maximum: Int) throws -> [UInt8] {
        switch storage {
        case .memory(let bytes):
            return Array(bytes.prefix(maximum))
        case .file(let segment):
            return try segment.read(count: min(maximum, segment.length))
        }
    }

    /// The size with every line ending made CRLF: what an IMAP server reports as RFC822.SIZE
    /// after an APPEND, so sizes compare across stores with different line endings.
    public func crlfSize() throws -> Int {
        var size = 0
        var previous: UInt8?
        try forEachChunk { chunk in
            size += LineEndings.crlfSize(of: chunk, previousByte: previous)
            previous = chunk.last ?? previous
        }
        return size
    }

    /// ``crlfSize()`` and whether the bytes hold a NUL (which an IMAP literal cannot carry:
    /// such a message goes as BINARY's `literal8`), in the same read of each chunk.
    public func wireSize() throws -> (crlfSize: Int, containsNUL: Bool) {
        var size = 0
        var previous: UInt8?
        var nul = false
        try forEachChunk { chunk in
            size += LineEndings.crlfSize(of: chunk, previousByte: previous)
            previous = chunk.last ?? previous
            if !nul { nul = LineEndings.firstIndex(of: 0, in: chunk) != nil }
        }
        return (size, nul)
    }

    /// All bytes in one array.
    public func loadAll() throws -> [UInt8] {
        switch storage {
        case .memory(let bytes): return bytes
        case .file(let segment): return try segment.read(count: segment.length)
        }
    }
}

/// A byte range of a file holding one message; a spool file made by ``MessageSpool`` is removed
/// when the last reference to its segment goes away.
public final class FileSegment: Sendable {
    public let path: String
    public let offset: Int64
    public let length: Int
    /// Whether this is a temporary spool file (removed when done), not a source's own file.
    public let removeWhenDone: Bool

    public init(path: String, offset: Int64 = 0, length: Int, removeWhenDone: Bool = false) {
        self.path = path
        self.offset = offset
        self.length = length
        self.removeWhenDone = removeWhenDone
    }

    deinit {
        if removeWhenDone { unlink(path) }
    }

    /// The first `count` bytes of the segment.
    func read(count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        try forEachChunk(chunkSize: max(count, 1), limit: count) { result.append(contentsOf: $0) }
        return result
    }

    func forEachChunk(
        chunkSize: Int, limit: Int? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw MailError(
                .unreadable, scope: .message, retry: .never, "cannot open message file: \(SystemError.text(errno))",
                path: path, errno: errno)
        }
        defer { close(fd) }
        var remaining = min(limit ?? length, length)
        var position = offset
        var buffer = [UInt8](repeating: 0, count: min(chunkSize, max(remaining, 1)))
        while remaining > 0 {
            let want = min(buffer.count, remaining)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw MailError(
                    .unreadable, scope: .message, retry: .never, "cannot read message file: \(SystemError.text(errno))",
                    path: path, errno: errno)
            }
            if got == 0 {
                throw MailError(
                    .truncatedMessage, scope: .message, retry: .never,
                    "message file ended \(remaining) bytes early (changed while copying?)", path: path)
            }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            remaining -= got
            position += Int64(got)
        }
    }
}

/// Text for `errno` values, for error messages.
public enum SystemError {
    public static func text(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

extension MessageData {
    /// Hands out the message in pieces of at most `chunkSize` bytes on demand, for writers that
    /// must wait between pieces (a network upload).
    public func makeChunkIterator(chunkSize: Int = MessageData.chunkSize) -> ChunkIterator {
        ChunkIterator(data: self, chunkSize: chunkSize)
    }

    /// See ``makeChunkIterator(chunkSize:)``.
    public final class ChunkIterator {
        private let data: MessageData
        private let chunkSize: Int
        private var position = 0
        private var fd: Int32 = -1

        init(data: MessageData, chunkSize: Int) {
            self.data = data
            self.chunkSize = chunkSize
        }

        deinit {
            if fd >= 0 { close(fd) }
        }

        /// The next piece, or `nil` at the end.
        public func next() throws -> [UInt8]? {
            switch data.storage {
            case .memory(let bytes):
                guard position < bytes.count else { return nil }
                let end = min(bytes.count, position + chunkSize)
                defer { position = end }
                return position == 0 && end == bytes.count ? bytes : Array(bytes[position..<end])
            case .file(let segment):
                guard position < segment.length else { return nil }
                if fd < 0 {
                    fd = open(segment.path, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else {
                        throw MailError(
                            .unreadable, scope: .message, retry: .never,
                            "cannot open message file: \(SystemError.text(errno))", path: segment.path, errno: errno)
                    }
                }
                let want = min(chunkSize, segment.length - position)
                var chunk = [UInt8](repeating: 0, count: want)
                let got = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(segment.offset) + off_t(position)) }
                guard got > 0 else {
                    throw MailError(
                        .truncatedMessage, scope: .message, retry: .never,
                        "message file ended \(segment.length - position) bytes early (changed while copying?)",
                        path: segment.path)
                }
                position += got
                if got < want { chunk.removeLast(want - got) }
                return chunk
            }
        }
    }
}
