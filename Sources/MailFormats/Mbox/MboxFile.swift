#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// Opening mbox files for reading: a shared `fcntl` lock (so a writer that locks, like mutt or
/// Dovecot, is not half-read), and gzip decompression when the file starts with gzip's magic.
public enum MboxFile {
    /// Whether the file at `path` is gzip-compressed (by content).
    public static func isCompressed(_ path: String) -> Bool {
        guard let fd = try? POSIX.openRead(path, scope: .folder) else { return false }
        defer { sysClose(fd) }
        var magic: [UInt8] = [0, 0]
        let got = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 2, 0) }
        return got == 2 && magic == [0x1f, 0x8b]
    }

    /// Opens `path` for reading under a shared lock; the lock goes with the returned input.
    /// `offset` starts reading there: a message boundary of a plain file, or a gzip member's start
    /// (each batch ``MboxAppender`` writes is one member).
    public static func openForReading(_ path: String, lockTimeout: Double, from offset: Int64 = 0) throws -> any ByteInput {
        let fd = try POSIX.openRead(path, scope: .folder)
        do {
            try FileLock.acquire(fd: fd, kind: .shared, path: path, scope: .folder, timeout: lockTimeout)
        } catch {
            sysClose(fd)
            throw error
        }
        var magic: [UInt8] = [0, 0]
        let got = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 2, 0) }
        if offset > 0 && lseek(fd, off_t(offset), SEEK_SET) < 0 {
            let error = POSIX.error("seek in", path: path, scope: .folder)
            sysClose(fd)
            throw error
        }
        let file = FileInput(fd: fd, path: path)
        if got == 2 && magic == [0x1f, 0x8b] { return try GzipInput(wrapping: file) }
        return file
    }

    /// Message count and size of an mbox file (reads it once, keeps nothing).
    public static func status(of path: String, options: MboxReader.Options, lockTimeout: Double) throws -> FolderStatus {
        var countOptions = options
        countOptions.countOnly = true
        let reader = MboxReader(input: try openForReading(path, lockTimeout: lockTimeout), options: countOptions)
        defer { reader.close() }
        var status = FolderStatus(messages: 0, bytes: 0)
        while let item = try reader.next() {
            switch item {
            case .message(let message):
                status.messages += 1
                status.bytes += message.size
            case .failure:
                status.unreadable += 1
            }
        }
        return status
    }

    /// Why the file at `path` is not an mbox file, or `nil` when it looks like one (it starts
    /// with `From ` after blank lines, is empty, or is gzip-compressed).
    public static func notMboxReason(_ path: String) -> String? {
        guard let size = POSIX.fileSize(path) else { return "cannot be read" }
        if case .other(let reason) = MboxDirectory.classify(path, size: size) { return reason }
        return nil
    }

    /// `device:inode/size/mtime` of the file: it changes whenever the file is written or replaced.
    public static func stateToken(_ path: String) -> String? {
        POSIX.status(path).map { "\($0.identity)/\($0.size)/\($0.modified)" }
    }

    /// `device:inode` of the file: it changes when the file is deleted and created again.
    public static func identity(_ path: String) -> String? { POSIX.status(path)?.identity }

    /// Size of the file on disk, if it exists.
    public static func size(_ path: String) -> Int? { POSIX.fileSize(path) }

    /// What is at `path`: a directory, a regular file, or nothing.
    public static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        default: return .other
        }
    }

    public enum Kind { case missing, file, directory, other }

    /// Creates `path` as a directory (and missing parents).
    public static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/\(component)"
            if POSIX.isDirectory(current) { continue }
            try POSIX.makeDirectory(current, scope: .store)
        }
    }
}
