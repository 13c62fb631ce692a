import Foundation
import Synchronization

/// Until when a run waits on purpose — a server asked to slow down, a daily budget is used up —
/// so that the engine's stall watchdog (``CopyOptions``' `stallTimeout`) does not take a long,
/// announced pause for a copy that stopped moving. Stores extend it; the engine reads it.
public final class DeliberatePauses: Sendable {
    private let until = Mutex(Date.distantPast)

    public init() {}

    /// The run waits on purpose until `date` (a later pause extends, an earlier one does not shorten).
    public func pause(until date: Date) {
        until.withLock { if date > $0 { $0 = date } }
    }

    /// The end of the latest pause announced (in the past when none is running).
    public var pausedUntil: Date { until.withLock { $0 } }
}
