#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A TCP proxy on 127.0.0.1 in front of a real server that cuts its first connection(s) in one
/// direction — after a number of bytes, or where a pattern passes (mid-FETCH literal, mid-APPEND
/// literal, just before APPEND's tagged OK) — so tests can show that a dropped connection loses
/// and duplicates nothing. Later connections pass untouched. With ``Plan``s, each connection in
/// turn gets its own cut (offset, direction), or trickles from that point on (a server that
/// sends a byte at a time) instead of being cut.
///
/// Patterns can only be seen in clear text: `hideStartTLS` renames the server's STARTTLS (and
/// POP3's `STLS` capability line)
/// capability so that a client allowed to (on loopback) stays unencrypted.
public final class CuttingProxy: @unchecked Sendable {
    // @unchecked: counters are guarded by `lock`; sockets belong to their forwarding threads.

    public enum Direction: Sendable { case serverToClient, clientToServer }

    /// What happens where the cut is.
    public enum Action: Sendable {
        /// Both sockets are shut down.
        case cut
        /// From there on the bytes go one at a time, `everyMilliseconds` apart.
        case trickle(everyMilliseconds: Int)
    }

    /// What one connection gets.
    public struct Plan: Sendable {
        public var cut: Cut
        public var direction: Direction
        public var action: Action

        public init(_ cut: Cut, direction: Direction, action: Action = .cut) {
            self.cut = cut
            self.direction = direction
            self.action = action
        }
    }

    /// Where to cut.
    public enum Cut: Sendable {
        /// After this many bytes.
        case afterBytes(Int)
        /// Just before `pattern` would pass (none of it is forwarded, unless it straddles reads).
        case before(pattern: String)
        /// `extra` bytes after the end of `pattern`.
        case after(pattern: String, extra: Int)
    }

    public let port: Int
    private let upstreamPort: Int
    /// The plan of each connection in turn; connections past the list get `laterPlan`.
    private let plans: [Plan?]
    private let laterPlan: Plan?
    private let hideStartTLS: Bool
    private let lock = NSLock()
    private var connections = 0
    private var performed = 0
    private let listener: Int32
    private var stopped = false

    /// Connections cut (or made to trickle) so far.
    public var cuts: Int { lock.withLock { performed } }
    /// Connections accepted so far.
    public var accepted: Int { lock.withLock { connections } }

    public convenience init(upstreamPort: Int, cutAfter bytes: Int, direction: Direction, cuts: Int = 1) throws {
        try self.init(upstreamPort: upstreamPort, cut: .afterBytes(bytes), direction: direction, cuts: cuts)
    }

    public convenience init(upstreamPort: Int, cut: Cut, direction: Direction, cuts: Int = 1, hideStartTLS: Bool = false) throws {
        try self.init(
            upstreamPort: upstreamPort, plans: Array(repeating: Plan(cut, direction: direction), count: max(0, cuts)),
            hideStartTLS: hideStartTLS)
    }

    /// Connection `i` gets `plans[i]` (`nil`: untouched), later ones `later`. `port` 0 takes a
    /// free port; a given one lets a test put a new proxy where a stopped one was (the same job).
    public init(upstreamPort: Int, plans: [Plan?], later: Plan? = nil, port: Int = 0, hideStartTLS: Bool = false) throws {
        self.upstreamPort = upstreamPort
        self.plans = plans
        self.laterPlan = later
        self.hideStartTLS = hideStartTLS
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: UInt16(port))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// Accepts no more connections and frees the port (connections under way go on).
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

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
            if lock.withLock({ stopped }) {
                close(client)
                return
            }
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
            let plan = lock.withLock { () -> Plan? in
                defer { connections += 1 }
                return connections < plans.count ? plans[connections] : laterPlan
            }
            let pair = SocketPair(client: client, upstream: upstream)
            let serverPlan = plan?.direction == .serverToClient ? plan : nil
            let clientPlan = plan?.direction == .clientToServer ? plan : nil
            Thread.detachNewThread { [self] in
                forward(from: upstream, to: client, plan: serverPlan, rename: hideStartTLS, pair: pair)
            }
            Thread.detachNewThread { [self] in
                forward(from: client, to: upstream, plan: clientPlan, rename: false, pair: pair)
            }
        }
    }

    private static let startTLS = Array("STARTTLS".utf8)
    private static let renamed = Array("XNOTLSXX".utf8)
    private static let stls = Array("\r\nSTLS\r\n".utf8)
    private static let stlsRenamed = Array("\r\nXTLS\r\n".utf8)

    /// Copies bytes one way; where the plan's cut is, it shuts both connections down (or, to
    /// trickle, sends everything from there on a byte at a time until either side goes).
    private func forward(from source: Int32, to target: Int32, plan: Plan?, rename: Bool, pair: SocketPair) {
        let cut = plan?.cut
        var trickling: Int?
        if case .trickle(let interval)? = plan?.action { trickling = interval }
        var total = 0
        var limit = Int.max
        var pattern: [UInt8] = []
        var extra: Int?
        switch cut {
        case .afterBytes(let bytes)?: limit = bytes
        case .before(let text)?: pattern = Array(text.utf8)
        case .after(let text, let count)?:
            pattern = Array(text.utf8)
            extra = count
        case nil: break
        }
        var window: [UInt8] = []  // the last bytes forwarded, so a pattern split across reads is found
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let got = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { break }
            var chunk = Array(buffer[0..<got])
            if rename {
                Self.replace(Self.startTLS, with: Self.renamed, in: &chunk)
                Self.replace(Self.stls, with: Self.stlsRenamed, in: &chunk)
            }
            if !pattern.isEmpty, let end = Self.find(pattern, in: window + chunk) {
                let start = end - pattern.count - window.count  // where the pattern starts in `chunk`
                if let extra {
                    limit = total + max(0, end - window.count) + extra
                } else {
                    limit = total + max(0, start)
                }
                pattern = []
            }
            let allowed = min(chunk.count, max(0, limit - total))
            if allowed > 0 {
                _ = chunk.withUnsafeBytes { send(target, $0.baseAddress, allowed, Int32(MSG_NOSIGNAL)) }
            }
            total += allowed
            if total >= limit {
                lock.withLock { performed += 1 }
                if let interval = trickling {
                    Self.trickle(Array(chunk[allowed...]), from: source, to: target, every: interval)
                }
                break
            }
            window = Array((window + chunk).suffix(max(0, pattern.count - 1)))
        }
        pair.shutdownBoth()
    }

    /// Sends `first`, then everything `source` sends, a byte at a time; returns when either side
    /// has gone.
    private static func trickle(_ first: [UInt8], from source: Int32, to target: Int32, every milliseconds: Int) {
        var pending = first
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            for byte in pending {
                let sent = withUnsafeBytes(of: byte) { send(target, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                guard sent == 1 else { return }
                usleep(useconds_t(max(1, milliseconds) * 1000))
            }
            let got = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { return }
            pending = Array(buffer[0..<got])
        }
    }

    /// The index just past the first occurrence of `pattern` in `bytes`.
    private static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard pattern.count <= bytes.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if bytes[start..<start + pattern.count].elementsEqual(pattern) { return start + pattern.count }
        }
        return nil
    }

    private static func replace(_ pattern: [UInt8], with replacement: [UInt8], in bytes: inout [UInt8]) {
        var index = 0
        while index + pattern.count <= bytes.count {
            if bytes[index..<index + pattern.count].elementsEqual(pattern) {
                bytes.replaceSubrange(index..<index + pattern.count, with: replacement)
                index += pattern.count
            } else {
                index += 1
            }
        }
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
