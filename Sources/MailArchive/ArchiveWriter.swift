import CArchive
import CProcessTuning
import Foundation
import MailCore
import MailFormats

/// Writes an archive as a stream into an open file: each member is a header and its bytes, sent
/// through libarchive's compressor as they come, so memory stays bounded whatever the members'
/// sizes. The caller owns the file (temporary name, fsync, rename: see ``ArchiveVolumeWriter``).
public final class ArchiveWriter {
    private var handle: OpaquePointer?
    private let path: String
    public let format: ArchiveFormat
    private var entry: OpaquePointer?
    private let output: Output

    private var compressor: CompressorThread?
    private var finished = false

    /// Starts an archive on `fd` (which stays open: the caller closes it after ``finish()``).
    /// A tar's compression runs on a thread of its own (``CompressorThread``), so that packing
    /// and hashing on this thread and compressing overlap, as `tar | zstd` does; `threads` lets
    /// zstd and xz use more. `onWrite` hears how many bytes the file holds after each block.
    public init(
        fd: Int32, path: String, format: ArchiveFormat, level: Int? = nil, threads: Int = 1,
        onWrite: ((Int64) -> Void)? = nil
    ) throws {
        self.path = path
        self.format = format
        let file = FileOutput(fd: fd, onWrite: onWrite)
        guard let handle = archive_write_new() else {
            throw MailError.store(.internalError, "libarchive could not start a writer", path: path)
        }
        self.handle = handle
        if format == .zip {
            try Self.check(archive_write_set_format_zip(handle), handle, "choose zip", path: path)
            output = Output(file.write)
        } else {
            try Self.check(archive_write_set_format_pax_restricted(handle), handle, "choose tar", path: path)
            if format == .tar {
                output = Output(file.write)
            } else {
                let compressor = try CompressorThread(
                    file: file, path: path, format: format, level: level, threads: threads)
                self.compressor = compressor
                output = Output(compressor.submit)
            }
        }
        // Large blocks: few write calls (and few wake-ups of the read-back); no padding of the
        // last block, so the file ends where the archive does.
        _ = archive_write_set_bytes_per_block(handle, 1 << 20)
        _ = archive_write_set_bytes_in_last_block(handle, 1)
        try Self.check(
            archive_write_open2(handle, Unmanaged.passUnretained(output).toOpaque(), nil, Output.callback, nil, nil),
            handle, "start the archive", path: path)
        entry = archive_entry_new()
    }

    deinit {
        if let entry { archive_entry_free(entry) }
        // Unfinished (an abandoned volume): stop the compressor and mark the handle failed, so
        // that freeing it flushes nothing — no byte may reach a file its owner has closed.
        compressor?.cancel()
        if let handle {
            if !finished { archive_write_fail(handle) }
            archive_write_free(handle)
        }
    }

    /// Adds a regular file whose bytes are `data`; returns their SHA-256.
    ///
    /// A message kept in a file is opened before its header is written: if it cannot be (a mail
    /// client renamed or removed it), the error has scope `.message` and the archive is
    /// unharmed. An error once the header is out has scope `.store`: the member is incomplete
    /// and the archive cannot be finished.
    @discardableResult
    public func add(name: String, modified: Date?, data: MessageData) throws -> [UInt8] {
        var source: Int32 = -1
        var offset: Int64 = 0
        if case .file(let segment) = data.storage {
            source = Foundation.open(segment.path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard source >= 0, fstat(source, &info) == 0, Int64(info.st_size) >= segment.offset + Int64(segment.length)
            else {
                let code = errno
                if source >= 0 { Foundation.close(source) }
                throw MailError(
                    .unreadable, scope: .message, retry: .later,
                    "the message file changed or disappeared before it was archived", path: segment.path, errno: code)
            }
            offset = segment.offset
        }
        defer { if source >= 0 { Foundation.close(source) } }
        try begin(name: name, size: data.count, modified: modified)
        var hasher = SHA256()
        var written = 0
        do {
            if source >= 0 {
                var buffer = [UInt8](repeating: 0, count: min(MessageData.chunkSize, max(data.count, 1)))
                while written < data.count {
                    let want = min(buffer.count, data.count - written)
                    let got = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, want, off_t(offset) + off_t(written)) }
                    if got < 0 && errno == EINTR { continue }
                    guard got > 0 else { break }
                    try buffer.withUnsafeBytes { chunk in
                        let piece = UnsafeRawBufferPointer(rebasing: chunk[0..<got])
                        hasher.update(piece)
                        try write(piece, name: name)
                    }
                    written += got
                }
            } else {
                try data.forEachChunk { chunk in
                    hasher.update(chunk)
                    try write(chunk, name: name)
                    written += chunk.count
                }
            }
        } catch let error as MailError {
            throw error.withScope(.store)
        }
        guard written == data.count else {
            throw MailError.store(
                .truncatedMessage, "member \(name): its file ended after \(written) of \(data.count) bytes; the archive cannot be finished",
                path: path)
        }
        try end(name: name)
        return hasher.finalize()
    }

    /// Adds a regular file holding `bytes`.
    public func add(name: String, modified: Date?, bytes: [UInt8]) throws {
        try begin(name: name, size: bytes.count, modified: modified)
        try bytes.withUnsafeBytes { try write($0, name: name) }
        try end(name: name)
    }

    /// Writes the archive's end (and flushes the compressor). The file is complete afterwards.
    public func finish() throws {
        guard let handle else { return }
        guard archive_write_close(handle) >= ARCHIVE_WARN else { throw failure("cannot finish the archive") }
        finished = true
        try compressor?.finish()
        compressor = nil
    }

    private func begin(name: String, size: Int, modified: Date?) throws {
        guard let handle, let entry else { throw MailError.store(.internalError, "archive writer used after close", path: path) }
        archive_entry_clear(entry)
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, la_int64_t(size))
        archive_entry_set_filetype(entry, mailferry_AE_IFREG)
        archive_entry_set_perm(entry, 0o600)
        let seconds = modified.map { time_t($0.timeIntervalSince1970.rounded(.down)) } ?? time_t(Date().timeIntervalSince1970)
        archive_entry_set_mtime(entry, seconds, 0)
        guard archive_write_header(handle, entry) >= ARCHIVE_WARN else { throw failure("cannot add member \(name)") }
    }

    private func write(_ chunk: UnsafeRawBufferPointer, name: String) throws {
        guard let handle, let base = chunk.baseAddress else { return }
        var offset = 0
        while offset < chunk.count {
            let written = archive_write_data(handle, base + offset, chunk.count - offset)
            guard written > 0 else { throw failure("cannot write member \(name)") }
            offset += written
        }
    }

    private func end(name: String) throws {
        guard let handle else { return }
        guard archive_write_finish_entry(handle) >= ARCHIVE_WARN else { throw failure("cannot finish member \(name)") }
    }

    private func failure(_ what: String) -> MailError {
        if let error = compressor?.error { return error }
        let code = output.error != 0 ? output.error : (handle.map { archive_errno($0) } ?? 0)
        let text = handle.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown error"
        return Self.error(what, text: text, code: code, path: path)
    }

    static func error(_ what: String, text: String, code: Int32, path: String) -> MailError {
        let mailCode: MailError.Code = code == ENOSPC || code == EDQUOT ? .noSpace : .unwritable
        return MailError(
            mailCode, scope: .store, retry: mailCode == .noSpace ? .later : .never, "\(what): \(text)", path: path,
            errno: code == 0 ? nil : code)
    }

    static func check(_ status: Int32, _ handle: OpaquePointer, _ what: String, path: String) throws {
        guard status < ARCHIVE_WARN else { return }
        let text = archive_error_string(handle).map { String(cString: $0) } ?? "unknown error"
        throw error("cannot \(what)", text: text, code: archive_errno(handle), path: path)
    }

    /// Where libarchive's blocks go (the file, or the compressor thread); remembers a failure.
    final class Output {
        let sink: (UnsafeRawPointer, Int) -> Int
        var error: Int32 = 0

        init(_ sink: @escaping (UnsafeRawPointer, Int) -> Int) { self.sink = sink }

        /// libarchive's write callback; the client data is an unretained `Output`.
        static let callback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> Int = {
            _, client, buffer, length in
            guard let client, let buffer else { return -1 }
            return Unmanaged<Output>.fromOpaque(client).takeUnretainedValue().write(buffer, length)
        }

        func write(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
            let written = sink(bytes, count)
            if written < 0 && error == 0 { error = errno == 0 ? EIO : errno }
            return written
        }
    }
}

/// Writes blocks to the archive file and tells whoever watches it grow. Every
/// ``writebackInterval`` bytes it asks the kernel to start writing them to disk, so that the
/// volume's fsync at the end waits for the last few megabytes, not the whole archive.
final class FileOutput: @unchecked Sendable {
    let fd: Int32
    let onWrite: ((Int64) -> Void)?
    private(set) var written: Int64 = 0
    private var writebackStart: Int64 = 0
    static let writebackInterval: Int64 = 4 << 20

    init(fd: Int32, onWrite: ((Int64) -> Void)?) {
        self.fd = fd
        self.onWrite = onWrite
    }

    /// Writes all of `bytes`; returns `count`, or -1 with `errno` set (libarchive's convention).
    func write(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        do {
            try POSIX.writeAll(fd, UnsafeRawBufferPointer(start: bytes, count: count), path: "", scope: .store)
        } catch {
            errno = (error as? MailError)?.errno ?? EIO
            return -1
        }
        written += Int64(count)
        if written - writebackStart >= Self.writebackInterval {
            // Only a hint: a failure here shows up, if it matters, in the fsync.
            _ = mailferry_start_writeback(fd, writebackStart, written - writebackStart)
            writebackStart = written
        }
        onWrite?(written)
        return count
    }
}
