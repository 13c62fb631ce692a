import CArchive
import Foundation
import MailCore

/// Reads an archive (tar under any compression libarchive knows, or zip) member by member, as a
/// stream, refusing anything unsafe before its bytes are used: names that are absolute or climb
/// out (`..`), links, devices, repeated names, and sizes or compression ratios over
/// ``ArchiveLimits``. Nothing is ever extracted by name: callers get bytes, not files.
public final class ArchiveReader {
    /// One member's header.
    public struct Entry: Sendable, Hashable {
        public var name: MemberName
        public var isDirectory: Bool
        /// Size as the header declares it (zip streams may not know).
        public var size: Int?
        public var modified: Date?
    }

    public let path: String
    public let limits: ArchiveLimits
    private var handle: OpaquePointer?
    private var seen = Set<String>()
    private var entries = 0
    private var current: Entry?
    private var currentRead = 0
    /// Uncompressed bytes of every member read so far.
    public private(set) var totalBytes = 0
    private var source: GrowingFileSource?

    public init(path: String, limits: ArchiveLimits = .standard) throws {
        self.path = path
        self.limits = limits
        let handle = try Self.makeHandle(path: path)
        self.handle = handle
        try open { archive_read_open_filename(handle, path, 256 * 1024) }
    }

    /// Reads a file another thread is still writing (see ``GrowingFile``), through `fd`.
    init(growing: GrowingFile, fd: Int32, path: String, limits: ArchiveLimits) throws {
        self.path = path
        self.limits = limits
        let handle = try Self.makeHandle(path: path)
        self.handle = handle
        let source = GrowingFileSource(fd: fd, growing: growing)
        self.source = source
        let read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int = {
            _, client, buffer in
            guard let client else { return -1 }
            let source = Unmanaged<GrowingFileSource>.fromOpaque(client).takeUnretainedValue()
            let got = source.read()
            buffer?.pointee = UnsafeRawPointer(source.buffer)
            return got
        }
        try open { archive_read_open2(handle, Unmanaged.passUnretained(source).toOpaque(), nil, read, nil, nil) }
    }

    private static func makeHandle(path: String) throws -> OpaquePointer {
        guard let handle = archive_read_new() else {
            throw MailError.store(.internalError, "libarchive could not start a reader", path: path)
        }
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        archive_read_support_format_zip(handle)
        return handle
    }

    private func open(_ body: () -> Int32) throws {
        guard let handle else { return }
        guard body() == ARCHIVE_OK else {
            let error = failure("cannot open the archive")
            archive_read_free(handle)
            self.handle = nil
            throw error
        }
    }

    deinit { close() }

    public func close() {
        if let handle { archive_read_free(handle) }
        handle = nil
    }

    /// Archive bytes read so far (compressed), for progress.
    public var compressedBytesRead: Int {
        guard let handle else { return 0 }
        return Int(archive_filter_bytes(handle, -1))
    }

    /// The next member's header, checked; `nil` at the end. Unread bytes of the previous member
    /// are skipped.
    public func next() throws -> Entry? {
        guard let handle else { return nil }
        var raw: OpaquePointer?
        let status = archive_read_next_header(handle, &raw)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let raw else { throw failure("cannot read the next member") }
        try checkExpansion(at: nil)
        entries += 1
        guard entries <= limits.maximumEntries else {
            throw unsafe("has more than \(limits.maximumEntries) members")
        }
        let rawName: String
        if let utf8 = archive_entry_pathname_utf8(raw) {
            rawName = String(cString: utf8)
        } else if let bytes = archive_entry_pathname(raw) {
            rawName = String(cString: bytes)  // not UTF-8: invalid bytes become U+FFFD
        } else {
            throw unsafe("has a member without a name")
        }
        let name = try MemberName.validated(rawName, archive: path, maximumLength: limits.maximumNameLength)
        if archive_entry_hardlink(raw) != nil {
            throw unsafe("member \"\(name)\" is a hard link")
        }
        let type = UInt32(archive_entry_filetype(raw)) & mailferry_AE_IFMT
        let isDirectory: Bool
        switch type {
        case mailferry_AE_IFREG: isDirectory = false
        case mailferry_AE_IFDIR: isDirectory = true
        case 0o120000: throw unsafe("member \"\(name)\" is a symbolic link")
        default: throw unsafe("member \"\(name)\" is a device, pipe or socket")
        }
        if !isDirectory {
            guard seen.insert(name.path).inserted else { throw unsafe("repeats the member \"\(name)\"") }
        }
        var size: Int?
        if archive_entry_size_is_set(raw) != 0 {
            size = Int(archive_entry_size(raw))
            if let size, size > limits.maximumEntrySize {
                throw unsafe("member \"\(name)\" is \(size) bytes, over the limit of \(limits.maximumEntrySize)")
            }
        }
        let modified: Date? = archive_entry_mtime_is_set(raw) != 0
            ? Date(timeIntervalSince1970: TimeInterval(archive_entry_mtime(raw))) : nil
        let entry = Entry(name: name, isDirectory: isDirectory, size: size, modified: modified)
        current = entry
        currentRead = 0
        return entry
    }

    /// Reads the current member's next bytes into `buffer`; 0 at its end. For peeking at a
    /// member's start; do not mix with `forEachChunk` on the same member.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let handle, let current, let base = buffer.baseAddress else { return 0 }
        let got = archive_read_data(handle, base, buffer.count)
        guard got >= 0 else { throw failure("cannot read member \"\(current.name)\"") }
        try account(got, member: current.name)
        return got
    }

    /// Counts `count` more bytes of the current member against the caps.
    private func account(_ count: Int, member: MemberName) throws {
        currentRead += count
        totalBytes += count
        guard currentRead <= limits.maximumEntrySize else {
            throw unsafe("member \"\(member)\" is over the limit of \(limits.maximumEntrySize) bytes")
        }
        try checkExpansion(at: member)
    }

    /// The caps on expansion, counting what the decompressor produced — also for members that
    /// were skipped, not read — and what members returned (zip members are compressed one by one).
    private func checkExpansion(at member: MemberName?) throws {
        guard let handle else { return }
        let produced = max(totalBytes, Int(archive_filter_bytes(handle, 0)))
        let place = member.map { " (at member \"\($0)\")" } ?? ""
        guard produced <= limits.maximumTotalBytes else {
            throw unsafe("holds more than \(limits.maximumTotalBytes) bytes\(place)")
        }
        if produced > limits.ratioAllowance {
            let packed = max(1, compressedBytesRead)
            if produced / packed > limits.maximumCompressionRatio {
                throw unsafe("expands more than \(limits.maximumCompressionRatio) times\(place): a compression bomb?")
            }
        }
    }

    /// Calls `body` with the current member's bytes, piece by piece, straight from libarchive's
    /// buffers (no copy). A hole in a sparse member comes as zeros, counted against the caps.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle, let current else { return }
        var position: Int64 = 0
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(handle, &block, &size, &offset)
            // A warning is a damaged member (a zip's bad CRC or wrong size): refused, as
            // archive_read_data refuses it.
            guard status == ARCHIVE_EOF || status == ARCHIVE_OK else {
                throw failure("cannot read member \"\(current.name)\"")
            }
            guard Int64(offset) >= position else {
                throw failure("cannot read member \"\(current.name)\": its sparse blocks are out of order")
            }
            if Int64(offset) > position {
                try zeros(Int(Int64(offset) - position), member: current.name, body)
                position = Int64(offset)
            }
            if status == ARCHIVE_EOF { return }
            guard let block, size > 0 else { continue }
            try account(size, member: current.name)
            try body(UnsafeRawBufferPointer(start: block, count: size))
            position += Int64(size)
        }
    }

    /// Hands `count` zero bytes to `body` (a sparse member's hole), checking the caps first.
    private func zeros(_ count: Int, member: MemberName, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = count
        let zero = [UInt8](repeating: 0, count: min(count, 64 * 1024))
        while left > 0 {
            let piece = min(left, zero.count)
            try account(piece, member: member)
            try zero.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<piece])) }
            left -= piece
        }
    }

    /// The current member's bytes, when at most `maximum`; throws a `limit-exceeded` error otherwise.
    public func readAll(maximum: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        if let size = current?.size { result.reserveCapacity(min(size, maximum)) }
        try forEachChunk { chunk in
            guard result.count + chunk.count <= maximum else {
                throw MailError.limitExceeded(
                    "archive member \"\(current?.name.path ?? "?")\"", actual: result.count + chunk.count, maximum: maximum,
                    scope: .store, path: path)
            }
            result.append(contentsOf: chunk)
        }
        return result
    }

    private func unsafe(_ what: String) -> MailError {
        MailError(.unsafeArchive, scope: .store, retry: .never, "the archive \(what): refusing it", path: path)
    }

    private func failure(_ what: String) -> MailError {
        let text = handle.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown error"
        let code = handle.map { archive_errno($0) } ?? 0
        let mailCode: MailError.Code = code == ENOENT ? .notFound : .unreadable
        return MailError(mailCode, scope: .store, retry: .never, "\(what): \(text)", path: path, errno: code == 0 ? nil : code)
    }
}
