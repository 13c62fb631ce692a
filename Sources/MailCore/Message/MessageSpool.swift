#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Collects a message's bytes as a reader produces them, computing its fingerprint on the way,
/// and moves them to a temporary file once they pass ``spillThreshold`` so that one huge message
/// cannot exhaust memory.
public final class MessageSpool {
    /// Messages larger than this are kept in a temporary file instead of memory.
    public let spillThreshold: Int
    private var bytes: [UInt8] = []
    private var fingerprint = FingerprintBuilder()
    private var spillFD: Int32 = -1
    private var spillPath: String?
    private var spilledCount = 0

    public init(spillThreshold: Int = MessageSpool.defaultSpillThreshold, expectedSize: Int = 16 * 1024) {
        self.spillThreshold = spillThreshold
        bytes.reserveCapacity(min(expectedSize, spillThreshold))
    }

    /// 8 MiB: nearly all mail stays in memory; the rare large attachment goes to a spool file,
    /// so peak memory does not grow with the largest message.
    public static let defaultSpillThreshold = 8 * 1024 * 1024

    deinit {
        if spillFD >= 0 {
            close(spillFD)
            if let spillPath { unlink(spillPath) }
        }
    }

    /// Bytes collected so far.
    public var count: Int { spillFD >= 0 ? spilledCount : bytes.count }

    public func append(_ chunk: UnsafeRawBufferPointer) throws {
        guard chunk.count > 0 else { return }
        fingerprint.update(chunk)
        if spillFD < 0 {
            if bytes.count + chunk.count <= spillThreshold {
                bytes.append(contentsOf: chunk)
                return
            }
            try startSpilling()
        }
        try writeAll(chunk)
        spilledCount += chunk.count
    }

    public func append(_ chunk: [UInt8]) throws {
        try chunk.withUnsafeBytes { try append($0) }
    }

    public func append(_ chunk: ArraySlice<UInt8>) throws {
        try chunk.withUnsafeBytes { try append($0) }
    }

    /// The collected message and its fingerprint. Call once; the spool is spent afterwards.
    public func finish() throws -> (MessageData, Fingerprint) {
        let print = fingerprint.finish()
        if spillFD >= 0 {
            let path = spillPath!
            let count = spilledCount
            close(spillFD)
            spillFD = -1
            return (MessageData(file: FileSegment(path: path, length: count, removeWhenDone: true)), print)
        }
        // Growth by doubling can leave up to twice the message's size reserved; hand on an exact
        // copy of larger messages so that the memory budget downstream counts what is really held.
        let result = bytes.count > 64 * 1024 && bytes.capacity > bytes.count + bytes.count / 4 ? Array(bytes) : bytes
        bytes = []
        return (MessageData(result), print)
    }

    private func startSpilling() throws {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/mailferry-spool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw MailError(
                .unwritable, scope: .message, retry: .later,
                "cannot create a spool file for a large message in \(directory): \(SystemError.text(errno))",
                path: directory, errno: errno)
        }
        spillFD = fd
        spillPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let pending = bytes
        bytes = []
        try pending.withUnsafeBytes { try writeAll($0) }
        spilledCount = pending.count
    }

    private func writeAll(_ chunk: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < chunk.count {
            let written = write(spillFD, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw MailError(
                    errno == ENOSPC ? .noSpace : .unwritable, scope: .message, retry: .later,
                    "cannot write spool file: \(SystemError.text(errno))", path: spillPath, errno: errno)
            }
            offset += written
        }
    }
}
