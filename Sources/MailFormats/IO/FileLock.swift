#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// An advisory `fcntl` lock on a whole file, the lock mutt, Dovecot and procmail take on mbox
/// files. Waits up to `timeout` seconds, then fails with a `locked` error naming the file.
public enum FileLock {
    public enum Kind { case shared, exclusive }

    public static func acquire(fd: Int32, kind: Kind, path: String, scope: MailError.Scope, timeout: Double = 30) throws {
        var waited = 0.0
        while true {
            var lock = flock()
            lock.l_type = Int16(kind == .shared ? F_RDLCK : F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = 0
            lock.l_len = 0
            if fcntl(fd, F_SETLK, &lock) == 0 { return }
            let code = errno
            guard code == EACCES || code == EAGAIN || code == EINTR else {
                // File systems without locking (some network mounts): carry on unlocked.
                if code == ENOLCK || code == EOPNOTSUPP || code == EINVAL { return }
                throw POSIX.error("lock", path: path, scope: scope, code: code)
            }
            guard waited < timeout else {
                throw MailError(
                    .locked, scope: scope, retry: .later,
                    "another program holds a lock on this mailbox (waited \(Int(timeout)) s)", path: path)
            }
            usleep(100_000)
            waited += 0.1
        }
    }

    public static func release(fd: Int32) {
        var lock = flock()
        lock.l_type = Int16(F_UNLCK)
        lock.l_whence = Int16(SEEK_SET)
        _ = fcntl(fd, F_SETLK, &lock)
    }
}
