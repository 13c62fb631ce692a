import Foundation
import MailCore
import MailFormats

/// Writes one archive volume safely: messages stream into a temporary file next to the final
/// name; ``commit()`` adds the manifest, flushes and fsyncs, reads the whole file back and checks
/// it against the manifest (that much is ``prepare()``, which may run first), and only then gives
/// it its final name (never replacing a file).
/// An interrupted run leaves at most a temporary file, never a truncated archive under the
/// final name. A volume that received no message writes nothing at all.
public final class ArchiveVolumeWriter {
    /// One message to archive.
    public struct Message {
        public var data: MessageData
        public var folder: FolderPath
        public var flags: FlagSet
        public var internalDate: Date?
        public var key: String
        public var messageID: String?
        public var fingerprint: Fingerprint

        public init(
            data: MessageData, folder: FolderPath, flags: FlagSet, internalDate: Date?, key: String, messageID: String?,
            fingerprint: Fingerprint
        ) {
            self.data = data
            self.folder = folder
            self.flags = flags
            self.internalDate = internalDate
            self.key = key
            self.messageID = messageID
            self.fingerprint = fingerprint
        }
    }

    /// What a committed volume holds.
    public struct Summary: Sendable {
        public var path: String
        public var messages: Int
        public var bytes: Int
        /// Size of the archive file.
        public var archiveBytes: Int
    }

    public let finalPath: String
    /// The random id written as the volume's first member (``ArchiveLayout/volumeIdentityMember``).
    public let volumeID = UUID().uuidString.lowercased()
    public let format: ArchiveFormat
    public let threads: Int
    public let limits: ArchiveLimits
    private var temporaryPath: String { finalPath.deletingLastPathComponent + "/." + finalPath.lastPathComponent + ".mailferry-partial" }
    private var manifestPath: String { temporaryPath + ".manifest" }
    private var fd: Int32 = -1
    private var manifestFD: Int32 = -1
    private var manifestBytes = 0
    private var writer: ArchiveWriter?
    private var growing: GrowingFile?
    private var verification: BackgroundVerification?
    /// `device:inode` of the temporary file, checked before it is given the final name (which
    /// links the same inode, so it is the volume's identity too); `nil` until the first message.
    public private(set) var identity: String?
    /// Set when a member could not be completed: the volume can no longer be finished.
    private var broken: MailError?
    private var sequence = 0
    private var bytes = 0
    /// Keyword letters per folder directory, for the Maildir names and `dovecot-keywords`.
    private var keywordLetters: [String: [Keyword: Character]] = [:]
    private var directories: [FolderPath: String] = [:]
    private(set) public var committed: Summary?
    /// Set by ``prepare()``: the volume is finished and verified, waiting for its final name.
    private var prepared = false

    public init(finalPath: String, format: ArchiveFormat, threads: Int = 1, limits: ArchiveLimits = .standard) {
        self.finalPath = finalPath
        self.format = format
        self.threads = threads
        self.limits = limits
    }

    deinit { abandon() }

    /// Messages added so far.
    public var messageCount: Int { sequence }

    /// Adds a message; returns its member name and the keywords its file name could not carry
    /// (more than 26 in one folder; the manifest keeps them all).
    public func add(_ message: Message) throws -> (member: String, droppedKeywords: Set<Keyword>) {
        if let broken { throw broken }
        guard !prepared else {
            throw MailError.store(.internalError, "archive volume already finished; no message can be added", path: finalPath)
        }
        try open()
        guard writer != nil else { throw MailError.store(.internalError, "archive volume not open", path: finalPath) }
        let directory: String
        if let known = directories[message.folder] {
            directory = known
        } else {
            directory = try ArchiveLayout.directory(for: message.folder)
            directories[message.folder] = directory
        }
        var letters = keywordLetters[directory] ?? [:]
        let (text, dropped) = MaildirInfo.letters(for: message.flags) { keyword in
            if let letter = letters[keyword] { return letter }
            guard letters.count < 26 else { return nil }
            let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(letters.count)))
            letters[keyword] = letter
            return letter
        }
        keywordLetters[directory] = letters
        let member = ArchiveLayout.memberName(
            directory: directory, sequence: sequence + 1, internalDate: message.internalDate, letters: text)
        let digest: [UInt8]
        do {
            digest = try writer!.add(name: member, modified: message.internalDate, data: message.data)
        } catch let error as MailError where error.scope != .message {
            broken = error
            throw error
        }
        sequence += 1
        bytes += message.data.count
        let line = try ArchiveManifest.line(
            for: ArchiveManifest.Entry(
                member: member, folder: message.folder, flags: message.flags, internalDate: message.internalDate,
                key: message.key, messageID: message.messageID, size: message.data.count, sha256: digest.hexString,
                fingerprint: message.fingerprint))
        try line.withUnsafeBytes { try POSIX.writeAll(manifestFD, $0, path: manifestPath, scope: .store) }
        manifestBytes += line.count
        return (member, dropped)
    }

    /// Finishes the volume: manifest, end of archive, fsync, read back and verify, final name.
    /// Returns `nil` (and writes nothing) when no message was added. Throws when any step
    /// fails; the temporary file is then removed and the final name never appears.
    @discardableResult
    public func commit() throws -> Summary? {
        if let committed { return committed }
        guard try prepare() else { return nil }
        do {
            try publish()
            let size = POSIX.fileSize(finalPath) ?? 0
            let summary = Summary(path: finalPath, messages: sequence, bytes: bytes, archiveBytes: size)
            committed = summary
            removeManifest()
            return summary
        } catch {
            fail(error)
            throw error
        }
    }

    /// Everything of ``commit()`` but the final name: manifest, end of archive, fsync, read
    /// back and verify. Returns whether there is a volume to publish (`false`: no message was
    /// added, nothing written). A second call repeats the first's outcome; on failure the
    /// temporary file is removed.
    @discardableResult
    public func prepare() throws -> Bool {
        if committed != nil { return true }
        if let broken {
            abandon()
            throw broken
        }
        if prepared { return true }
        guard writer != nil, sequence > 0 else {
            abandon()
            return false
        }
        do {
            try POSIX.fsync(manifestFD, path: manifestPath, scope: .store)
            // No local reference to the writer: on failure, abandon() must be able to free it
            // (stopping its compressor) before the file is closed.
            try writer!.add(
                name: ArchiveManifest.memberName, modified: Date(),
                data: MessageData(file: FileSegment(path: manifestPath, length: manifestBytes)))
            for (directory, letters) in keywordLetters.sorted(by: { $0.key < $1.key }) where !letters.isEmpty {
                let lines = letters.sorted { $0.value < $1.value }.map {
                    "\(Int($0.value.asciiValue! - UInt8(ascii: "a"))) \($0.key.name)\n"
                }
                try writer!.add(name: "\(directory)/dovecot-keywords", modified: Date(), bytes: Array(lines.joined().utf8))
            }
            try writer!.finish()
            self.writer = nil
            growing?.finish()
            try POSIX.fsync(fd, path: temporaryPath, scope: .store)
            close(fd)
            fd = -1
            // The read-back ran alongside the writing; it ends with the file's last bytes.
            guard let verification else { throw MailError.store(.internalError, "no verification", path: temporaryPath) }
            let check = try verification.wait()
            guard check.isIntact, check.messages == sequence else {
                throw MailError(
                    .verificationFailed, scope: .store, retry: .never,
                    "the archive read back does not match what was written (\(check.matched) of \(sequence) messages "
                        + "intact\(check.problems.first.map { "; \($0)" } ?? "")): it was not kept", path: temporaryPath)
            }
            prepared = true
            return true
        } catch {
            fail(error)
            throw error
        }
    }

    /// Removes the temporary files and remembers why, so that a later call fails the same way.
    private func fail(_ error: any Error) {
        broken = (error as? MailError) ?? MailError.store(.internalError, "\(error)", path: temporaryPath)
        abandon()
    }

    /// Removes the temporary files (an interrupted or failed volume).
    public func abandon() {
        writer = nil
        growing?.finish(abandoned: true)
        _ = try? verification?.wait()
        growing = nil
        verification = nil
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        // Only this run's file: never one another run put under the same name.
        if committed == nil, let identity, POSIX.status(temporaryPath)?.identity == identity {
            unlink(temporaryPath)
        }
        removeManifest()
    }

    private func removeManifest() {
        if manifestFD >= 0 {
            close(manifestFD)
            manifestFD = -1
            unlink(manifestPath)
        }
    }

    private func open() throws {
        guard writer == nil else { return }
        guard committed == nil else {
            throw MailError.store(.internalError, "archive volume already committed", path: finalPath)
        }
        if POSIX.kind(finalPath) != nil {
            throw MailError.store(
                .unwritable, "the archive exists already and is never overwritten: choose another name", path: finalPath)
        }
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW
        do {
            fd = Foundation.open(temporaryPath, flags, 0o600)
            guard fd >= 0 else { throw POSIX.error("create", path: temporaryPath, scope: .store) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw POSIX.error("stat", path: temporaryPath, scope: .store) }
            identity = "\(info.st_dev):\(info.st_ino)"
            manifestFD = Foundation.open(manifestPath, flags, 0o600)
            guard manifestFD >= 0 else { throw POSIX.error("create", path: manifestPath, scope: .store) }
            let readFD = Foundation.open(temporaryPath, O_RDONLY | O_CLOEXEC)
            guard readFD >= 0 else { throw POSIX.error("open", path: temporaryPath, scope: .store) }
            let growing = GrowingFile()
            self.growing = growing
            // Its own mail: the read-back checks every member, without the caps for foreign archives.
            verification = BackgroundVerification(path: temporaryPath, fd: readFD, growing: growing, limits: .readBack)
            writer = try ArchiveWriter(fd: fd, path: temporaryPath, format: format, threads: threads) { growing.grew(to: $0) }
            try writer!.add(name: ArchiveLayout.volumeIdentityMember, modified: Date(), bytes: Array("\(volumeID)\n".utf8))
        } catch {
            abandon()
            throw error
        }
    }

    /// Gives the verified temporary file its final name without ever replacing a file (a hard
    /// link fails if the name exists), then makes the directory entry durable.
    private func publish() throws {
        // The temporary name must still be the file this run wrote and verified.
        guard let identity, POSIX.status(temporaryPath)?.identity == identity else {
            throw MailError.store(
                .unwritable, "the archive's temporary file was replaced while it was written (another run?); it was not kept",
                path: temporaryPath)
        }
        if link(temporaryPath, finalPath) == 0 {
            unlink(temporaryPath)
        } else if errno == EEXIST {
            throw MailError.store(
                .unwritable, "the archive appeared while it was being written; the new one was not kept", path: finalPath)
        } else if errno == EPERM || errno == EOPNOTSUPP || errno == EXDEV, POSIX.kind(finalPath) == nil,
            rename(temporaryPath, finalPath) == 0
        {
            // File systems without hard links (the directory lock of `mailferry archive` keeps
            // other runs from creating the name meanwhile).
        } else {
            throw POSIX.error("rename the finished archive", path: finalPath, scope: .store)
        }
        try POSIX.syncDirectory(finalPath.deletingLastPathComponent, scope: .store)
    }
}

extension String {
    var deletingLastPathComponent: String {
        guard let slash = lastIndex(of: "/") else { return "." }
        return slash == startIndex ? "/" : String(self[..<slash])
    }

    var lastPathComponent: String {
        guard let slash = lastIndex(of: "/") else { return self }
        return String(self[index(after: slash)...])
    }
}
