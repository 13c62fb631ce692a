#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The running server's shared parts: configuration, mail, counters, log and the listening
/// socket with its accept thread. Separate from ``FakeIMAPServer`` so that the threads do not
/// keep the public object alive: dropping the server stops them.
final class FakeIMAPCore: Sendable {
    struct Counters: Sendable {
        var open: Set<Int32> = []
        var peak = 0
        var accepted = 0
        var commands: [String: Int] = [:]
        var log: [FakeIMAPServer.LoggedCommand] = []
        var limitViolations: [String] = []
        var stopped = false
        var listenerClosed = false
        var intercept: (@Sendable (FakeIMAPServer.Request) -> FakeIMAPServer.Interception?)?
    }

    /// Most log entries kept (the oldest go first).
    static let logLimit = 100_000

    let configuration: FakeIMAPServer.Configuration
    let model: FakeMailModel
    let counters: Mutex<Counters>
    let listener: Int32
    let port: Int
    private let listenerDone = DispatchSemaphore(value: 0)

    init(configuration: FakeIMAPServer.Configuration) throws {
        self.configuration = configuration
        model = FakeMailModel(
            gmail: configuration.gmail, firstUIDValidity: configuration.firstUIDValidity, mailboxes: configuration.mailboxes,
            acceptsAnyName: configuration.acceptsAnyMailboxName)
        counters = Mutex(Counters(intercept: configuration.intercept))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        // Accept wakes at least every 200 ms to notice `stop()` and the lifetime.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Starts the accept thread.
    func start() {
        Thread.detachNewThread { [self] in
            acceptLoop()
            counters.withLock { state in
                state.listenerClosed = true
                close(listener)
            }
            listenerDone.signal()
        }
    }

    private func acceptLoop() {
        let deadline = Date().addingTimeInterval(configuration.lifetime)
        var rounds = 0
        while Date() < deadline, rounds < 10_000_000, !counters.withLock({ $0.stopped }) {
            rounds += 1
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return
            }
            let (number, active) = counters.withLock { state -> (Int, Int) in
                if state.stopped { return (0, 0) }
                state.accepted += 1
                state.open.insert(client)
                state.peak = max(state.peak, state.open.count)
                return (state.accepted, state.open.count)
            }
            guard number > 0 else {
                close(client)
                return
            }
            let overLimit = configuration.maximumConnections.map { active > $0 } ?? false
            Thread.detachNewThread { [self] in
                let socket = FakeIMAPSocket(fd: client, idleTimeout: configuration.idleTimeout)
                let session = FakeIMAPSession(core: self, socket: socket, connection: number, overLimit: overLimit)
                session.run()
                counters.withLock { state in
                    state.open.remove(client)
                    close(client)
                }
            }
        }
    }

    /// Stops accepting, cuts every connection, and waits (up to 1 s) for the accept thread.
    func stop() {
        let alreadyStopped = counters.withLock { state -> Bool in
            let was = state.stopped
            state.stopped = true
            if !state.listenerClosed { shutdown(listener, Int32(SHUT_RDWR)) }
            for fd in state.open { shutdown(fd, Int32(SHUT_RDWR)) }
            return was
        }
        if !alreadyStopped {
            if listenerDone.wait(timeout: .now() + 1) == .success { listenerDone.signal() }
        }
    }

    var isStopped: Bool { counters.withLock { $0.stopped } }

    /// Counts a command and returns how many of its name the server has seen, this one included.
    func count(_ command: String) -> Int {
        counters.withLock { state in
            state.commands[command, default: 0] += 1
            return state.commands[command]!
        }
    }

    func log(connection: Int, line: String) {
        counters.withLock { state in
            if state.log.count >= Self.logLimit { state.log.removeFirst(state.log.count / 10) }
            state.log.append(FakeIMAPServer.LoggedCommand(connection: connection, line: line))
        }
    }

    var intercept: (@Sendable (FakeIMAPServer.Request) -> FakeIMAPServer.Interception?)? { counters.withLock { $0.intercept } }
}
