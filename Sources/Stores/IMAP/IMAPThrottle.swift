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
    private let side: String
    private var delay = 1.0
    private var pausedUntil = Date.distantPast
    /// A daily budget in bytes, counted from the first byte of each window.
    nonisolated let budget: Int?
    private let window: Double
    private var windowStart: Date?
    private var windowBytes = 0
    /// Where usage is kept between runs (the job's checkpoint), read once before the first count.
    private let ledger: TransferBudgetLedger?
    private var ledgerRead = false
    /// What happened, for the report.
    private(set) var events: [String] = []

    init(
        pool: IMAPConnectionPool, side: String, budget: Int?, window: Double = 86_400, ledger: TransferBudgetLedger? = nil,
        announce: (@Sendable (String) -> Void)?
    ) {
        self.pool = pool
        self.side = side
        self.budget = budget
        self.window = window
        self.ledger = ledger
        self.announce = announce
    }

    /// Waits out a pause in effect, if any.
    func waitIfPaused() async throws {
        if !ledgerRead && budget != nil { await readLedger() }
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
        guard let budget, bytes > 0 else { return }
        await readLedger()
        let now = Date()
        rollWindow(at: now)
        if windowStart == nil { windowStart = now }
        windowBytes += bytes
        if windowBytes >= budget, let start = windowStart {
            let end = start.addingTimeInterval(window)
            let text = "the \(side) daily budget of \(budget) bytes is used up (\(windowBytes) bytes since \(Self.clock(start))): pausing until \(Self.clock(end))"
            windowStart = nil
            windowBytes = 0
            pause(for: end.timeIntervalSinceNow, text)
            // Kept as used up until the window's end, so a restart before then pauses too.
            await ledger?.record(TransferBudgetUsage(windowStart: start, bytes: budget), side: side)
        } else {
            await saveLedger()
        }
    }

    /// Takes over what earlier runs of the job used in a window not yet over; pauses when that
    /// is the whole budget.
    private func readLedger() async {
        guard !ledgerRead, let budget else { return }
        ledgerRead = true
        guard let usage = await ledger?.usage(side: side) else { return }
        let end = usage.windowStart.addingTimeInterval(window)
        guard end > Date(), usage.bytes > 0 else { return }
        if usage.bytes >= budget {
            pause(
                for: end.timeIntervalSinceNow,
                "the \(side) daily budget of \(budget) bytes was used up by an earlier run (since \(Self.clock(usage.windowStart))): pausing until \(Self.clock(end))")
            return
        }
        windowStart = usage.windowStart
        windowBytes = usage.bytes
        let text = "the \(side) daily budget goes on from an earlier run: \(usage.bytes) of \(budget) bytes used since \(Self.clock(usage.windowStart))"
        events.append(text)
        announce?(text)
    }

    private func saveLedger() async {
        guard let ledger else { return }
        await ledger.record(windowStart.map { TransferBudgetUsage(windowStart: $0, bytes: windowBytes) }, side: side)
    }

    /// Whether a daily budget applies (uploads are then sent one message at a time; readers
    /// count what they fetched). Known without waiting for the actor.
    nonisolated var hasBudget: Bool { budget != nil }

    /// Starts a new budget window when the current one is over.
    private func rollWindow(at now: Date) {
        if let start = windowStart, now.timeIntervalSince(start) >= window {
            windowStart = nil
            windowBytes = 0
        }
    }

    /// Waits until `bytes` fit in the budget's window, pausing (and saying until when) when the
    /// window is used up; a message larger than the whole budget goes alone in a fresh window.
    func admit(_ bytes: Int) async throws {
        guard let budget else { return }
        await readLedger()
        for _ in 0..<10_000 {
            try await waitIfPaused()
            let now = Date()
            rollWindow(at: now)
            if windowBytes == 0 || windowBytes + bytes <= budget {
                if windowStart == nil { windowStart = now }
                windowBytes += bytes
                await saveLedger()
                return
            }
            let start = windowStart ?? now
            let end = start.addingTimeInterval(window)
            pause(
                for: end.timeIntervalSinceNow,
                "the \(side) daily budget of \(budget) bytes is used up (\(windowBytes) bytes since \(Self.clock(start))): pausing until \(Self.clock(end))")
        }
    }

    private func pause(for seconds: Double, _ message: String) {
        let until = Date().addingTimeInterval(max(0, seconds))
        if until > pausedUntil { pausedUntil = until }
        events.append(message)
        announce?(message)
    }

    private static func seconds(_ value: Double) -> String {
        value < 10 ? "\(Int((value * 1000).rounded())) ms" : "\(Int(value.rounded())) s"
    }

    /// `2026-11-28 14:05:09 UTC`.
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }
}
