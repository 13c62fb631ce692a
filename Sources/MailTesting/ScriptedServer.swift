#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A tiny line-based server on 127.0.0.1 that plays a script to one client: for protocol edge
/// cases no real server will produce (no STARTTLS, injected bytes after STARTTLS, PREAUTH on a
/// plaintext connection). It records every line the client sent.
public final class ScriptedServer: @unchecked Sendable {
    // @unchecked: `received` is guarded by `lock`; the socket is used by the one server thread.

    /// One step of the conversation.
    public enum Step: Sendable {
        /// Send these bytes (CRLFs included).
        case send(String)
        /// Read a line and answer with `reply(tag)` (the client's tag is the line's first word).
        case respond(to: String, reply: @Sendable (String) -> String)
        /// Read a line that starts with `prefix` (case-insensitive; untagged protocols such as
        /// POP3) and answer with `reply`. A different line ends the conversation.
        case answer(to: String, with: String)
        /// Wait until the client closes the connection (or 30 s without a byte).
        case waitForClose
        /// Like ``respond(to:reply:)``, but the reply goes out a byte at a time, `everyMilliseconds` apart.
        case respondSlowly(to: String, reply: @Sendable (String) -> String, everyMilliseconds: Int)
        /// Send these bytes one at a time, `everyMilliseconds` apart (a server that trickles);
        /// stops early once the client has closed the connection.
        case trickle(String, everyMilliseconds: Int)
    }

    public let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var lines: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    /// Lines the client sent so far.
    public var received: [String] { lock.withLock { lines } }

    public init(script: [Step]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let listener = fd
        Thread.detachNewThread { [self] in
            defer {
                close(listener)
                finished.signal()
            }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var pending: [UInt8] = []
            func readLine() -> String? {
                while true {
                    if let lf = pending.firstIndex(of: 0x0a) {
                        let line = String(decoding: pending[..<lf], as: UTF8.self).trimmingCharacters(in: .newlines)
                        pending.removeFirst(lf + 1)
                        lock.withLock { lines.append(line) }
                        return line
                    }
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let got = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
                    guard got > 0 else { return nil }
                    pending += chunk[0..<got]
                }
            }
            for step in script {
                switch step {
                case .send(let text):
                    _ = Array(text.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                case .respond(let prefix, let reply):
                    guard let line = readLine() else { return }
                    let words = line.split(separator: " ", maxSplits: 1)
                    guard words.count == 2, words[1].uppercased().hasPrefix(prefix.uppercased()) else { return }
                    _ = Array(reply(String(words[0])).utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                case .answer(let prefix, let reply):
                    guard let line = readLine(), line.uppercased().hasPrefix(prefix.uppercased()) else { return }
                    _ = Array(reply.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                case .waitForClose:
                    while readLine() != nil {}
                case .trickle(let text, let interval):
                    guard Self.trickle(text, every: interval, to: client) else { return }
                case .respondSlowly(let prefix, let reply, let interval):
                    guard let line = readLine() else { return }
                    let words = line.split(separator: " ", maxSplits: 1)
                    guard words.count == 2, words[1].uppercased().hasPrefix(prefix.uppercased()) else { return }
                    guard Self.trickle(reply(String(words[0])), every: interval, to: client) else { return }
                }
            }
        }
    }

    /// Sends `text` a byte at a time; `false` once the client has gone.
    private static func trickle(_ text: String, every milliseconds: Int, to client: Int32) -> Bool {
        for byte in Array(text.utf8) {
            let sent = withUnsafeBytes(of: byte) { send(client, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            guard sent == 1 else { return false }
            usleep(useconds_t(max(1, milliseconds) * 1000))
        }
        return true
    }

    /// Waits (up to 45 s) until the conversation is over, without holding a cooperative thread.
    public func wait() async {
        let finished = finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                _ = finished.wait(timeout: .now() + 45)
                continuation.resume()
            }
        }
    }
}
