import Synchronization

/// When a folder's copy last moved — a message read or stored, or a piece of one sent or
/// received — for the engine's stall watchdog. The engine sets one per folder as a task-local
/// value; the folder's reader and writer (and the connections they use, on the same tasks)
/// touch it, so a copy that is slow but moving is never taken for one that stopped.
public final class CopyActivity: Sendable {
    /// The activity of the folder whose task this is (`nil` outside a watched copy).
    @TaskLocal public static var current: CopyActivity?

    private let last = Mutex(ContinuousClock.now)

    public init() {}

    /// Something moved.
    public func touch() { last.withLock { $0 = .now } }

    /// Seconds since anything moved.
    public var idleSeconds: Double {
        let idle = ContinuousClock.now - last.withLock { $0 }
        return Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18
    }
}
