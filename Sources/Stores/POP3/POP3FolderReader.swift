import Foundation
import MailCore
import NIOCore
import POP3Client

/// Reads a POP3 mailbox: the messages the selection includes, in mailbox order, with up to the
/// connection's pipeline depth of RETR commands in flight, each message streamed into a spool.
///
/// A dropped connection is reopened (at most three times); the new session's listing maps the
/// remaining keys to their new message numbers, and reading goes on after the last message
/// handed out.
final class POP3FolderReader: MessageReader {
    static let maximumReconnects = 3

    private let store: POP3Store
    private let folder: FolderPath
    private let selection: MessageSelection
    private var session: POP3Store.Session?
    private var started = false
    /// Messages still to hand out, in order; `sent` of them have a RETR in flight.
    private var pending: [POP3Listing.Entry] = []
    private var pendingHead = 0
    private var sent = 0
    private var handedOut = Set<SourceKey>()
    private var reconnects = 0
    private var number = 0
    private(set) var bytesConsumed = 0
    private(set) var bytesExpected: Int?
    /// Until when the daily budget holds reading back.
    private var pausedUntil: Date?

    init(store: POP3Store, folder: FolderPath, selection: MessageSelection) {
        self.store = store
        self.folder = folder
        self.selection = selection
    }

    func next() async throws -> SourceItem? {
        while true {
            do {
                try await waitOutBudget()
                if !started {
                    try await start()
                    started = true
                }
                return try await step()
            } catch let error as POP3Error where error.isTransient && reconnects < Self.maximumReconnects {
                // Start again (a new session and listing) on the next round, within the budget.
                reconnects += 1
                session?.connection.close()
                session = nil
                started = false
            } catch let error as POP3Error {
                throw POP3Store.mailError(error, scope: .folder, folder: folder)
            }
        }
    }

    /// Pauses while the daily budget is used up. A POP3 session cannot idle for hours: it is
    /// ended without QUIT (so nothing is deleted) and a new one lists what is left afterwards.
    private func waitOutBudget() async throws {
        guard let budget = store.budget else { return }
        let (pause, note) = await budget.carryOver()
        if let note { store.announce?(note) }
        if let pause {
            store.announce?(pause.reason)
            pausedUntil = pause.until
        }
        guard let until = pausedUntil else { return }
        store.pauses?.pause(until: until)
        pausedUntil = nil
        let wait = until.timeIntervalSinceNow
        guard wait > 0 else { return }
        session?.connection.close()
        session = nil
        started = false
        try await Task.sleep(for: .seconds(wait))
    }

    /// Takes a session and works out what to fetch: everything selected not yet handed out.
    private func start() async throws {
        let session = try await store.checkout()
        self.session = session
        let listing = session.listing!
        pending = listing.entries.filter { selection.includes($0.key) && !handedOut.contains($0.key) }
        if let hint = selection.hint { pending = try await prefilter(pending, hint: hint, connection: session.connection) }
        pendingHead = 0
        sent = 0
        if bytesExpected == nil { bytesExpected = pending.reduce(0) { $0 + $1.size } }
    }

    /// The next message (or per-message failure), or `nil` at the end.
    private func step() async throws -> SourceItem? {
        guard let connection = session?.connection else {
            throw POP3Error.connectionClosed(reason: "no session to read the remaining messages with")
        }
        let limit = connection.configuration.parserLimits.maximumMessageSize
        // Keep the pipeline full.
        while pendingHead + sent < pending.count && sent < connection.pipelineDepth {
            let entry = pending[pendingHead + sent]
            if sent == 0 && entry.size > limit {
                // Too large to fetch: report it without asking for it.
                pendingHead += 1
                handedOut.insert(entry.key)
                bytesConsumed += entry.size
                return .failure(failure(entry, "the message is \(entry.size) bytes, over the \(limit)-byte limit; not fetched", code: .tooLarge))
            }
            if entry.size > limit { break }
            try await connection.send(.retr(entry.number))
            sent += 1
        }
        guard sent > 0 else { return nil }
        let entry = pending[pendingHead]
        let status = try await connection.readStatus()
        if !status.isOK {
            advance(entry)
            return .failure(
                failure(entry, "RETR was refused: \(ServerText.sanitize(status.text))", code: .unreadable,
                        retry: status.isTemporary ? .later : .now))
        }
        let spool = MessageSpool(expectedSize: entry.size)
        try await connection.readMessage { piece in
            try piece.withUnsafeReadableBytes { try spool.append($0) }
            CopyActivity.current?.touch()  // a long download is progress for the stall watchdog
        }
        advance(entry)
        if let budget = store.budget, let pause = await budget.count(entry.size) {
            store.announce?(pause.reason)
            pausedUntil = pause.until
        }
        let (data, fingerprint) = try spool.finish()
        number += 1
        let flags: FlagSet = store.settings.markSeen ? FlagSet(system: [.seen]) : .empty
        var envelope = try MessageEnvelope(
            data: data, fingerprint: fingerprint, folder: folder, key: entry.key, number: entry.number, flags: flags)
        let headers = HeaderScanner.scan(try data.prefix(HeaderScanner.scanLimit))
        envelope.internalDate = headers.arrivalDate
        return .message(envelope)
    }

    /// Leaves out, before any RETR, what the run's filter cannot keep: by the listing's sizes,
    /// and — when the filter looks at dates or header fields — by each message's headers
    /// (`TOP n 0`, pipelined). The dates are the ones the envelope will carry (`Received:`, else
    /// `Date:`), so this decides exactly; header text is a case-insensitive substring test the
    /// engine's exact rule implies. Messages left out here are counted as filtered by the engine
    /// only when read, so the report's `filtered` count leaves them out.
    private func prefilter(
        _ entries: [POP3Listing.Entry], hint: FilterHint, connection: POP3Connection
    ) async throws -> [POP3Listing.Entry] {
        var kept = entries.filter { entry in
            if let minimum = hint.minimumSize, entry.size < minimum { return false }
            if let maximum = hint.maximumSize, entry.size > maximum { return false }
            return true
        }
        guard hint.arrivedBefore != nil || hint.arrivedSince != nil || !hint.headerContains.isEmpty, !kept.isEmpty else {
            return kept
        }
        let headers = try await POP3Listing.headers(of: kept.map(\.number), connection: connection)
        kept = kept.filter { entry in
            guard let header = headers[entry.number] else { return true }  // TOP refused: let RETR and the engine decide
            if hint.arrivedBefore != nil || hint.arrivedSince != nil {
                guard let date = HeaderScanner.scan(header).arrivalDate else { return false }
                if let before = hint.arrivedBefore, date >= before { return false }
                if let since = hint.arrivedSince, date < since { return false }
            }
            for rule in hint.headerContains
            where !HeaderFields.values(named: rule.field, in: header).contains(where: { $0.lowercased().contains(rule.text.lowercased()) }) {
                return false
            }
            return true
        }
        return kept
    }

    private func advance(_ entry: POP3Listing.Entry) {
        pendingHead += 1
        sent -= 1
        handedOut.insert(entry.key)
        bytesConsumed += entry.size
    }

    private func failure(
        _ entry: POP3Listing.Entry, _ text: String, code: MailError.Code, retry: MailError.Retry = .never
    ) -> MailError {
        MailError(code, scope: .message, retry: retry, text, folder: folder, messageKey: entry.key.value, messageNumber: entry.number)
    }

    func close() {
        guard let session else { return }
        self.session = nil
        if sent == 0 {
            store.park(session)  // every response read: the session can be used again
        } else {
            session.connection.close()
        }
    }
}
