#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// Reads the messages of one Maildir folder in file-name order, one file at a time.
///
/// Flags come from the `:2,` letters and the folder's `dovecot-keywords`; the arrival date is
/// the file's modification time; the key is the file name's base (which a flag change does not
/// alter). A file that cannot be read is reported with its path and skipped. Files larger than
/// the spill threshold are not loaded: the message refers to the file itself.
public final class MaildirFolderReader {
    public struct Message: Sendable {
        public var data: MessageData
        public var fingerprint: Fingerprint
        public var flags: FlagSet
        public var internalDate: Date
        public var key: String
        public var number: Int
        public var path: String
    }

    public enum Item: Sendable {
        case message(Message)
        case failure(MailError)
    }

    public let directory: String
    public let spillThreshold: Int
    private let files: [(subdirectory: String, name: String)]
    private let keywords: [Character: Keyword]
    private var index = 0
    /// Files up to this index were handed to the kernel's readahead (see ``prefetch()``).
    private var prefetched = 0
    /// How many files ahead of the one being read the kernel is asked to read.
    static let prefetchDepth = 32
    /// Bytes of the files the reader will read, when a filter left some out (`nil`: the folder's size).
    public let bytesExpected: Int?
    /// Bytes of message files read so far.
    public private(set) var bytesRead = 0

    /// Opens the folder; `include`, when given, decides by key (the name's base) which files are
    /// read at all.
    public init(
        directory: String, spillThreshold: Int = MessageSpool.defaultSpillThreshold, include: ((String) -> Bool)? = nil
    ) throws {
        self.directory = directory
        self.spillThreshold = spillThreshold
        var files = try MaildirTree.messageFiles(in: directory)
        if let include {
            files.removeAll { !include(MaildirFileName(parsing: $0.name).base) }
            bytesExpected = files.reduce(0) { total, file in
                total + (MaildirFileName(parsing: file.name).size ?? POSIX.fileSize("\(directory)/\(file.subdirectory)/\(file.name)") ?? 0)
            }
        } else {
            bytesExpected = nil
        }
        self.files = files
        self.keywords = (try? MaildirKeywords(directory: directory))?.keywordsByLetter ?? [:]
    }

    /// How many message files the folder had when opened.
    public var count: Int { files.count }

    public func next() -> Item? {
        guard index < files.count else { return nil }
        prefetch()
        let (subdirectory, name) = files[index]
        index += 1
        let path = "\(directory)/\(subdirectory)/\(name)"
        let fileName = MaildirFileName(parsing: name)
        var flags = FlagSet()
        if let letters = fileName.infoLetters {
            flags = MaildirInfo.flags(fromLetters: letters, keywordNames: keywords).0
        }
        do {
            let (data, fingerprint, modified, size) = try load(path)
            bytesRead += size
            return .message(
                Message(
                    data: data, fingerprint: fingerprint, flags: flags, internalDate: modified, key: fileName.base,
                    number: index, path: path))
        } catch var error as MailError {
            error.scope = .message
            error.messageNumber = index
            error.messageKey = fileName.base
            error.path = path
            return .failure(error)
        } catch {
            return .failure(
                MailError(
                    .unreadable, scope: .message, retry: .never, "\(error)", messageKey: fileName.base,
                    messageNumber: index, path: path))
        }
    }

    /// Asks the kernel to start reading the next files (`POSIX_FADV_WILLNEED`) while this one is
    /// processed: files are read in delivery order, not disk order, and one synchronous read at
    /// a time leaves a cold disk idle between requests.
    private func prefetch() {
        #if os(Linux)
        let end = min(files.count, index + Self.prefetchDepth)
        while prefetched < end {
            let file = files[prefetched]
            prefetched += 1
            let fd = open("\(directory)/\(file.subdirectory)/\(file.name)", O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
            sysClose(fd)
        }
        #endif
    }

    private func load(_ path: String) throws -> (MessageData, Fingerprint, Date, Int) {
        let fd = try POSIX.openRead(path, scope: .message)
        defer { sysClose(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIX.error("stat", path: path, scope: .message) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MailError(.unreadable, scope: .message, retry: .never, "not a regular file", path: path)
        }
        let size = Int(info.st_size)
        #if canImport(Darwin)
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtimespec.tv_sec))
        #else
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
        #endif
        var fingerprint = FingerprintBuilder()
        if size > spillThreshold {
            // Too big to hold: hash it now, let the sink stream it from the file later.
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var total = 0
            while true {
                let got = try buffer.withUnsafeMutableBytes { try POSIX.read(fd, into: $0, path: path, scope: .message) }
                if got == 0 { break }
                buffer.withUnsafeBytes { fingerprint.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
                total += got
            }
            return (MessageData(file: FileSegment(path: path, length: total)), fingerprint.finish(), modified, total)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = try bytes.withUnsafeMutableBytes {
                try POSIX.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]), path: path, scope: .message)
            }
            if got == 0 { break }
            filled += got
        }
        if filled < size { bytes.removeLast(size - filled) }
        fingerprint.update(bytes)
        return (MessageData(bytes), fingerprint.finish(), modified, filled)
    }

    /// Every message's key and flags, from the file names alone.
    public static func flags(in directory: String) throws -> [(key: String, flags: FlagSet)] {
        let keywords = (try? MaildirKeywords(directory: directory))?.keywordsByLetter ?? [:]
        return try MaildirTree.messageFiles(in: directory).map { _, name in
            let fileName = MaildirFileName(parsing: name)
            let flags = fileName.infoLetters.map { MaildirInfo.flags(fromLetters: $0, keywordNames: keywords).0 } ?? FlagSet()
            return (fileName.base, flags)
        }
    }

    /// Message count and total size of a folder without reading the messages.
    public static func status(of directory: String) throws -> FolderStatus {
        var bytes = 0
        var unreadable = 0
        let files = try MaildirTree.messageFiles(in: directory, ordered: false)
        for (subdirectory, name) in files {
            if let size = MaildirFileName(parsing: name).size {
                bytes += size
            } else if let size = POSIX.fileSize("\(directory)/\(subdirectory)/\(name)") {
                bytes += size
            } else {
                unreadable += 1
            }
        }
        return FolderStatus(messages: files.count - unreadable, bytes: bytes, unreadable: unreadable)
    }
}

extension MaildirTree {
    /// Makes sure the root exists and is a Maildir (`cur/`, `new/`, `tmp/`), creating missing
    /// parent directories. Throws a store-scoped error when that is impossible.
    public func prepareRoot() throws {
        var path = root.hasPrefix("/") ? "" : "."
        for component in root.split(separator: "/") {
            path += "/\(component)"
            if POSIX.isDirectory(path) { continue }
            try POSIX.makeDirectory(path, scope: .store)
        }
        for sub in ["cur", "new", "tmp"] { try POSIX.makeDirectory("\(root)/\(sub)", scope: .store) }
        guard access(root + "/tmp", W_OK) == 0 else {
            throw POSIX.error("write to", path: root, scope: .store)
        }
    }

    /// Whether the root exists and is a directory.
    public var rootExists: Bool { POSIX.isDirectory(root) }
}
