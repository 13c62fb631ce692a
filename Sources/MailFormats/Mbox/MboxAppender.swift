#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// Appends messages to an mbox file (mboxrd), never touching the bytes already there.
///
/// - Locks: a `name.lock` dotlock and an `fcntl` write lock, held until ``close()``, so mutt,
///   procmail and Dovecot wait for MailFerry and MailFerry waits for them.
/// - Crash safety: before the first append of a batch, the file's size goes into a journal file
///   (`name.mailferry-journal`); ``commit()`` fsyncs the mbox and removes the journal. A crash
///   mid-batch leaves the journal naming the size the file can be truncated back to; the next
///   append refuses to run until that is resolved (or does it itself when nothing was written).
///   An error during a batch truncates the file back at once (``rollback()``).
/// - Format: each message gets a `From sender date` line from its internal date, fresh `Status`,
///   `X-Status` and `X-Keywords` headers, `>From ` quoting (mboxrd) and a blank line after it.
///   Line endings follow the file's own (LF for a new file).
/// - `.gz` files get one new gzip member per batch, which gzip readers see as one stream.
public final class MboxAppender {
    public let path: String
    public let compressed: Bool
    private var fd: Int32 = -1
    private var dotLock: DotLock?
    /// The file's size after the last commit: where the next batch starts.
    public private(set) var committedSize: Int64 = 0
    private var batchOpen = false
    private var newline: [UInt8] = [0x0a]
    private var separatorNeeded = 0
    private var gzip: GzipOutput?
    private var output: [UInt8] = []

    var journalPath: String { path + ".mailferry-journal" }

    /// Opens (creating if missing) `path` for appending. `compressed` writes gzip members.
    public init(path: String, compressed: Bool, lockTimeout: Double = 30) throws {
        self.path = path
        self.compressed = compressed
        do {
            dotLock = try DotLock(path: path + ".lock", scope: .folder, timeout: lockTimeout)
        } catch let error as MailError where error.errno == EACCES || error.errno == EROFS {
            dotLock = nil  // No write access to the directory for a dotlock: the fcntl lock still holds.
        }
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let error = POSIX.error("open for appending", path: path, scope: .folder)
            dotLock?.release()
            throw error
        }
        do {
            try FileLock.acquire(fd: fd, kind: .exclusive, path: path, scope: .folder, timeout: lockTimeout)
            committedSize = try currentSize()
            try checkJournal()
            try inspectTail()
        } catch {
            close()
            throw error
        }
        output.reserveCapacity(256 * 1024)
    }

    deinit { close() }

    /// Appends one message; returns the offset of its `From ` line (of the uncompressed stream
    /// for a plain file; the batch's start offset for a compressed one).
    @discardableResult
    public func append(
        _ data: MessageData, flags: FlagSet, internalDate: Date?, sender: String?, defaultDate: Date
    ) throws -> Int64 {
        if !batchOpen { try beginBatch() }
        for _ in 0..<separatorNeeded { output += newline }
        let offset = committedSize + Int64(pendingBytes + output.count)
        let fromLine = MboxFromLine(sender: sender ?? "", date: internalDate).formatted(defaultDate: defaultDate)
        output += Array(fromLine.utf8)
        output += newline
        var inHeaders = true
        var droppingField = false
        var lastByte: UInt8 = 0x0a
        var splitter = LineSplitter()
        let metadata = MboxMetadata.lines(for: flags, newline: newline)
        func handle(_ line: UnsafeRawBufferPointer, startsLine: Bool, complete: Bool) throws {
            guard line.count > 0 else { return }
            var content = line
            var terminated = false
            if complete, content.last == 0x0a {
                terminated = true
                content = UnsafeRawBufferPointer(rebasing: content.dropLast())
                if content.last == 0x0d { content = UnsafeRawBufferPointer(rebasing: content.dropLast()) }
            }
            if inHeaders && startsLine {
                if content.isEmpty {
                    inHeaders = false
                    output += metadata
                } else if content[0] == 0x20 || content[0] == 0x09 {
                    if droppingField { return }
                } else {
                    droppingField = Self.isBookkeepingField(content)
                    if droppingField { return }
                }
            } else if inHeaders && droppingField {
                return
            }
            if startsLine && Self.needsQuoting(content) { output.append(UInt8(ascii: ">")) }
            output.append(contentsOf: content)
            if terminated { output += newline }
            lastByte = terminated ? 0x0a : (content.last ?? lastByte)
            if output.count >= 256 * 1024 { try flush() }
        }
        try data.forEachChunk { chunk in try splitter.feed(chunk, handle) }
        try splitter.finish(handle)
        if lastByte != 0x0a { output += newline }
        if inHeaders { output += metadata }
        output += newline  // the blank line that separates this message from the next
        separatorNeeded = 0
        try flush()
        return offset
    }

    /// Makes the batch durable: finishes the gzip member, fsyncs the file, drops the journal.
    public func commit() throws {
        guard batchOpen else { return }
        try flush()
        try gzip?.finish()
        gzip = nil
        try POSIX.fsync(fd, path: path, scope: .folder)
        committedSize = try currentSize()
        unlink(journalPath)
        batchOpen = false
    }

    /// Cuts the file back to its size before the batch (after a failed append).
    public func rollback() {
        guard batchOpen, fd >= 0 else { return }
        output.removeAll(keepingCapacity: true)
        gzip = nil
        if ftruncate(fd, off_t(committedSize)) == 0 && sysFsync(fd) == 0 {
            unlink(journalPath)
        }
        batchOpen = false
    }

    /// Releases the locks; an uncommitted batch is rolled back.
    public func close() {
        if batchOpen { rollback() }
        if fd >= 0 {
            FileLock.release(fd: fd)
            sysClose(fd)
            fd = -1
        }
        dotLock?.release()
        dotLock = nil
    }

    // MARK: - Internals

    private var pendingBytes = 0

    private func beginBatch() throws {
        let text = "\(committedSize)\n"
        let journal = open(journalPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard journal >= 0 else { throw POSIX.error("create journal", path: journalPath, scope: .folder) }
        defer { sysClose(journal) }
        try Array(text.utf8).withUnsafeBytes { try POSIX.writeAll(journal, $0, path: journalPath, scope: .folder) }
        try POSIX.fsync(journal, path: journalPath, scope: .folder)
        if compressed { gzip = try GzipOutput(fd: fd, path: path) }
        pendingBytes = 0
        batchOpen = true
    }

    private func flush() throws {
        guard !output.isEmpty else { return }
        if let gzip {
            try output.withUnsafeBytes { try gzip.write($0) }
        } else {
            try output.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path, scope: .folder) }
        }
        pendingBytes += output.count
        output.removeAll(keepingCapacity: true)
    }

    private func currentSize() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIX.error("stat", path: path, scope: .folder) }
        return Int64(info.st_size)
    }

    /// A journal left by an interrupted run: harmless if the file has its recorded size,
    /// otherwise the user must decide (another program may have appended since).
    private func checkJournal() throws {
        guard POSIX.kind(journalPath) == .file else { return }
        let journal = try POSIX.openRead(journalPath, scope: .folder)
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = buffer.withUnsafeMutableBytes { sysRead(journal, $0.baseAddress, $0.count) }
        sysClose(journal)
        let recorded = Int64(String(decoding: buffer[0..<max(got, 0)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        if let recorded, recorded == committedSize {
            unlink(journalPath)
            return
        }
        let size = recorded.map(String.init) ?? "unknown"
        throw MailError(
            .interruptedWrite, scope: .folder, retry: .never,
            "an earlier append to this mbox was interrupted: the file was \(size) bytes before it and is \(committedSize) now. "
                + "If no other program has written to it since, run `truncate -s \(size) '\(path)'`; then delete '\(journalPath)'",
            path: path)
    }

    /// Learns the file's line-ending style and how many newlines must precede the next `From `.
    private func inspectTail() throws {
        guard committedSize > 0 else { return }
        var head: [UInt8] = []
        var tail: [UInt8] = []
        if compressed {
            let input = try GzipInput(wrapping: FileInput(fd: dup(fd), path: path))
            defer { input.close() }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let got = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
                if got == 0 { break }
                if head.count < 4096 { head += chunk[0..<min(got, 4096 - head.count)] }
                tail = Array((tail + chunk[0..<got]).suffix(4))
            }
        } else {
            head = try readAt(offset: 0, count: Int(min(committedSize, 4096)))
            tail = try readAt(offset: max(0, committedSize - 4), count: Int(min(committedSize, 4)))
        }
        if head.withUnsafeBytes({ LineEndings.detect($0) }) == .crlf { newline = [0x0d, 0x0a] }
        let ending = tail.last == 0x0a
        let lf = tail.suffix(2) == [0x0a, 0x0a]
        let crlf = tail.suffix(4) == [0x0d, 0x0a, 0x0d, 0x0a]
        separatorNeeded = lf || crlf ? 0 : (ending ? 1 : 2)
    }

    private func readAt(offset: Int64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard got >= 0 else { throw POSIX.error("read", path: path, scope: .folder) }
        return Array(buffer[0..<got])
    }

    private static let fromBytes: [UInt8] = Array("From ".utf8)

    /// `>*From ` at the start of a line (mboxrd quotes all of them).
    private static func needsQuoting(_ line: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < line.count && line[index] == UInt8(ascii: ">") { index += 1 }
        guard line.count - index >= fromBytes.count else { return false }
        for (offset, byte) in fromBytes.enumerated() where line[index + offset] != byte { return false }
        return true
    }

    private static func isBookkeepingField(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < 20 else { return false }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self).lowercased()
        return MboxMetadata.bookkeepingFields.contains(name)
    }
}
