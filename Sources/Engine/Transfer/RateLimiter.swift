import Foundation

/// Holds a run to at most `bytesPerSecond` stored bytes on average (`--max-bytes-per-second`),
/// shared by every folder copied at once: after each batch the writer reports what it stored
/// and waits as long as the run is ahead of the allowed pace. A burst of one batch is allowed,
/// so a batch larger than a second's budget is never split.
public actor RateLimiter {
    public let bytesPerSecond: Int
    private let now: @Sendable () -> TimeInterval
    private let sleep: @Sendable (TimeInterval) async -> Void
    private var start: TimeInterval?
    private var bytes = 0

    public init(
        bytesPerSecond: Int,
        now: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime },
        sleep: @escaping @Sendable (TimeInterval) async -> Void = { seconds in
            try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
        }
    ) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        self.now = now
        self.sleep = sleep
    }

    /// Records `count` bytes stored and waits until the average is back under the limit;
    /// returns the seconds waited.
    @discardableResult
    public func stored(_ count: Int) async -> TimeInterval {
        let current = now()
        if start == nil { start = current }
        bytes += count
        let due = start! + Double(bytes) / Double(bytesPerSecond)
        let wait = due - current
        guard wait > 0.001 else { return 0 }
        await sleep(wait)
        return wait
    }
}
