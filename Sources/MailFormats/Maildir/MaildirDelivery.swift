#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// Delivers messages into one Maildir folder the crash-safe way: write to `tmp/`, fsync, set the
/// arrival time, rename into `cur/` (or `new/`). A crash at any moment leaves at most a partial
/// file in `tmp/`, never in `cur/` or `new/`.
public final class MaildirDelivery {
    /// Choices for how messages land.
    public struct Options: Sendable, Hashable {
        /// Line endings written to disk: `.lf` (Unix convention, what Dovecot and mutt write;
        /// the default) or `nil` to keep the bytes exactly as given.
        public var lineEndings: LineEndings.Style? = .lf
        /// Put messages without `\Seen` (and without other flags) into `new/` instead of `cur/`.
        public var newForUnseen = false

        public init(lineEndings: LineEndings.Style? = .lf, newForUnseen: Bool = false) {
            self.lineEndings = lineEndings
            self.newForUnseen = newForUnseen
        }
    }

    /// A message as it landed.
    public struct Delivered: Sendable {
        /// Path relative to the folder directory: `cur/<name>` or `new/<name>`.
        public var relativePath: String
        /// Keywords the folder had no letter left for.
        public var droppedKeywords: Set<Keyword>
    }

    public let directory: String
    public let options: Options
    private let keywords: MaildirKeywords
    private var usedNew = false
    private var usedCur = false

    /// Opens (creating when missing) the Maildir folder at `directory`.
    /// `isSubfolder` adds Maildir++'s `maildirfolder` marker file.
    public init(directory: String, options: Options = Options(), isSubfolder: Bool) throws {
        self.directory = directory
        self.options = options
        try POSIX.makeDirectory(directory, scope: .folder)
        for sub in ["tmp", "new", "cur"] { try POSIX.makeDirectory("\(directory)/\(sub)", scope: .folder) }
        if isSubfolder {
            let marker = "\(directory)/maildirfolder"
            if POSIX.kind(marker) == nil {
                let fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
                if fd >= 0 { sysClose(fd) }
            }
        }
        keywords = try MaildirKeywords(directory: directory)
    }

    /// One message to deliver.
    public struct Message: Sendable {
        public var data: MessageData
        public var flags: FlagSet
        public var internalDate: Date?

        public init(data: MessageData, flags: FlagSet, internalDate: Date?) {
            self.data = data
            self.flags = flags
            self.internalDate = internalDate
        }
    }

    /// Writes one message. On return the file is complete and fsynced, and renamed into place;
    /// call ``syncDirectories()`` afterwards to make the rename itself durable.
    public func deliver(_ data: MessageData, flags: FlagSet, internalDate: Date?) throws -> Delivered {
        try deliver([Message(data: data, flags: flags, internalDate: internalDate)])[0].get()
    }

    /// Writes a batch: every message to `tmp/`, then all of them fsynced together, then each
    /// renamed into `cur/` (or `new/`) in order. Returns one result per message; a failed message
    /// leaves nothing behind. Call ``syncDirectories()`` after the batch. Throws only when the
    /// folder's keyword file cannot be updated (nothing is delivered then).
    public func deliver(_ batch: [Message]) throws -> [Result<Delivered, MailError>] {
        var allKeywords = Set<Keyword>()
        for message in batch { allKeywords.formUnion(message.flags.keywords) }
        try keywords.assign(allKeywords)

        struct Staged {
            var index: Int
            var fd: Int32
            var name: String
            var written: Int
            var virtual: Int
            var letters: String
            var dropped: Set<Keyword>
        }
        var results = [Result<Delivered, MailError>?](repeating: nil, count: batch.count)
        var staged: [Staged] = []
        staged.reserveCapacity(batch.count)
        for (index, message) in batch.enumerated() {
            let (letters, dropped) = MaildirInfo.letters(for: message.flags, letterForKeyword: keywords.letter(for:))
            let name = MaildirFileName.uniqueBase(size: 0, virtualSize: 0).split(separator: ",").first.map(String.init)
                ?? "mailferry"
            let path = "\(directory)/tmp/\(name)"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                results[index] = .failure(Self.deliveryError("create", path))
                continue
            }
            do {
                let sizes = try writeBody(message.data, to: fd, path: path)
                if let internalDate = message.internalDate {
                    let seconds = Int(internalDate.timeIntervalSince1970.rounded(.down))
                    var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
                    guard futimens(fd, &times) == 0 else { throw Self.deliveryError("set the time of", path) }
                }
                staged.append(Staged(index: index, fd: fd, name: name, written: sizes.written, virtual: sizes.virtual, letters: letters, dropped: dropped))
            } catch {
                sysClose(fd)
                unlink(path)
                results[index] = .failure(Self.graded(error))
            }
        }
        let syncResults = ParallelSync.fsyncAll(staged.map(\.fd))
        for (item, syncError) in zip(staged, syncResults) {
            sysClose(item.fd)
            let temporaryPath = "\(directory)/tmp/\(item.name)"
            guard syncError == 0 else {
                unlink(temporaryPath)
                results[item.index] = .failure(Self.graded(POSIX.error("sync", path: temporaryPath, scope: .message, code: syncError)))
                continue
            }
            let base = "\(item.name),S=\(item.written),W=\(item.virtual)"
            let useNew = options.newForUnseen && item.letters.isEmpty
            let relative = useNew ? "new/\(base)" : "cur/\(base):2,\(item.letters)"
            guard rename(temporaryPath, "\(directory)/\(relative)") == 0 else {
                results[item.index] = .failure(Self.deliveryError("move into place", "\(directory)/\(relative)"))
                unlink(temporaryPath)
                continue
            }
            if useNew { usedNew = true } else { usedCur = true }
            results[item.index] = .success(Delivered(relativePath: relative, droppedKeywords: item.dropped))
        }
        return results.map { $0! }
    }

    /// Gives the message at `relativePath` (`cur/…` or `new/…`) exactly `flags`, by renaming it
    /// into `cur/` with the matching info letters. Returns its new relative path and the keywords
    /// that got no letter; a message that is no longer there is a `.notFound` error.
    public func setFlags(relativePath: String, flags: FlagSet) throws -> Delivered {
        let name = (relativePath as NSString).lastPathComponent
        let subdirectory = (relativePath as NSString).deletingLastPathComponent
        guard subdirectory == "cur" || subdirectory == "new", !name.isEmpty, !name.hasPrefix(".") else {
            throw MailError(.notFound, scope: .message, retry: .never, "not a message file of this folder", path: relativePath)
        }
        try keywords.assign(flags.keywords)
        let (letters, dropped) = MaildirInfo.letters(for: flags, letterForKeyword: keywords.letter(for:))
        let target = "cur/\(MaildirFileName(parsing: name).name(withLetters: letters))"
        if target != relativePath {
            guard rename("\(directory)/\(relativePath)", "\(directory)/\(target)") == 0 else {
                if errno == ENOENT {
                    throw MailError(.notFound, scope: .message, retry: .never, "the message file is gone", path: "\(directory)/\(relativePath)")
                }
                throw Self.deliveryError("rename", "\(directory)/\(relativePath)")
            }
            usedCur = true
            if subdirectory == "new" { usedNew = true }
        }
        return Delivered(relativePath: target, droppedKeywords: dropped)
    }

    /// fsyncs `cur/` and `new/` so that the renames of delivered messages survive a power cut.
    public func syncDirectories() throws {
        if usedCur { try POSIX.syncDirectory("\(directory)/cur", scope: .folder) }
        if usedNew { try POSIX.syncDirectory("\(directory)/new", scope: .folder) }
        usedCur = false
        usedNew = false
    }

    /// Streams `data` to `fd`, converting line endings if asked; returns bytes written and the
    /// CRLF size (IMAP's RFC822.SIZE).
    private func writeBody(_ data: MessageData, to fd: Int32, path: String) throws -> (written: Int, virtual: Int) {
        var output: [UInt8] = []
        output.reserveCapacity(256 * 1024)
        var written = 0
        var virtual = 0
        var previous: UInt8?
        func flush() throws {
            guard !output.isEmpty else { return }
            try output.withUnsafeBytes {
                try POSIX.writeAll(fd, $0, path: path, scope: .message)
                virtual += LineEndings.crlfSize(of: $0, previousByte: previous)
                previous = $0.last
            }
            written += output.count
            output.removeAll(keepingCapacity: true)
        }
        if let target = options.lineEndings {
            var converter = LineEndingConverter(to: target)
            try data.forEachChunk { chunk in
                try converter.convert(chunk) { piece in
                    output.append(contentsOf: piece)
                    if output.count >= 256 * 1024 { try flush() }
                }
            }
            converter.finish { output.append(contentsOf: $0) }
        } else {
            try data.forEachChunk { chunk in
                output.append(contentsOf: chunk)
                if output.count >= 256 * 1024 { try flush() }
            }
        }
        try flush()
        return (written, virtual)
    }

    private static func deliveryError(_ what: String, _ path: String) -> MailError {
        graded(POSIX.error(what, path: path, scope: .message))
    }

    /// A full disk or a read-only file system stops the run; other failures affect the message.
    private static func graded(_ error: any Error) -> MailError {
        guard var mailError = error as? MailError else {
            return MailError(.unwritable, scope: .message, retry: .never, "\(error)")
        }
        if mailError.code == .noSpace || mailError.errno == EROFS || mailError.errno == EDQUOT {
            mailError.scope = .store
        }
        return mailError
    }
}
