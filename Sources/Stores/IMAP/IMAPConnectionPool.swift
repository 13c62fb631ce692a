import IMAPClient
import MailCore

/// Up to `maximum` authenticated connections to one server, handed out one per folder being
/// read or written. Connecting retries transient failures with backoff; a wrong password does not
/// retry. Every connection the pool opens has UTF8=ACCEPT enabled when offered, so all of them
/// agree on how mailbox names are written.
actor IMAPConnectionPool {
    let configuration: IMAPConfiguration
    let maximum: Int
    /// First retry delay of ``connect(_:retryDelay:)`` (doubled each time).
    let retryDelay: Double
    private var idle: [IMAPConnection] = []
    /// Connections handed out and not yet released (or replaced); each holds one of the `open` slots.
    private var checkedOut: [ObjectIdentifier: IMAPConnection] = [:]
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(configuration: IMAPConfiguration, maximum: Int, retryDelay: Double = 1) {
        self.configuration = configuration
        self.maximum = max(1, maximum)
        self.retryDelay = retryDelay
    }

    /// Connections open or being opened (idle ones included).
    var openCount: Int { open }
    /// Connections waiting in the pool.
    var idleCount: Int { idle.count }

    /// A connection of one's own until ``release(_:)``.
    func acquire() async throws -> IMAPConnection {
        while true {
            while let connection = idle.popLast() {
                if connection.isActive { return checkOut(connection) }
                open -= 1
            }
            if open < maximum {
                open += 1
                do {
                    return checkOut(try await Self.connect(configuration, retryDelay: retryDelay))
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Gives a connection back: an open one waits for the next ``acquire()``, a closed one (or
    /// one whose ``IMAPConnection/close()`` was called) frees its slot. Releasing a connection
    /// that is not checked out (released or replaced already) does nothing.
    func release(_ connection: IMAPConnection) {
        guard checkedOut.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        if connection.isActive {
            idle.append(connection)
        } else {
            open -= 1
        }
        wakeOne()
    }

    /// Closes a broken connection and returns a fresh one in its place. The old connection counts
    /// as released whether or not this succeeds (releasing it again does nothing).
    func replace(_ connection: IMAPConnection) async throws -> IMAPConnection {
        connection.close()
        guard checkedOut.removeValue(forKey: ObjectIdentifier(connection)) != nil else {
            return try await acquire()  // not ours any more: no slot to reuse
        }
        do {
            return checkOut(try await Self.connect(configuration, retryDelay: retryDelay))
        } catch {
            open -= 1
            wakeOne()
            throw error
        }
    }

    /// Logs out every idle connection.
    func closeAll() async {
        let connections = idle
        idle = []
        open -= connections.count
        for connection in connections { await connection.logout() }
    }

    private func checkOut(_ connection: IMAPConnection) -> IMAPConnection {
        checkedOut[ObjectIdentifier(connection)] = connection
        return connection
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Connects, retrying what a retry can fix (network trouble, timeouts) after 1, 2 and 4 s,
    /// then enables UTF8=ACCEPT when offered (a server refusing it refuses it on every connection).
    static func connect(_ configuration: IMAPConfiguration, retryDelay: Double = 1) async throws -> IMAPConnection {
        var delay = retryDelay
        for attempt in 1...4 {
            do {
                let connection = try await IMAPConnection.connect(configuration)
                do {
                    try await enableUTF8(on: connection)
                } catch {
                    connection.close()
                    throw error
                }
                return connection
            } catch let error as IMAPError where error.isTransient && attempt < 4 {
                try await Task.sleep(for: .seconds(delay))
                delay *= 2
            } catch let error as IMAPError {
                throw IMAPStore.mailError(error, scope: .store)
            }
        }
        throw MailError.store(.unreadable, "cannot connect to \(configuration.host):\(configuration.port)")
    }

    private static func enableUTF8(on connection: IMAPConnection) async throws {
        guard connection.capabilities.contains("UTF8=ACCEPT") else { return }
        do {
            try await connection.enable(["UTF8=ACCEPT"])
        } catch let error as IMAPError where !error.isTransient {
            // Refused (NO/BAD): names stay modified UTF-7, as on every other connection.
        }
    }
}
