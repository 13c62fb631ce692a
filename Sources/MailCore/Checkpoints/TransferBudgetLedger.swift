import Foundation
import Synchronization

/// How much of a daily transfer budget one side has used in its current window.
public struct TransferBudgetUsage: Sendable, Hashable {
    /// When the window began (its first byte).
    public var windowStart: Date
    public var bytes: Int

    public init(windowStart: Date, bytes: Int) {
        self.windowStart = windowStart
        self.bytes = bytes
    }
}

/// Keeps budget usage between runs (the job's checkpoint does).
public protocol TransferBudgetStore: Sendable {
    func budgetUsage(side: String) async throws -> TransferBudgetUsage?
    /// Records `usage`; `nil` forgets it (the window is over).
    func recordBudgetUsage(_ usage: TransferBudgetUsage?, side: String) async throws
}

/// Where a daily transfer budget (`--daily-download-limit`, a profile's) is remembered, so a run
/// restarted the same day goes on with what is left instead of a fresh budget. Stores are opened
/// before the job's checkpoint, so the checkpoint is attached later; until then, and without a
/// checkpoint, usage lives only in the process.
public final class TransferBudgetLedger: Sendable {
    private let store = Mutex<(any TransferBudgetStore)?>(nil)

    public init() {}

    /// From now on, usage is read from and written to `store`.
    public func attach(_ store: any TransferBudgetStore) {
        self.store.withLock { $0 = store }
    }

    /// What earlier runs used; `nil` when nothing is known (or it cannot be read).
    public func usage(side: String) async -> TransferBudgetUsage? {
        guard let store = store.withLock({ $0 }) else { return nil }
        return try? await store.budgetUsage(side: side)
    }

    /// Best effort: a failed write loses at most this update (the checkpoint reports its own errors).
    public func record(_ usage: TransferBudgetUsage?, side: String) async {
        guard let store = store.withLock({ $0 }) else { return }
        try? await store.recordBudgetUsage(usage, side: side)
    }
}
