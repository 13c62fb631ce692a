import Foundation
import MailCore

/// A daily transfer budget for one side (a provider profile's, or `--daily-*-limit`): bytes are
/// counted from the first byte of a window, and once the budget is used up the side must pause
/// until the window ends. Usage is kept in the job's checkpoint (``TransferBudgetLedger``), so a
/// run restarted the same day goes on from what the day used. Shared by the IMAP and POP3 stores.
actor TransferBudget {
    /// Why and until when the side must pause.
    struct Pause: Sendable {
        var until: Date
        var reason: String
    }

    nonisolated let limit: Int
    private let window: Double
    private let side: String
    private let ledger: TransferBudgetLedger?
    /// The ledger's read, shared by every caller that arrives while it runs.
    private var ledgerRead: Task<TransferBudgetUsage?, Never>?
    private var carried = false
    private var windowStart: Date?
    private var windowBytes = 0

    init(limit: Int, window: Double, side: String, ledger: TransferBudgetLedger?) {
        self.limit = limit
        self.window = window
        self.side = side
        self.ledger = ledger
    }

    /// What an earlier run of the job left, read once: a pause when it used the whole budget in
    /// a window not yet over; else its usage is carried on, with a note saying so.
    /// Every caller waits for the one read (folders start together), and nothing is counted
    /// before it is applied; only the caller that applies it gets the pause and the note.
    func carryOver() async -> (pause: Pause?, note: String?) {
        if carried { return (nil, nil) }
        let read = ledgerRead ?? Task { [ledger, side] in await ledger?.usage(side: side) }
        ledgerRead = read
        let usage = await read.value
        guard !carried else { return (nil, nil) }  // another caller applied it meanwhile
        carried = true
        guard let usage else { return (nil, nil) }
        let end = usage.windowStart.addingTimeInterval(window)
        guard end > Date(), usage.bytes > 0 else { return (nil, nil) }
        windowStart = usage.windowStart
        windowBytes += usage.bytes
        if windowBytes >= limit {
            return (
                Pause(
                    until: end,
                    reason: "the \(side) daily budget of \(limit) bytes was used up by an earlier run (since \(Self.clock(usage.windowStart))): pausing until \(Self.clock(end))"),
                nil
            )
        }
        return (nil, "the \(side) daily budget goes on from an earlier run: \(usage.bytes) of \(limit) bytes used since \(Self.clock(usage.windowStart))")
    }

    /// Counts bytes already moved; a pause when that used the budget up.
    /// The window stays as it is until it ends (messages already in flight are counted in it),
    /// so a restart before then pauses too; the pause comes once, when the budget is crossed.
    func count(_ bytes: Int) async -> Pause? {
        guard bytes > 0 else { return nil }
        let carriedPause = await carryOver().pause
        let now = Date()
        rollWindow(at: now)
        if windowStart == nil { windowStart = now }
        let wasUnder = windowBytes < limit
        windowBytes += bytes
        await save()
        guard wasUnder, windowBytes >= limit, let start = windowStart else { return carriedPause }
        return Pause(until: start.addingTimeInterval(window), reason: usedUp(since: start))
    }

    /// Reserves `bytes` before moving them: `nil` when they fit in the window (counted), else
    /// the pause to wait out before asking again. A message larger than the whole budget goes
    /// alone in a fresh window.
    func reserve(_ bytes: Int) async -> Pause? {
        if let pause = await carryOver().pause { return pause }
        let now = Date()
        rollWindow(at: now)
        if windowBytes == 0 || windowBytes + bytes <= limit {
            if windowStart == nil { windowStart = now }
            windowBytes += bytes
            await save()
            return nil
        }
        let start = windowStart ?? now
        return Pause(until: start.addingTimeInterval(window), reason: usedUp(since: start))
    }

    private func usedUp(since start: Date) -> String {
        "the \(side) daily budget of \(limit) bytes is used up (\(windowBytes) bytes since \(Self.clock(start))): pausing until \(Self.clock(start.addingTimeInterval(window)))"
    }

    /// Starts a new window when the current one is over.
    private func rollWindow(at now: Date) {
        if let start = windowStart, now.timeIntervalSince(start) >= window {
            windowStart = nil
            windowBytes = 0
        }
    }

    private func save() async {
        guard let ledger else { return }
        await ledger.record(windowStart.map { TransferBudgetUsage(windowStart: $0, bytes: windowBytes) }, side: side)
    }

    /// `2026-11-28 14:05:09 UTC`.
    static func clock(_ date: Date) -> String { CivilDate.clockText(date) }
}
