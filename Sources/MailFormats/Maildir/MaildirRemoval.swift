#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// Deletes message files of one Maildir folder by key — the file name's base, which a mail
/// client's flag change (a rename within `cur/`, or `new/` → `cur/`) does not alter — for a
/// source that removes what was copied.
///
/// A file is unlinked only when its base is asked for, exactly one file has that base, its
/// modification time (the arrival date, as ``MaildirFolderReader`` reads it) is before the
/// cutoff, its content still has the recorded fingerprint, and the name still leads to the file
/// that was checked (same device and inode). Everything else stays. The directories are fsynced
/// afterwards so that the deletions are durable.
public enum MaildirRemoval {
    /// What ``remove(keys:fingerprints:olderThan:in:)`` did.
    public struct Outcome: Sendable {
        /// Files unlinked.
        public var removed = 0
        /// Files left because they are not older than the cutoff.
        public var kept = 0
        /// Keys whose file no longer has the recorded fingerprint (left in place).
        public var changed: [String] = []
        /// Keys that more than one file carries (left in place: which one was copied is unclear).
        public var ambiguous: [String] = []
        /// The error that stopped the removal part way, if any; what was counted before it happened.
        public var failure: MailError?
    }

    /// How often a file renamed under our feet (a flag change) is looked up again.
    static let maximumAttempts = 3

    /// Deletes the files of `directory` (a Maildir folder: `cur/` and `new/`) whose bases are in
    /// `keys`. Throws only when the folder cannot be listed at all (nothing was deleted then);
    /// later problems stop the work and come back in ``Outcome/failure``.
    public static func remove(
        keys: Set<String>, fingerprints: [String: Fingerprint], olderThan cutoff: Date?, in directory: String
    ) throws -> Outcome {
        var outcome = Outcome()
        guard !keys.isEmpty else { return outcome }
        var byBase: [String: [(subdirectory: String, name: String)]] = [:]
        for file in try MaildirTree.messageFiles(in: directory) {
            let base = MaildirFileName(parsing: file.name).base
            if keys.contains(base) { byBase[base, default: []].append(file) }
        }
        var touched: Set<String> = []
        for key in byBase.keys.sorted() {
            var files = byBase[key]!
            var attempts = 0
            while true {
                guard files.count == 1 else {
                    if files.count > 1 { outcome.ambiguous.append(key) }
                    break  // none: deleted by someone else meanwhile, not counted
                }
                let subdirectory = "\(directory)/\(files[0].subdirectory)"
                let result: Step
                do {
                    result = try removeOne(
                        path: "\(subdirectory)/\(files[0].name)", expected: fingerprints[key], cutoff: cutoff)
                } catch var error as MailError {
                    error.messageKey = key
                    outcome.failure = error
                    break
                } catch {
                    outcome.failure = MailError(
                        .internalError, scope: .folder, retry: .never, "\(error)", messageKey: key)
                    break
                }
                switch result {
                case .removed:
                    outcome.removed += 1
                    touched.insert(subdirectory)
                case .tooNew: outcome.kept += 1
                case .changed: outcome.changed.append(key)
                case .vanished:
                    // Renamed since it was listed (a flag change): look for its new name.
                    attempts += 1
                    if attempts < maximumAttempts, let found = try? locate(base: key, in: directory) {
                        files = found
                        continue
                    }
                }
                break
            }
            if outcome.failure != nil { break }
        }
        for subdirectory in touched.sorted() {
            do {
                try POSIX.syncDirectory(subdirectory, scope: .folder)
            } catch let error as MailError {
                if outcome.failure == nil { outcome.failure = error }
            } catch {}
        }
        return outcome
    }

    enum Step { case removed, tooNew, changed, vanished }

    /// Checks one file and unlinks it when every condition holds.
    private static func removeOne(path: String, expected: Fingerprint?, cutoff: Date?) throws -> Step {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return .vanished }
            throw POSIX.error("open", path: path, scope: .folder)
        }
        defer { sysClose(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIX.error("stat", path: path, scope: .folder) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MailError(.unreadable, scope: .folder, retry: .never, "not a regular file", path: path)
        }
        if let cutoff {
            #if canImport(Darwin)
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtimespec.tv_sec))
            #else
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            #endif
            guard modified < cutoff else { return .tooNew }
        }
        if let expected, try fingerprint(of: fd, path: path) != expected { return .changed }
        // The name must still lead to the file just checked.
        var current = stat()
        guard lstat(path, &current) == 0 else {
            if errno == ENOENT { return .vanished }
            throw POSIX.error("stat", path: path, scope: .folder)
        }
        guard current.st_dev == info.st_dev, current.st_ino == info.st_ino else { return .vanished }
        guard unlink(path) == 0 else {
            if errno == ENOENT { return .vanished }
            throw POSIX.error("delete", path: path, scope: .folder)
        }
        return .removed
    }

    /// The fingerprint of an open file's whole content, read in 1 MiB chunks.
    private static func fingerprint(of fd: Int32, path: String) throws -> Fingerprint {
        var builder = FingerprintBuilder()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if got < 0 {
                if errno == EINTR { continue }
                throw POSIX.error("read", path: path, scope: .folder)
            }
            if got == 0 { break }
            buffer.withUnsafeBytes { builder.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            offset += off_t(got)
        }
        return builder.finish()
    }

    /// The files of `directory` whose base is `base` (listed again after a rename).
    private static func locate(base: String, in directory: String) throws -> [(subdirectory: String, name: String)] {
        try MaildirTree.messageFiles(in: directory).filter { MaildirFileName(parsing: $0.name).base == base }
    }
}
