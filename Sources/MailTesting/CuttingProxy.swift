#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A TCP proxy on 127.0.0.1 in front of a real server that cuts its first connection(s) after a
/// chosen number of bytes in one direction — mid-FETCH literal, mid-APPEND literal — so tests can
/// show that a dropped connection loses and duplicates nothing. Later connections pass untouched.
public final class CuttingProxy: @unchecked Sendable {
    // @unchecked: counters are guarded by `lock`; sockets belong to their forwarding threads.

    public enum Direction: Sendable { case serverToClient, clientToServer }

    public let port: Int
    private let upstreamPort: Int
    private let cutAfter: Int
    private let direction: Direction
    private let lock = NSLock()
    private var connections = 0
    private var cutsLeft: Int
    private var performed = 0
    private let listener: Int32

    /// Connections cut so far.
    public var cuts: Int { lock.withLock { performed } }

    public init(upstreamPort: Int, cutAfter bytes: Int, direction: Direction, cuts: Int = 1) throws {
        self.upstreamPort = upstreamPort
        self.cutAfter = bytes
        self.direction = direction
        self.cutsLeft = cuts
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { close(listener) }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: UInt16(upstreamPort))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            let cut = lock.withLock { () -> Bool in
                connections += 1
                guard cutsLeft > 0 else { return false }
                cutsLeft -= 1
                return true
            }
            let limit = cut ? cutAfter : Int.max
            let pair = SocketPair(client: client, upstream: upstream)
            Thread.detachNewThread { [self] in
                forward(from: upstream, to: client, limit: direction == .serverToClient ? limit : .max, pair: pair)
            }
            Thread.detachNewThread { [self] in
                forward(from: client, to: upstream, limit: direction == .clientToServer ? limit : .max, pair: pair)
            }
        }
    }

    /// Copies bytes one way; after `limit` bytes it shuts both connections down.
    private func forward(from source: Int32, to target: Int32, limit: Int, pair: SocketPair) {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let got = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { break }
            let allowed = min(got, max(0, limit - total))
            if allowed > 0 {
                _ = buffer.withUnsafeBytes { send(target, $0.baseAddress, allowed, Int32(MSG_NOSIGNAL)) }
            }
            total += allowed
            if total >= limit {
                lock.withLock { performed += 1 }
                break
            }
        }
        pair.shutdownBoth()
    }

    /// The two sockets of one proxied connection, closed once.
    private final class SocketPair: @unchecked Sendable {
        // @unchecked: `closed` is guarded by `lock`.
        let client: Int32
        let upstream: Int32
        private let lock = NSLock()
        private var closed = false

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }

        func shutdownBoth() {
            lock.withLock {
                guard !closed else { return }
                closed = true
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(upstream, Int32(SHUT_RDWR))
            }
        }
    }
}
