#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// A stream of bytes read in chunks: a plain file or a decompressing reader over one.
public protocol ByteInput: AnyObject {
    /// Fills the start of `buffer`; returns the count, 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The path being read, for error messages.
    var path: String { get }
    /// Bytes consumed from the underlying file so far (compressed bytes for a gzip stream).
    var fileOffset: Int { get }
    func close()
}

/// Reads a file with `read(2)`.
public final class FileInput: ByteInput {
    public let path: String
    public private(set) var fileOffset = 0
    private var fd: Int32

    public init(path: String) throws {
        self.path = path
        self.fd = try POSIX.openRead(path, scope: .folder)
    }

    /// Wraps a descriptor the caller opened; it is closed by ``close()``.
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard fd >= 0 else { return 0 }
        let got = try POSIX.read(fd, into: buffer, path: path, scope: .folder)
        fileOffset += got
        return got
    }

    public func close() {
        if fd >= 0 {
            sysClose(fd)
            fd = -1
        }
    }

    deinit { close() }
}

/// Opens `path` for reading, decompressing it when it is gzip data (by content, not by name).
public func openByteInput(path: String) throws -> any ByteInput {
    let file = try FileInput(path: path)
    var magic: [UInt8] = [0, 0]
    let fd = try POSIX.openRead(path, scope: .folder)
    let got = magic.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress, 2) }
    sysClose(fd)
    if got == 2 && magic == [0x1f, 0x8b] {
        return try GzipInput(wrapping: file)
    }
    return file
}
