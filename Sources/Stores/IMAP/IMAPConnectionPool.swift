import IMAPClient
import MailCore

/// Up to `maximum` authenticated connections to one server, handed out one per folder being
/// read or written. Connecting retries transient failures with backoff; a wrong password does not
/// retry. Every connection the pool opens has UTF8=ACCEPT enabled when offered, so all of them
/// agree on how mailbox names are written.
actor IMAPConnectionPool {
    let configuration: IMAPConfiguration
    /// Connections allowed; lowered when the server says it has too many (``lowerMaximum()``).
    private(set) var maximum: Int
    /// First retry delay of ``connect(_:retryDelay:)`` (doubled each time).
    let retryDelay: Double
    private var idle: [IMAPConnection] = []
    /// Connections handed out and not yet released (or replaced); each holds one of the `open` slots.
    private var checkedOut: [ObjectIdentifier: IMAPConnection] = [:]
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Where the pool says it goes on with fewer connections.
    private let announce: (@Sendable (String) -> Void)?

    init(configuration: IMAPConfiguration, maximum: Int, retryDelay: Double = 1, announce: (@Sendable (String) -> Void)? = nil) {
        self.configuration = configuration
        self.maximum = max(1, maximum)
        self.retryDelay = retryDelay
        self.announce = announce
    }

    /// Allows one connection fewer (never under one); returns the new maximum, or `nil` when it
    /// is one already. Connections beyond it close as they are released.
    func lowerMaximum() -> Int? {
        guard maximum > 1 else { return nil }
        maximum -= 1
        while open > maximum, let connection = idle.popLast() {
            open -= 1
            connection.close()
        }
        return maximum
    }

    /// Gives up `connection` (closed) and waits for a connection within the current maximum:
    /// after a server asked for fewer connections, the caller queues behind the others.
    func yield(_ connection: IMAPConnection) async throws -> IMAPConnection {
        connection.close()
        release(connection)
        return try await acquire()
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
                } catch let refusal as ConnectionRefusedForLoad where open > 1 {
                    // The server counts connections and this one is too many: go on with those open.
                    open -= 1
                    maximum = max(1, open)
                    announce?("the server refused another connection (\(refusal.backoff.text)); going on with \(maximum)")
                    continue
                } catch let refusal as ConnectionRefusedForLoad {
                    open -= 1
                    wakeOne()
                    throw IMAPStore.mailError(refusal.error, scope: .store)
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
        if connection.isActive && open <= maximum {
            idle.append(connection)
        } else {
            if connection.isActive { connection.close() }
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
    /// A server too slow to greet or log in within the progress deadline is not asked again: the
    /// error comes at once, so a trickling server ends the run within the deadline.
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
            } catch let error as IMAPError where error.backoff?.kind == .tooManyConnections {
                throw ConnectionRefusedForLoad(error: error, backoff: error.backoff!)
            } catch let error as IMAPError where (error.isTransient || error.backoff != nil) && !error.isStalled && attempt < 4 {
                try await Task.sleep(for: .seconds(max(delay, error.backoff?.suggestedDelay ?? 0)))
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

/// A connection the server refused because it has too many (Gmail's `Too many simultaneous
/// connections` at LOGIN): the pool goes on with the ones open.
struct ConnectionRefusedForLoad: Error {
    var error: IMAPError
    var backoff: ServerBackoff
}
