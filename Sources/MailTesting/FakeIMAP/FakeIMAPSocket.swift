#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One accepted connection's socket: buffered, bounded reads of lines and literals, and writes.
/// Used by its connection's thread only; reads time out after the idle timeout (SO_RCVTIMEO).
final class FakeIMAPSocket {
    enum Line {
        case line([UInt8])
        /// The line exceeded the cap; the rest of it was discarded (up to 64 MiB, else `closed`).
        case tooLong(prefix: [UInt8])
        case closed
    }

    let fd: Int32
    private var pending: [UInt8] = []
    private var start = 0

    init(fd: Int32, idleTimeout: Double) {
        self.fd = fd
        var timeout = timeval(tv_sec: Int(idleTimeout), tv_usec: .init((idleTimeout - idleTimeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads more bytes; false on end of stream, error or timeout.
    private func fill() -> Bool {
        if start > 0 && start == pending.count {
            pending.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            pending.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard got > 0 else { return false }
        pending.append(contentsOf: chunk[0..<got])
        return true
    }

    /// The next line without CRLF (a bare LF also ends it), at most `limit` bytes.
    func readLine(limit: Int) -> Line {
        var scanned = 0  // bytes after `start` known to hold no LF (`fill` may move `start`)
        while true {
            if let lf = pending[(start + scanned)...].firstIndex(of: 0x0a) {
                var end = lf
                if end > start && pending[end - 1] == 0x0d { end -= 1 }
                let line = Array(pending[start..<end])
                start = lf + 1
                if line.count > limit { return .tooLong(prefix: Array(line.prefix(200))) }
                return .line(line)
            }
            scanned = pending.count - start
            if pending.count - start > limit {
                let prefix = Array(pending[start..<min(pending.count, start + 200)])
                // Discard up to the end of the line, bounded.
                var discarded = pending.count - start
                pending.removeAll(keepingCapacity: true)
                start = 0
                while discarded < 64 << 20 {
                    guard fill() else { return .closed }
                    if let lf = pending.firstIndex(of: 0x0a) {
                        start = lf + 1
                        return .tooLong(prefix: prefix)
                    }
                    discarded += pending.count
                    pending.removeAll(keepingCapacity: true)
                }
                return .closed
            }
            guard fill() else { return .closed }
        }
    }

    /// Exactly `count` bytes, or nil when the stream ends first.
    func readBytes(_ count: Int) -> [UInt8]? {
        while pending.count - start < count {
            guard fill() else { return nil }
        }
        let bytes = Array(pending[start..<start + count])
        start += count
        return bytes
    }

    /// Sends everything; false when the peer is gone.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        var attempts = 0
        while offset < bytes.count && attempts < 1_000_000 {
            attempts += 1
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return offset == bytes.count
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }
}
