#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore
import Synchronization

/// The `<checkpoint>.job` file beside a checkpoint database.
///
/// It holds the job's identity once the job has run (so a database that went missing is noticed)
/// and the process id of the run that holds it: a second process on the same job finds it locked
/// (`flock`, released by the kernel when the holder dies, even by `kill -9`) and is refused.
final class JobFile: Sendable {
    let path: String
    /// The open, locked file; -1 once released.
    private let descriptor: Mutex<Int32>

    /// What the file says about the job.
    struct Contents: Codable {
        var identity: JobIdentity
        var created: Date
        var pid: Int32?
    }

    /// Opens (creating) and locks the job file; throws a store-scoped `locked` error naming the
    /// holder when another process has it.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw MailError(
                .checkpoint, scope: .store, retry: .never,
                "cannot open the checkpoint's job file: \(SystemError.text(errno))", path: path, errno: errno)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            let holder = (try? Self.read(fd: fd))?.pid.map { " (pid \($0))" } ?? ""
            close(fd)
            if code == EWOULDBLOCK {
                throw MailError(
                    .locked, scope: .store, retry: .later,
                    "another mailferry process\(holder) is running this job; wait for it to finish or stop it", path: path)
            }
            throw MailError(
                .checkpoint, scope: .store, retry: .never,
                "cannot lock the checkpoint's job file: \(SystemError.text(code))", path: path, errno: code)
        }
        descriptor = Mutex(fd)
    }

    deinit { release() }

    /// The recorded contents, or `nil` for a new (empty) job file.
    func contents() throws -> Contents? { try Self.read(fd: descriptor.withLock { $0 }) }

    /// Records the job and this process as its current holder (durably).
    func write(_ contents: Contents) throws {
        var contents = contents
        contents.pid = getpid()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .utcISO8601
        let data = Array(try encoder.encode(contents)) + [0x0a]
        let fd = descriptor.withLock { $0 }
        guard fd >= 0, ftruncate(fd, 0) == 0,
            data.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == data.count, fsync(fd) == 0
        else {
            throw MailError(
                .checkpoint, scope: .store, retry: .later,
                "cannot write the checkpoint's job file: \(SystemError.text(errno))", path: path, errno: errno)
        }
    }

    func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    private static func read(fd: Int32) throws -> Contents? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var offset: off_t = 0
        while bytes.count < 1 << 20 {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if got <= 0 { break }
            bytes += buffer[0..<got]
            offset += off_t(got)
        }
        guard bytes.contains(where: { $0 > 0x20 }) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .utcISO8601
        return try decoder.decode(Contents.self, from: Data(bytes))
    }
}
