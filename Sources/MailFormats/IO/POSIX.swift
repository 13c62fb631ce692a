#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// Thin, throwing wrappers over the POSIX calls the formats need; every error names the path.
package enum POSIX {
    package static func error(_ what: String, path: String, scope: MailError.Scope, code: Int32 = errno) -> MailError {
        let mailCode: MailError.Code
        var retry: MailError.Retry = .never
        switch code {
        case ENOSPC, EDQUOT:
            mailCode = .noSpace
            retry = .later
        case ENOENT: mailCode = .notFound
        case EACCES, EPERM, EROFS: mailCode = what.hasPrefix("read") || what.hasPrefix("open") ? .unreadable : .unwritable
        default: mailCode = what.hasPrefix("read") ? .unreadable : .unwritable
        }
        return MailError(
            mailCode, scope: scope, retry: retry, "cannot \(what): \(SystemError.text(code))", path: path, errno: code)
    }

    package static func openRead(_ path: String, scope: MailError.Scope) throws -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno != EINTR { throw error("open", path: path, scope: scope) }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String, scope: MailError.Scope)
        throws -> Int
    {
        while true {
            let got = sysRead(fd, buffer.baseAddress, buffer.count)
            if got >= 0 { return got }
            if errno != EINTR { throw error("read", path: path, scope: scope) }
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, scope: MailError.Scope) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = sysWrite(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw error("write", path: path, scope: scope)
            }
            offset += written
        }
    }

    package static func fsync(_ fd: Int32, path: String, scope: MailError.Scope) throws {
        while sysFsync(fd) != 0 {
            if errno != EINTR { throw error("sync", path: path, scope: scope) }
        }
    }

    /// fsyncs a directory so that renames and creations in it are durable.
    package static func syncDirectory(_ path: String, scope: MailError.Scope) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error("open directory", path: path, scope: scope) }
        defer { close(fd) }
        try fsync(fd, path: path, scope: scope)
    }

    package enum FileKind { case file, directory, symlink, other }

    /// The kind of `path` without following a final symlink; `nil` when it does not exist.
    package static func kind(_ path: String) -> FileKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// Whether `path` is a directory, following symlinks.
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// What a checkpoint compares to tell a file or directory apart from its replacement, and
    /// a changed one from an unchanged one.
    package struct FileStatus {
        /// `device:inode`: changes when the file is deleted and created again.
        package var identity: String
        package var size: Int64
        /// Modification time in nanoseconds.
        package var modified: Int64
    }

    package static func status(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileStatus(identity: "\(info.st_dev):\(info.st_ino)", size: Int64(info.st_size), modified: modified)
    }

    package static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Names in a directory, without `.` and `..`, unsorted.
    package static func listDirectory(_ path: String, scope: MailError.Scope) throws -> [String] {
        guard let dir = opendir(path) else { throw error("list directory", path: path, scope: scope) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates a directory (mode 0700) unless it exists; refuses to work through a symlink.
    package static func makeDirectory(_ path: String, scope: MailError.Scope) throws {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        if code == EEXIST {
            switch kind(path) {
            case .directory: return
            case .symlink:
                throw MailError(
                    .unsafePath, scope: scope, retry: .never, "refusing to write through a symbolic link", path: path)
            default:
                throw MailError(
                    .unwritable, scope: scope, retry: .never, "exists and is not a directory", path: path)
            }
        }
        throw error("create directory", path: path, scope: scope, code: code)
    }

    package static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

// Unqualified read/write/fsync/close inside types that declare such methods would resolve to those.
@inline(__always) func sysRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
@inline(__always) func sysWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
@inline(__always) func sysFsync(_ fd: Int32) -> Int32 { fsync(fd) }
@inline(__always) func sysClose(_ fd: Int32) { _ = close(fd) }
