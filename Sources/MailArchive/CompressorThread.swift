import CArchive
import Foundation
import MailCore

/// Compresses a tar stream on a thread of its own: the tar writer hands it 1 MiB blocks
/// (at most ``depth`` wait, so memory stays bounded and a slow disk slows the writer), and a
/// libarchive writer in `raw` format with the volume's filter (zstd, gzip, xz, bzip2)
/// compresses them into the file. Packing, hashing and compressing then use two cores, as
/// `tar | zstd` does, without a second process.
final class CompressorThread: @unchecked Sendable {
    /// Blocks that may wait for the compressor.
    static let depth = 4

    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    /// Blocks the compressor is done with, reused by ``submit(_:_:)``: no allocation (and no
    /// fresh pages to fault in) per megabyte.
    private var spare: [[UInt8]] = []
    private var ended = false
    private var cancelled = false
    /// The stream was closed properly (its end written); otherwise freeing must not flush.
    private var closed = false
    private var failed: MailError?
    private let done = DispatchSemaphore(value: 0)
    private let handle: OpaquePointer
    private let output: ArchiveWriter.Output
    private let path: String

    init(file: FileOutput, path: String, format: ArchiveFormat, level: Int?, threads: Int) throws {
        output = ArchiveWriter.Output(file.write)
        self.path = path
        guard let handle = archive_write_new() else {
            throw MailError.store(.internalError, "libarchive could not start a compressor", path: path)
        }
        self.handle = handle
        do {
            try ArchiveWriter.check(archive_write_set_format_raw(handle), handle, "start the compressor", path: path)
            switch format {
            case .tarZstd:
                try ArchiveWriter.check(archive_write_add_filter_zstd(handle), handle, "use zstd", path: path)
                _ = archive_write_set_filter_option(handle, "zstd", "compression-level", String(level ?? 3))
                if threads > 1 { _ = archive_write_set_filter_option(handle, "zstd", "threads", String(threads)) }
            case .tarGzip:
                try ArchiveWriter.check(archive_write_add_filter_gzip(handle), handle, "use gzip", path: path)
                if let level { _ = archive_write_set_filter_option(handle, "gzip", "compression-level", String(level)) }
            case .tarXz:
                try ArchiveWriter.check(archive_write_add_filter_xz(handle), handle, "use xz", path: path)
                if let level { _ = archive_write_set_filter_option(handle, "xz", "compression-level", String(level)) }
                if threads > 1 { _ = archive_write_set_filter_option(handle, "xz", "threads", String(threads)) }
            case .tarBzip2:
                try ArchiveWriter.check(archive_write_add_filter_bzip2(handle), handle, "use bzip2", path: path)
            case .tar, .zip:
                break
            }
            _ = archive_write_set_bytes_per_block(handle, 1 << 20)
            _ = archive_write_set_bytes_in_last_block(handle, 1)
            try ArchiveWriter.check(
                archive_write_open2(
                    handle, Unmanaged.passUnretained(output).toOpaque(), nil, ArchiveWriter.Output.callback, nil, nil),
                handle, "start the compressor", path: path)
            // The raw format takes one entry: the whole tar stream.
            let entry = archive_entry_new()
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, "stream")
            archive_entry_set_filetype(entry, mailferry_AE_IFREG)
            try ArchiveWriter.check(archive_write_header(handle, entry), handle, "start the compressor", path: path)
        } catch {
            archive_write_free(handle)
            throw error
        }
        let thread = Thread { [self] in run() }
        thread.name = "mailferry-compress"
        thread.start()
    }

    deinit {
        if !closed { archive_write_fail(handle) }
        archive_write_free(handle)
    }

    /// The first failure of the compressor, if any.
    var error: MailError? {
        condition.lock()
        defer { condition.unlock() }
        return failed
    }

    /// Queues a copy of `bytes`, waiting while ``depth`` blocks wait; -1 once the compressor failed.
    func submit(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        condition.lock()
        var block = spare.popLast() ?? []
        condition.unlock()
        block.removeAll(keepingCapacity: true)
        block.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.depth && failed == nil && !cancelled { condition.wait() }
        guard failed == nil && !cancelled else {
            errno = EIO
            return -1
        }
        queue.append(block)
        condition.broadcast()
        return count
    }

    /// Ends the stream, waits for the last block to be compressed and written; throws the
    /// compressor's failure.
    func finish() throws {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
        done.wait()
        done.signal()
        if let error { throw error }
    }

    /// Stops without finishing the stream (an abandoned volume) and waits until the thread no
    /// longer touches the file, which the caller is about to close.
    func cancel() {
        condition.lock()
        cancelled = true
        ended = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
        done.wait()
        done.signal()
    }

    private func run() {
        defer { done.signal() }
        while true {
            condition.lock()
            while queue.isEmpty && !ended { condition.wait() }
            if cancelled {
                condition.unlock()
                return
            }
            if queue.isEmpty {
                condition.unlock()
                break
            }
            let block = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            let ok = block.withUnsafeBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let written = archive_write_data(handle, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 else { return false }
                    offset += written
                }
                return true
            }
            if !ok {
                fail("cannot compress the archive")
                return
            }
            condition.lock()
            if spare.count < 2 { spare.append(block) }
            condition.unlock()
        }
        if archive_write_close(handle) < ARCHIVE_WARN {
            fail("cannot finish compressing the archive")
        } else {
            closed = true
        }
    }

    private func fail(_ what: String) {
        let text = archive_error_string(handle).map { String(cString: $0) } ?? "unknown error"
        let code = errno
        condition.lock()
        failed = ArchiveWriter.error(what, text: text, code: code == 0 ? EIO : code, path: path)
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
