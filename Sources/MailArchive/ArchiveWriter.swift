import CArchive
import Foundation
import MailCore

/// Writes an archive as a stream into an open file: each member is a header and its bytes, sent
/// through libarchive's compressor as they come, so memory stays bounded whatever the members'
/// sizes. The caller owns the file (temporary name, fsync, rename: see ``ArchiveVolumeWriter``).
public final class ArchiveWriter {
    private var handle: OpaquePointer?
    private let path: String
    public let format: ArchiveFormat
    private var entry: OpaquePointer?

    /// Starts an archive on `fd` (which stays open: the caller closes it after ``finish()``).
    /// `threads` lets zstd and xz compress on several cores.
    public init(fd: Int32, path: String, format: ArchiveFormat, level: Int? = nil, threads: Int = 1) throws {
        self.path = path
        self.format = format
        guard let handle = archive_write_new() else {
            throw MailError.store(.internalError, "libarchive could not start a writer", path: path)
        }
        self.handle = handle
        func check(_ status: Int32, _ what: String) throws {
            guard status >= ARCHIVE_WARN else { throw failure("cannot \(what)") }
        }
        switch format {
        case .zip:
            try check(archive_write_set_format_zip(handle), "choose zip")
        default:
            try check(archive_write_set_format_pax_restricted(handle), "choose tar")
        }
        switch format {
        case .tarZstd:
            try check(archive_write_add_filter_zstd(handle), "use zstd (is libarchive built with zstd?)")
            _ = archive_write_set_filter_option(handle, "zstd", "compression-level", String(level ?? 3))
            if threads > 1 { _ = archive_write_set_filter_option(handle, "zstd", "threads", String(threads)) }
        case .tarGzip:
            try check(archive_write_add_filter_gzip(handle), "use gzip")
            if let level { _ = archive_write_set_filter_option(handle, "gzip", "compression-level", String(level)) }
        case .tarXz:
            try check(archive_write_add_filter_xz(handle), "use xz")
            if let level { _ = archive_write_set_filter_option(handle, "xz", "compression-level", String(level)) }
            if threads > 1 { _ = archive_write_set_filter_option(handle, "xz", "threads", String(threads)) }
        case .tarBzip2:
            try check(archive_write_add_filter_bzip2(handle), "use bzip2")
        case .tar, .zip:
            break
        }
        // No padding of the last block: the file ends where the archive does.
        _ = archive_write_set_bytes_in_last_block(handle, 1)
        try check(archive_write_open_fd(handle, fd), "start the archive")
        entry = archive_entry_new()
    }

    deinit {
        if let entry { archive_entry_free(entry) }
        if let handle { archive_write_free(handle) }
    }

    /// Adds a regular file whose bytes are `data`; returns their SHA-256.
    @discardableResult
    public func add(name: String, modified: Date?, data: MessageData) throws -> [UInt8] {
        try begin(name: name, size: data.count, modified: modified)
        var hasher = SHA256()
        var written = 0
        try data.forEachChunk { chunk in
            hasher.update(chunk)
            try write(chunk, name: name)
            written += chunk.count
        }
        guard written == data.count else {
            throw MailError.store(.internalError, "member \(name): \(written) bytes written, \(data.count) announced", path: path)
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
        let code = handle.map { archive_errno($0) } ?? 0
        let text = handle.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown error"
        let mailCode: MailError.Code = code == ENOSPC || code == EDQUOT ? .noSpace : .unwritable
        return MailError(
            mailCode, scope: .store, retry: mailCode == .noSpace ? .later : .never, "\(what): \(text)", path: path,
            errno: code == 0 ? nil : code)
    }
}
