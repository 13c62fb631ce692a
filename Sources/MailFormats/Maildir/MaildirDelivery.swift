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

    /// Writes one message. On return the file is complete and fsynced, and renamed into place;
    /// call ``syncDirectories()`` after a batch to make the renames themselves durable.
    public func deliver(_ data: MessageData, flags: FlagSet, internalDate: Date?) throws -> Delivered {
        try keywords.assign(flags.keywords)
        let (letters, dropped) = MaildirInfo.letters(for: flags, letterForKeyword: keywords.letter(for:))
        let temporaryName = MaildirFileName.uniqueBase(size: 0, virtualSize: 0)
            .split(separator: ",").first.map(String.init) ?? "mailferry"
        let temporaryPath = "\(directory)/tmp/\(temporaryName)"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Self.deliveryError("create", temporaryPath) }
        var sizes = (written: 0, virtual: 0)
        do {
            sizes = try writeBody(data, to: fd, path: temporaryPath)
            if let internalDate {
                let seconds = internalDate.timeIntervalSince1970.rounded(.down)
                var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
                guard futimens(fd, &times) == 0 else { throw Self.deliveryError("set the time of", temporaryPath) }
            }
            try POSIX.fsync(fd, path: temporaryPath, scope: .message)
            sysClose(fd)
        } catch {
            sysClose(fd)
            unlink(temporaryPath)
            throw Self.graded(error)
        }
        let base = "\(temporaryName),S=\(sizes.written),W=\(sizes.virtual)"
        let useNew = options.newForUnseen && letters.isEmpty
        let relative = useNew ? "new/\(base)" : "cur/\(base):2,\(letters)"
        guard rename(temporaryPath, "\(directory)/\(relative)") == 0 else {
            let error = Self.deliveryError("move into place", "\(directory)/\(relative)")
            unlink(temporaryPath)
            throw error
        }
        if useNew { usedNew = true } else { usedCur = true }
        return Delivered(relativePath: relative, droppedKeywords: dropped)
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

    private static func deliveryError(_ what: String, _ path: String) -> any Error {
        graded(POSIX.error(what, path: path, scope: .message))
    }

    /// A full disk or a read-only file system stops the run; other failures affect the message.
    private static func graded(_ error: any Error) -> any Error {
        guard var mailError = error as? MailError else { return error }
        if mailError.code == .noSpace || mailError.errno == EROFS || mailError.errno == EDQUOT {
            mailError.scope = .store
        }
        return mailError
    }
}
