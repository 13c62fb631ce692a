import Foundation
import MailCore
import Synchronization

/// The engine's stall watchdog: a progress deadline for the pipeline as a whole. A connection's
/// own deadline catches a server that trickles; this catches a copy in which nothing moves at
/// all — every task waiting on another, no command on the wire (a lost wake-up, a reader held
/// back for good). When a folder has read and stored nothing for `timeout` seconds, outside a
/// pause the stores announced (``DeliberatePauses``), its work is cancelled and the folder
/// stops the run with a clear error; work that does not end within `grace` seconds of that is
/// left behind, so the run ends whatever it waits for. Nothing unconfirmed is ever recorded as
/// done, so the checkpoint stays consistent: the next run resolves the in-flight messages.
struct StallWatch: Sendable {
    var timeout: Double
    var grace: Double = 10
    var pauses: DeliberatePauses?

    /// Runs `work` under the watch; `abandoned` is the folder's outcome when the work had to be
    /// left behind (the stall's error in it).
    func run(
        _ work: @escaping @Sendable () async -> FolderOutcome,
        abandoned: @escaping @Sendable (MailError) -> FolderOutcome
    ) async -> FolderOutcome {
        let activity = CopyActivity()
        let result = OnceResult<FolderOutcome>()
        let stall = OnceResult<MailError>()
        let task = Task { await CopyActivity.$current.withValue(activity) { await work() } }
        Task {
            var outcome = await task.value
            if let error = stall.delivered { outcome.stop(error) }  // it ended after being cancelled
            result.deliver(outcome)
        }
        Task { [timeout, grace, pauses] in
            let tick = max(0.01, min(1, timeout / 10))
            while result.delivered == nil {
                try? await Task.sleep(for: .seconds(tick))
                if (pauses?.pausedUntil ?? .distantPast).timeIntervalSinceNow > 0 {
                    activity.touch()  // an announced pause is not a stall
                    continue
                }
                guard result.delivered == nil, activity.idleSeconds >= timeout else { continue }
                let error = MailError(
                    .unreadable, scope: .store, retry: .later,
                    "the copy stopped moving: nothing was read or stored for \(Int(timeout.rounded())) s "
                        + "(--stall-timeout); the run was stopped, and the next run resumes where this one stopped")
                stall.deliver(error)
                task.cancel()
                let end = ContinuousClock.now + .seconds(grace)
                while result.delivered == nil && ContinuousClock.now < end {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                var left = abandoned(error)
                left.abandoned = true
                result.deliver(left)
                return
            }
        }
        return await result.value()
    }
}

extension CopyEngine {
    /// Runs a folder's copy under the stall watchdog (when ``CopyOptions/stallTimeout`` is set).
    func watched(_ entry: CopyPlan.Entry, _ work: @escaping @Sendable () async -> FolderOutcome) async -> FolderOutcome {
        guard let timeout = options.stallTimeout, timeout > 0 else { return await work() }
        return await StallWatch(timeout: timeout, pauses: options.pauses).run(work) { error in
            var outcome = FolderOutcome(entry)
            outcome.stop(error)
            return outcome
        }
    }
}

extension FolderOutcome {
    /// The folder stopped the run with `error` (a stall).
    mutating func stop(_ error: MailError) {
        stoppedBy = CopyReport.Problem(error)
        report.error = error.summary
    }
}

/// A value delivered once (by whichever of the work and the watchdog comes first), awaited by
/// one task.
final class OnceResult<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }
    private let state = Mutex(State())

    /// The value, once delivered.
    var delivered: Value? { state.withLock { $0.value } }

    /// Delivers `value` unless something was delivered already.
    func deliver(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the value (one waiter).
    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                if let value = state.value { return value }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
