#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// Deletes messages from a plain (uncompressed) mbox file by writing the messages that stay to a
/// new file and renaming it over the old one, all or nothing.
///
/// - Locks: the same `name.lock` dotlock and `fcntl` write lock ``MboxAppender`` takes, held from
///   before the file is read until after the rename, so the messages chosen are the messages
///   removed and no cooperating writer appends meanwhile. A journal of an interrupted append
///   (`name.mailferry-journal`) stops the removal before anything is touched.
/// - Bytes: a message's span runs from its `From ` line to the next message's `From ` line (its
///   separator blank line included) or the end of the file. The spans of the messages removed
///   are left out; every other byte — leading blank lines, messages that could not be read, the
///   `From ` lines and separators of the messages that stay — is copied unchanged.
/// - Checks before the rename: the new file is read back, and must hold exactly the original's
///   messages minus the removed ones, with the same fingerprints in the same order; the original
///   must still have the size and modification time it had when it was read (a program that
///   ignores locks). The new file keeps the original's permission bits.
/// - Durability: the new file is fsynced before the rename and the directory after it. A crash
///   before the rename leaves the original as it was (and a `.name.mailferry-rewrite-…` file).
///
/// The `fcntl` lock stays on one descriptor for the whole time: closing any other descriptor of
/// the file would release this process's locks on it (POSIX), so the file is read through that
/// same descriptor.
public enum MboxRemoval {
    /// What ``remove(path:options:lockTimeout:where:)`` did.
    public struct Outcome: Sendable {
        /// Messages removed (0 when nothing was chosen: the file is then left untouched).
        public var removed = 0
        /// Set when the rename happened but the directory could not be synced, so the removal may
        /// not survive a crash.
        public var syncFailure: MailError?
    }

    /// Removes the messages of the mbox at `path` for which `shouldRemove` returns `true` (it sees
    /// every message, under the lock, as ``MboxReader`` reads it with `options`). Throws, having
    /// changed nothing, when the file cannot be locked, read, rewritten or verified.
    public static func remove(
        path: String, options: MboxReader.Options, lockTimeout: Double,
        where shouldRemove: (MboxReader.Message) throws -> Bool
    ) throws -> Outcome {
        let dotLock = try DotLock(path: path + ".lock", scope: .folder, timeout: lockTimeout)
        defer { dotLock.release() }
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw POSIX.error("open for rewriting", path: path, scope: .folder) }
        defer {
            FileLock.release(fd: fd)
            sysClose(fd)
        }
        try FileLock.acquire(fd: fd, kind: .exclusive, path: path, scope: .folder, timeout: lockTimeout)
        let journal = path + ".mailferry-journal"
        guard POSIX.kind(journal) == nil else {
            throw MailError(
                .interruptedWrite, scope: .folder, retry: .never,
                "an earlier append to this mbox was interrupted (\(journal) exists); resolve that first", path: path)
        }
        let before = try fileState(fd, path: path)
        guard before.isRegular else {
            throw MailError(.unwritable, scope: .folder, retry: .never, "not a regular file", path: path)
        }
        var magic: [UInt8] = [0, 0]
        if magic.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 2, 0) }) == 2 && magic == [0x1f, 0x8b] {
            throw MailError(
                .unsupported, scope: .folder, retry: .never,
                "deleting messages from a gzip-compressed mbox is not supported", path: path)
        }

        // Read everything under the lock; note each entry's start and whether it goes.
        let scan = try Scan(fd: fd, path: path, size: before.size, options: options, shouldRemove: shouldRemove)
        guard scan.removedCount > 0 else { return Outcome() }
        let spans = try scan.removedSpans(fileSize: before.size)

        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory.isEmpty ? "." : directory)/.\(name).mailferry-rewrite-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let out = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard out >= 0 else { throw POSIX.error("create a temporary file for rewriting", path: temporary, scope: .folder) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { sysClose(out) }
            _ = fchmod(out, before.mode & 0o7777)
            _ = fchown(out, before.owner, before.group)  // keeps the owner when allowed (root); harmless otherwise
            try copy(from: fd, path: path, size: before.size, skipping: spans, to: out, outPath: temporary)
            try POSIX.fsync(out, path: temporary, scope: .folder)
        }
        try verify(
            temporary, expected: scan.keptSignatures, size: before.size - spans.reduce(0) { $0 + Int64($1.count) },
            options: options)
        let after = try fileState(fd, path: path)
        guard after.size == before.size, after.modified == before.modified else {
            throw MailError(
                .locked, scope: .folder, retry: .later,
                "another program changed the mbox while it was being rewritten (it ignores mbox locks)", path: path)
        }
        guard rename(temporary, path) == 0 else { throw POSIX.error("replace the mbox with its rewrite", path: path, scope: .folder) }
        renamed = true
        var outcome = Outcome(removed: scan.removedCount)
        do {
            try POSIX.syncDirectory(directory.isEmpty ? "." : directory, scope: .folder)
        } catch let error as MailError {
            outcome.syncFailure = error
        }
        return outcome
    }

    // MARK: - Scanning

    /// One entry of the file as read: a message (with its fingerprint) or an unreadable stretch.
    enum Signature: Equatable {
        case message(Fingerprint)
        case failure
    }

    /// The file's entries, where each starts, and which are removed.
    struct Scan {
        var entries: [(offset: Int64?, signature: Signature, remove: Bool)] = []
        var removedCount = 0

        init(
            fd: Int32, path: String, size: Int64, options: MboxReader.Options,
            shouldRemove: (MboxReader.Message) throws -> Bool
        ) throws {
            let reader = MboxReader(input: DescriptorInput(fd: fd, path: path, size: size), options: options)
            defer { reader.close() }
            while let item = try reader.next() {
                switch item {
                case .message(let message):
                    let remove = try shouldRemove(message)
                    if remove { removedCount += 1 }
                    entries.append((message.offset, .message(message.fingerprint), remove))
                case .failure(let error):
                    // A message without a header section names its offset; one cut off does not.
                    let offset = error.messageKey.flatMap { $0.hasPrefix("offset:") ? Int64($0.dropFirst(7)) : nil }
                    entries.append((offset, .failure, false))
                }
            }
        }

        /// What the rewritten file must read as.
        var keptSignatures: [Signature] { entries.filter { !$0.remove }.map { $0.signature } }

        /// The byte ranges of the removed messages: each up to the next entry's start.
        func removedSpans(fileSize: Int64) throws -> [Range<Int64>] {
            var spans: [Range<Int64>] = []
            for (index, entry) in entries.enumerated() where entry.remove {
                guard let start = entry.offset, index + 1 == entries.count || entries[index + 1].offset != nil else {
                    throw MailError(
                        .internalError, scope: .folder, retry: .never,
                        "the end of a message to delete cannot be told (the entry after it has no known start)")
                }
                let end = index + 1 < entries.count ? entries[index + 1].offset! : fileSize
                guard start < end, end <= fileSize, spans.last.map({ $0.upperBound <= start }) ?? true else {
                    throw MailError(
                        .internalError, scope: .folder, retry: .never,
                        "message boundaries in the mbox are not in order (\(start)..<\(end))")
                }
                spans.append(start..<end)
            }
            return spans
        }
    }

    // MARK: - Writing and checking

    /// Copies `[0, size)` of `fd` to `out`, leaving out `spans` (sorted, disjoint).
    private static func copy(
        from fd: Int32, path: String, size: Int64, skipping spans: [Range<Int64>], to out: Int32, outPath: String
    ) throws {
        var keep: [Range<Int64>] = []
        var position: Int64 = 0
        for span in spans {
            if span.lowerBound > position { keep.append(position..<span.lowerBound) }
            position = span.upperBound
        }
        if position < size { keep.append(position..<size) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for range in keep {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let want = Int(min(Int64(buffer.count), range.upperBound - offset))
                let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw POSIX.error("read", path: path, scope: .folder)
                }
                guard got > 0 else {
                    throw MailError(.unreadable, scope: .folder, retry: .later, "the mbox got shorter while being rewritten", path: path)
                }
                try buffer.withUnsafeBytes {
                    try POSIX.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[0..<got]), path: outPath, scope: .folder)
                }
                offset += Int64(got)
            }
        }
    }

    /// Reads the rewritten file back: it must have the expected size and entries.
    private static func verify(_ path: String, expected: [Signature], size: Int64, options: MboxReader.Options) throws {
        func mismatch(_ detail: String) -> MailError {
            MailError(
                .verificationFailed, scope: .folder, retry: .never,
                "the rewritten mbox did not read back as the original minus the deleted messages (\(detail))", path: path)
        }
        guard let actualSize = POSIX.fileSize(path), Int64(actualSize) == size else {
            throw mismatch("size \(POSIX.fileSize(path) ?? -1), expected \(size)")
        }
        let reader = MboxReader(input: try FileInput(path: path), options: options)
        defer { reader.close() }
        var index = 0
        while let item = try reader.next() {
            let signature: Signature
            switch item {
            case .message(let message): signature = .message(message.fingerprint)
            case .failure: signature = .failure
            }
            guard index < expected.count, expected[index] == signature else {
                throw mismatch("entry \(index + 1) differs")
            }
            index += 1
        }
        guard index == expected.count else { throw mismatch("\(index) entries, expected \(expected.count)") }
    }

    struct FileState {
        var isRegular: Bool
        var size: Int64
        var modified: Int64
        var mode: mode_t
        var owner: uid_t
        var group: gid_t
    }

    private static func fileState(_ fd: Int32, path: String) throws -> FileState {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIX.error("stat", path: path, scope: .folder) }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileState(
            isRegular: (info.st_mode & S_IFMT) == S_IFREG, size: Int64(info.st_size), modified: modified,
            mode: info.st_mode, owner: info.st_uid, group: info.st_gid)
    }
}

/// Reads `[0, size)` of a descriptor with `pread`, leaving the descriptor open: it carries the
/// rewrite's lock, which closing it (or any descriptor of the file) would drop.
private final class DescriptorInput: ByteInput {
    let path: String
    private let fd: Int32
    private let size: Int64
    private(set) var fileOffset = 0

    init(fd: Int32, path: String, size: Int64) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = size - Int64(fileOffset)
        guard remaining > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        while true {
            let got = pread(fd, buffer.baseAddress, want, off_t(fileOffset))
            if got >= 0 {
                fileOffset += got
                return got
            }
            if errno != EINTR { throw POSIX.error("read", path: path, scope: .folder) }
        }
    }

    func close() {}
}
