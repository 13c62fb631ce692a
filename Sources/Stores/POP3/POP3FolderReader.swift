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

    init(store: POP3Store, folder: FolderPath, selection: MessageSelection) {
        self.store = store
        self.folder = folder
        self.selection = selection
    }

    func next() async throws -> SourceItem? {
        while true {
            do {
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

    /// Takes a session and works out what to fetch: everything selected not yet handed out.
    private func start() async throws {
        let session = try await store.checkout()
        self.session = session
        let listing = session.listing!
        pending = listing.entries.filter { selection.includes($0.key) && !handedOut.contains($0.key) }
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
        }
        advance(entry)
        let (data, fingerprint) = try spool.finish()
        number += 1
        let flags: FlagSet = store.settings.markSeen ? FlagSet(system: [.seen]) : .empty
        var envelope = try MessageEnvelope(
            data: data, fingerprint: fingerprint, folder: folder, key: entry.key, number: entry.number, flags: flags)
        let headers = HeaderScanner.scan(try data.prefix(HeaderScanner.scanLimit))
        envelope.internalDate = headers.arrivalDate
        return .message(envelope)
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
