#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// A Maildir folder's identity for resumed runs: a random id in a small file,
/// `mailferry-folder-id`, in the folder's directory, written the first time MailFerry opens the
/// folder for writing and read (one small file, no scan) on every later run.
///
/// A directory's inode cannot tell a folder from its replacement: ext4 hands a freed inode to
/// the next directory made, so a Maildir deleted and created again usually has the same
/// `device:inode`. The file goes with the folder: deleting or replacing the folder loses it, and
/// the next run sees a new identity (and matches its messages again) — while a Maildir moved or
/// restored from a backup keeps it. Mail programs ignore the file (Dovecot, Courier and mutt
/// read only `cur/`, `new/` and their own files; it is not a directory, so never a folder).
public enum MaildirFolderIdentity {
    public static let fileName = "mailferry-folder-id"
    /// How identities are spelled in a checkpoint, so they are never mistaken for an inode.
    public static let prefix = "id:"

    /// The folder's identity, or `nil` when it has none (MailFerry never wrote to it, or it was
    /// replaced since).
    public static func read(_ directory: String) -> String? {
        let path = "\(directory)/\(fileName)"
        guard let fd = try? POSIX.openRead(path, scope: .folder) else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = (try? buffer.withUnsafeMutableBytes { try POSIX.read(fd, into: $0, path: path, scope: .folder) }) ?? 0
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.utf8.count < 100, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return prefix + text
    }

    /// The folder's identity, written first when it has none: a new random id goes to `tmp/`,
    /// is fsynced, and is linked to its name (never replacing a readable one another process
    /// wrote first; an unreadable one is replaced), then the directory is fsynced.
    public static func establish(_ directory: String) throws -> String {
        do {
            return try create(directory)
        } catch var error as MailError where error.code == .noSpace || error.errno == EROFS {
            error.scope = .store  // a full disk or a read-only file system: the store cannot go on
            throw error
        }
    }

    private static func create(_ directory: String) throws -> String {
        if let known = read(directory) { return known }
        let id = UUID().uuidString.lowercased()
        let temporary = "\(directory)/tmp/\(fileName).\(getpid()).\(id)"
        let target = "\(directory)/\(fileName)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw POSIX.error("create", path: temporary, scope: .folder) }
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            try Array("\(id)\n".utf8).withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temporary, scope: .folder) }
            try POSIX.fsync(fd, path: temporary, scope: .folder)
        }
        if link(temporary, target) != 0 {
            // Another run (or another job writing here) named the folder first: its id counts.
            if errno == EEXIST, let theirs = read(directory) { return theirs }
            // An unreadable id, or a file system without hard links: this one takes the name.
            guard rename(temporary, target) == 0 else {
                throw POSIX.error("create the folder identity", path: target, scope: .folder)
            }
        }
        try POSIX.syncDirectory(directory, scope: .folder)
        return prefix + id
    }
}
