import IMAPClient
import MailCore

/// Up to `maximum` authenticated connections to one server, handed out one per folder being
/// read or written. Connecting retries transient failures with backoff; a wrong password does not
/// retry.
actor IMAPConnectionPool {
    let configuration: IMAPConfiguration
    let maximum: Int
    private var idle: [IMAPConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(configuration: IMAPConfiguration, maximum: Int) {
        self.configuration = configuration
        self.maximum = max(1, maximum)
    }

    /// A connection of one's own until ``release(_:)``.
    func acquire() async throws -> IMAPConnection {
        while true {
            while let connection = idle.popLast() {
                if connection.isActive { return connection }
                open -= 1
            }
            if open < maximum {
                open += 1
                do {
                    return try await Self.connect(configuration)
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Gives a connection back (a dead one is dropped).
    func release(_ connection: IMAPConnection) {
        if connection.isActive {
            idle.append(connection)
        } else {
            open -= 1
        }
        wakeOne()
    }

    /// Drops a broken connection and returns a fresh one in its place.
    func replace(_ connection: IMAPConnection) async throws -> IMAPConnection {
        connection.close()
        do {
            return try await Self.connect(configuration)
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

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Connects, retrying what a retry can fix (network trouble, timeouts) after 1, 2 and 4 s.
    static func connect(_ configuration: IMAPConfiguration) async throws -> IMAPConnection {
        var delay = 1.0
        for attempt in 1...4 {
            do {
                return try await IMAPConnection.connect(configuration)
            } catch let error as IMAPError where error.isTransient && attempt < 4 {
                try await Task.sleep(for: .seconds(delay))
                delay *= 2
            } catch let error as IMAPError {
                throw IMAPStore.mailError(error, scope: .store)
            }
        }
        throw MailError.store(.unreadable, "cannot connect to \(configuration.host):\(configuration.port)")
    }
}
