#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import CProcessTuning
import Foundation
import MailCore

/// A `name.lock` file created exclusively, the lock mail programs have shared for decades
/// (mutt, procmail, Dovecot). It holds the owner's pid and host; a lock whose owner is a dead
/// process on this host is taken over, and so is an empty or unreadable one older than
/// ``staleAfter`` (its owner died between creating and writing it); any other lock is waited for
/// up to a timeout. A held lock is removed when SIGINT, SIGTERM or SIGHUP end the process
/// (`mailferry_lock_cleanup_add`); after SIGKILL the next run takes it over.
public final class DotLock {
    public let path: String
    /// Set once the lock file is ours: an init that gives up (another program's lock) must not
    /// remove that program's file when this object is deinitialised.
    private var held = false
    private var cleanupSlot: Int32 = -1
    /// Age after which a lock file that names no owner is taken for a dead writer's.
    public static let staleAfter: Double = 10

    public init(path: String, scope: MailError.Scope, timeout: Double = 30) throws {
        self.path = path
        let content = "\(getpid()) \(POSIX.hostName())\n"
        var waited = 0.0
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 {
                _ = Array(content.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                sysClose(fd)
                held = true
                cleanupSlot = mailferry_lock_cleanup_add(path)
                return
            }
            let code = errno
            guard code == EEXIST else {
                throw POSIX.error("create lock file", path: path, scope: scope, code: code)
            }
            if Self.ownerIsDead(path) {
                unlink(path)
                continue
            }
            guard waited < timeout else {
                throw MailError(
                    .locked, scope: scope, retry: .later,
                    "locked by another program (lock file \(path) exists; remove it if no mail program is running)",
                    path: path)
            }
            usleep(100_000)
            waited += 0.1
        }
    }

    public func release() {
        if held {
            mailferry_lock_cleanup_remove(cleanupSlot)
            unlink(path)
            held = false
        }
    }

    deinit { release() }

    /// Whether the lock file names a process on this host that no longer exists, or names no
    /// process at all and is older than ``staleAfter``.
    static func ownerIsDead(_ path: String, now: Date = Date()) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { sysClose(fd) }
        var buffer = [UInt8](repeating: 0, count: 300)
        let got = buffer.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress, $0.count) }
        let fields = got > 0
            ? String(decoding: buffer[0..<got], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }) : []
        guard let first = fields.first, let pid = Int32(first), pid > 0 else {
            // Empty or not a pid: the writer died between creating and filling it.
            var info = stat()
            guard fstat(fd, &info) == 0 else { return false }
            #if canImport(Darwin)
            let modified = Double(info.st_mtimespec.tv_sec)
            #else
            let modified = Double(info.st_mtim.tv_sec)
            #endif
            return now.timeIntervalSince1970 - modified > staleAfter
        }
        if fields.count >= 2, String(fields[1]) != POSIX.hostName() { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
