import Foundation
import IMAPClient
import MailCore

/// Paces one server's connections when it asks (see `ServerBackoff`) or when a daily transfer
/// budget (a provider profile's, or `--daily-*-limit`) is used up: every reader and writer of
/// the store waits here before its next round trip, so the whole side pauses together, and a
/// server counting connections gets fewer. Each pause is announced (what, how long, until when).
actor IMAPThrottle {
    /// The longest single wait for a slow-down without a suggested time (doubling from 1 s).
    static let maximumDelay = 120.0
    /// How long a used-up budget pauses when the server does not say (Gmail: within a day).
    static let budgetPause = 3600.0

    private let pool: IMAPConnectionPool
    private let announce: (@Sendable (String) -> Void)?
    /// Where pauses are recorded for the engine's stall watchdog.
    private let pauses: DeliberatePauses?
    private let side: String
    private var delay = 1.0
    private var pausedUntil = Date.distantPast
    /// The daily budget, when one applies.
    nonisolated let budget: TransferBudget?

    init(
        pool: IMAPConnectionPool, side: String, budget: Int?, window: Double = 86_400, ledger: TransferBudgetLedger? = nil,
        announce: (@Sendable (String) -> Void)?, pauses: DeliberatePauses? = nil
    ) {
        self.pool = pool
        self.pauses = pauses
        self.side = side
        self.budget = budget.map { TransferBudget(limit: $0, window: window, side: side, ledger: ledger) }
        self.announce = announce
    }

    /// Waits out a pause in effect, if any (first taking over what an earlier run of the job
    /// used of the budget).
    func waitIfPaused() async throws {
        if let budget {
            // Every caller waits for the one ledger read, so no folder starts before it is applied.
            let (pause, note) = await budget.carryOver()
            if let note { announce?(note) }
            if let pause { self.pause(pause) }
        }
        let wait = pausedUntil.timeIntervalSinceNow
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }

    /// The server asked to slow down: pause the side (as suggested, else doubling from 1 s up to
    /// ``maximumDelay``) and, when it counts connections, allow one fewer.
    func backOff(_ backoff: ServerBackoff) async {
        let wait: Double
        switch backoff.kind {
        case .budgetExhausted: wait = backoff.suggestedDelay ?? Self.budgetPause
        default:
            wait = min(backoff.suggestedDelay ?? delay, 24 * 3600)
            if backoff.suggestedDelay == nil { delay = min(delay * 2, Self.maximumDelay) }
        }
        var message = "the \(side) server asked to slow down (\(ServerText.sanitize(backoff.text))): waiting \(Self.seconds(wait))"
        if backoff.reducesConnections, let lowered = await pool.lowerMaximum() {
            message += ", then going on with \(lowered) connection\(lowered == 1 ? "" : "s")"
        }
        pause(for: wait, message)
    }

    /// A round trip went through: the next slow-down starts again from 1 s.
    func succeeded() { delay = 1 }

    /// Counts transferred bytes against the daily budget; when it is used up, pauses the side
    /// until the window ends and says until when.
    func transferred(_ bytes: Int) async {
        guard let budget else { return }
        if let pause = await budget.count(bytes) { self.pause(pause) }
    }

    /// Whether a daily budget applies (uploads are then sent one message at a time; readers
    /// count what they fetched). Known without waiting for the actor.
    nonisolated var hasBudget: Bool { budget != nil }

    /// Waits until `bytes` fit in the budget's window, pausing (and saying until when) when the
    /// window is used up; a message larger than the whole budget goes alone in a fresh window.
    func admit(_ bytes: Int) async throws {
        guard let budget else { return }
        for _ in 0..<10_000 {
            try await waitIfPaused()
            guard let pause = await budget.reserve(bytes) else { return }
            self.pause(pause)
        }
    }

    private func pause(_ pause: TransferBudget.Pause) {
        self.pause(for: pause.until.timeIntervalSinceNow, pause.reason)
    }

    private func pause(for seconds: Double, _ message: String) {
        let until = Date().addingTimeInterval(max(0, seconds))
        if until > pausedUntil { pausedUntil = until }
        pauses?.pause(until: pausedUntil)
        announce?(message)
    }

    private static func seconds(_ value: Double) -> String {
        value < 10 ? "\(Int((value * 1000).rounded())) ms" : "\(Int(value.rounded())) s"
    }
}
