#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// A `name.lock` file created exclusively, the lock mail programs have shared for decades
/// (mutt, procmail, Dovecot). It holds the owner's pid and host; a lock whose owner is a dead
/// process on this host is taken over, any other lock is waited for up to a timeout.
public final class DotLock {
    public let path: String
    private var held = true

    public init(path: String, scope: MailError.Scope, timeout: Double = 30) throws {
        self.path = path
        let content = "\(getpid()) \(POSIX.hostName())\n"
        var waited = 0.0
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 {
                _ = Array(content.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                sysClose(fd)
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
            unlink(path)
            held = false
        }
    }

    deinit { release() }

    /// Whether the lock file names a process on this host that no longer exists.
    private static func ownerIsDead(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { sysClose(fd) }
        var buffer = [UInt8](repeating: 0, count: 300)
        let got = buffer.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress, $0.count) }
        guard got > 0 else { return false }
        let fields = String(decoding: buffer[0..<got], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 2, let pid = Int32(fields[0]), pid > 0, String(fields[1]) == POSIX.hostName() else {
            return false
        }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
