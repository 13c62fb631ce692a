import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// Writes one IMAP folder: CREATE when missing, SUBSCRIBE, SELECT (for PERMANENTFLAGS and
/// UIDVALIDITY), then APPENDs — MULTIAPPEND batches when offered, else single APPENDs pipelined
/// (LITERAL+ sends them back to back). A message the server refuses is a per-message failure with
/// the server's words; a full mailbox (OVERQUOTA) stops the run.
final class IMAPFolderWriter: FolderWriter {
    /// Most waits for a server's back-off within one batch before the folder fails.
    static let maximumThrottles = 20
    /// Most messages and bytes per MULTIAPPEND.
    static let multiAppendMessages = 50
    static let multiAppendBytes = 8 << 20

    let store: IMAPStore
    let folder: FolderPath
    let mailbox: MailboxName
    var connection: IMAPConnection
    private var permanentFlags: [String]?
    var uidValidity: UInt32 = 0
    /// The next UID the server will give, as far as this writer knows: never more than the
    /// server's (it only grows with SELECT and APPENDUID), so searching from it misses nothing.
    var uidNext: UInt32 = 0
    /// Messages in the folder at the last SELECT.
    var exists: UInt32 = 0
    private var closed = false
    var note: String?

    var location: String { mailbox.description }

    private init(store: IMAPStore, folder: FolderPath, mailbox: MailboxName, connection: IMAPConnection) {
        self.store = store
        self.folder = folder
        self.mailbox = mailbox
        self.connection = connection
    }

    static func open(
        store: IMAPStore, folder: FolderPath, mailbox: MailboxName, connection: IMAPConnection, subscribe: Bool
    ) async throws -> IMAPFolderWriter {
        let writer = IMAPFolderWriter(store: store, folder: folder, mailbox: mailbox, connection: connection)
        try await writer.prepare(subscribe: subscribe)
        return writer
    }

    private func prepare(subscribe: Bool) async throws {
        if mailbox != .inbox {
            let specialUse = connection.capabilities.contains("CREATE-SPECIAL-USE") ? folder.role?.attribute : nil
            var created = try await connection.executeAllowingFailure(.create(mailbox, specialUse: specialUse))
            if created.tagged.status != .ok && specialUse != nil && created.tagged.text.code != .alreadyExists {
                // The role may be taken by another folder: create it plainly.
                created = try await connection.executeAllowingFailure(.create(mailbox, specialUse: nil))
            }
            if created.tagged.status != .ok && created.tagged.text.code != .alreadyExists
                && !created.tagged.text.text.lowercased().contains("exists")
            {
                throw IMAPError.commandFailed(command: "CREATE", status: created.tagged.status, text: created.tagged.text)
            }
            if subscribe { _ = try? await connection.executeAllowingFailure(.subscribe(mailbox)) }
        }
        try await select()
    }

    func select() async throws {
        let selected = try await connection.execute(.select(mailbox, condStore: false))
        for response in selected.untagged {
            switch response {
            case .exists(let count): exists = count
            case .condition(.ok, let text):
                switch text.code {
                case .permanentFlags(let flags)?: permanentFlags = flags
                case .uidValidity(let value)?: uidValidity = value
                case .uidNext(let value)?: uidNext = value
                default: break
                }
            default: break
            }
        }
    }

    /// The server may still be committing what a dropped connection (or a killed run) sent: its
    /// session for that connection can outlive ours. Waits until the folder has not grown for
    /// half a second (at most about 5 s) so that a search for those messages sees them.
    func settle() async throws {
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(500))
            let before = exists
            let result = try await connection.execute(.noop)
            for case .exists(let count) in result.untagged { exists = count }
            if exists == before { return }
        }
    }

    /// The IMAP flags to send for `flags`, and those PERMANENTFLAGS does not allow.
    func imapFlags(_ flags: FlagSet) -> ([String], FlagSet) {
        var sent: [String] = []
        var dropped = FlagSet()
        let allowed = permanentFlags.map { Set($0.map { $0.lowercased() }) }
        let anyKeyword = allowed?.contains("\\*") ?? true
        for flag in flags.sorted {
            let name = flag.description
            let permitted: Bool
            if case .keyword = flag {
                permitted = anyKeyword || allowed?.contains(name.lowercased()) == true
            } else {
                permitted = allowed?.contains(name.lowercased()) ?? true
            }
            if permitted { sent.append(name) } else { dropped.insert(flag) }
        }
        return (sent, dropped)
    }

    /// One message on its way: its position in the batch, the APPEND item, the flags the folder
    /// cannot keep, and what recovery needs to find it on the server.
    struct Upload {
        var index: Int
        var item: IMAPConnection.AppendItem
        var dropped: FlagSet
        var record: MessageRecord
    }

    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: batch.count)
        var uploads: [Upload] = []
        for (index, envelope) in batch.enumerated() {
            let (flags, dropped) = imapFlags(envelope.flags)
            do {
                var item = try IMAPConnection.AppendItem(flags: flags, internalDate: envelope.internalDate, data: envelope.data)
                // NUL cannot go in a literal; BINARY's literal8 carries it as it is (without
                // BINARY the engine removed NULs before: StoreCapabilities.wireRepairs).
                item.binary = item.containsNUL && connection.capabilities.contains("BINARY")
                if let limit = store.capabilities.maximumMessageSize, item.size > limit {
                    outcomes[index] = .failed(
                        MailError(
                            .tooLarge, scope: .message, retry: .never,
                            "the message is \(item.size) bytes; the server accepts at most \(limit) (APPENDLIMIT)"))
                    continue
                }
                uploads.append(Upload(index: index, item: item, dropped: dropped, record: MessageRecord(envelope)))
            } catch let error as MailError {
                outcomes[index] = .failed(error.withScope(.message))
            }
        }
        // Where this batch's messages can appear at the earliest, should the connection drop.
        let start = currentPosition()
        var attempts = 0
        var throttled = 0
        while true {
            do {
                try await store.throttle.waitIfPaused()
                try await append(uploads, into: &outcomes)
                await store.throttle.succeeded()
                break
            } catch let error as IMAPError where error.backoff != nil && throttled < Self.maximumThrottles {
                // The server asked to slow down: wait (the whole side waits), then go on with what
                // it has not confirmed — on a connection of our own again, fewer if it asked.
                throttled += 1
                await store.throttle.backOff(error.backoff!)
                do {
                    try await store.throttle.waitIfPaused()
                    connection = try await store.pool.yield(connection)
                    uploads = try await recover(uploads, since: start, outcomes: &outcomes, reconnected: true)
                } catch let error as IMAPError {
                    throw IMAPStore.mailError(error, scope: .folder, folder: folder)
                }
            } catch let error as IMAPError where error.isTransient && attempts < 3 {
                attempts += 1
                do {
                    uploads = try await recover(uploads, since: start, outcomes: &outcomes)
                } catch let error as IMAPError {
                    throw IMAPStore.mailError(error, scope: .folder, folder: folder)
                }
            } catch let error as IMAPError {
                throw IMAPStore.mailError(error, scope: .folder, folder: folder)
            }
        }
        return outcomes.map { $0 ?? .failed(MailError(.internalError, scope: .message, retry: .now, "no outcome")) }
    }

    /// Sends the uploads (pipelined), records an outcome for each.
    private func append(_ uploads: [Upload], into outcomes: inout [DeliveryOutcome?]) async throws {
        guard !uploads.isEmpty else { return }
        var groups: [[Upload]] = []
        let budgeted = store.throttle.hasBudget
        if connection.capabilities.contains("MULTIAPPEND") && !budgeted {
            let most = store.messageLimit(connection).chunk(Self.multiAppendMessages)
            var current: [Upload] = []
            var bytes = 0
            for upload in uploads {
                if !current.isEmpty && (current.count >= most || bytes + upload.item.size > Self.multiAppendBytes) {
                    groups.append(current)
                    current = []
                    bytes = 0
                }
                current.append(upload)
                bytes += upload.item.size
            }
            if !current.isEmpty { groups.append(current) }
        } else {
            groups = uploads.map { [$0] }
        }
        var submitted: [(group: [Upload], command: IMAPConnection.Submitted)] = []
        for group in groups {
            // A daily budget admits each message before it is sent (pausing when used up).
            if budgeted { try await store.throttle.admit(group.reduce(0) { $0 + $1.item.size }) }
            submitted.append((group, try await connection.append(to: mailbox, group.map(\.item))))
        }
        var retrySingly: [Upload] = []
        for (group, command) in submitted {
            let tagged = try await command.result().tagged
            if tagged.status == .ok {
                let uids = assignedUIDs(tagged, count: group.count)
                for (position, upload) in group.enumerated() {
                    let reference = uids.map { "\(uidValidity):\($0[position])" } ?? mailbox.description
                    outcomes[upload.index] = .stored(StoredMessage(reference: reference, droppedFlags: upload.dropped))
                }
                continue
            }
            if tagged.text.code == .overQuota || ServerBackoff.recognise(code: tagged.text.code, text: tagged.text.text) != nil {
                // Over quota stops the run; a back-off is waited out by store(_:).
                throw IMAPError.commandFailed(command: "APPEND", status: tagged.status, text: tagged.text)
            }
            if tagged.text.code == .tryCreate {
                _ = try await connection.executeAllowingFailure(.create(mailbox, specialUse: nil))
                retrySingly += group
                continue
            }
            if group.count > 1 {
                // MULTIAPPEND is all or nothing: find the culprit one message at a time.
                retrySingly += group
                continue
            }
            outcomes[group[0].index] = .failed(Self.rejection(tagged))
        }
        guard !retrySingly.isEmpty else { return }
        var singles: [(Upload, IMAPConnection.Submitted)] = []
        for upload in retrySingly {
            singles.append((upload, try await connection.append(to: mailbox, [upload.item])))
        }
        for (upload, command) in singles {
            let tagged = try await command.result().tagged
            if tagged.status == .ok {
                let reference = assignedUIDs(tagged, count: 1).map { "\(uidValidity):\($0[0])" } ?? mailbox.description
                outcomes[upload.index] = .stored(StoredMessage(reference: reference, droppedFlags: upload.dropped))
            } else if tagged.text.code == .overQuota || ServerBackoff.recognise(code: tagged.text.code, text: tagged.text.text) != nil {
                throw IMAPError.commandFailed(command: "APPEND", status: tagged.status, text: tagged.text)
            } else {
                outcomes[upload.index] = .failed(Self.rejection(tagged))
            }
        }
    }

    /// The UIDs an `[APPENDUID]` gives `count` appended messages, in order — only when it names
    /// exactly that many (a hostile `1:4294967295` is never expanded; a server that answers a
    /// duplicate with an existing UID gives no mapping rather than a wrong one).
    private func assignedUIDs(_ tagged: TaggedResponse, count: Int) -> [UInt32]? {
        guard case .appendUID(let validity, let set)? = tagged.text.code, set.count == count, validity != 0 else { return nil }
        if uidValidity != 0 && validity != uidValidity { return nil }
        uidValidity = validity
        let uids = set.values
        if let last = uids.last { uidNext = max(uidNext, last &+ 1) }
        return uids
    }

    /// A message the server refused, with its reason. A refusal of the bytes (`[PARSE]`, a
    /// plain NO or BAD, a `[LIMIT]` that is not about size) may be met by a repair
    /// (``MailError/repairs``); a size refusal (`[TOOBIG]`, a size `[LIMIT]`) or a temporary one
    /// cannot; BINARY's `[UNKNOWN-CTE]` for a `literal8` asks for the NULs to go.
    static func rejection(_ tagged: TaggedResponse) -> MailError {
        let code = tagged.text.code
        let lower = tagged.text.text.lowercased()
        var otherName: String?
        if case .other(let name, _)? = code { otherName = name.uppercased() }
        let size = otherName == "TOOBIG"
            || (code == .limit && (lower.contains("size") || lower.contains("large") || lower.contains("big")))
        var error = MailError(
            size ? .tooLarge : .malformedMessage, scope: .message, retry: code == .unavailable ? .later : .never,
            "the server refused the message: \(ServerText.sanitize(tagged.text.text))")
        if !size && code != .unavailable { error.repairs = otherName == "UNKNOWN-CTE" ? [.nul] : [] }
        return error
    }

    /// After a dropped connection: reconnect, re-select, and find on the server (by content,
    /// from where the batch started) which of the unconfirmed messages it kept, so that only the
    /// others are sent again. If the folder's UIDVALIDITY changed, it was replaced: all are sent.
    private func recover(
        _ uploads: [Upload], since start: String?, outcomes: inout [DeliveryOutcome?], reconnected: Bool = false
    ) async throws -> [Upload] {
        let validity = uidValidity
        if !reconnected { connection = try await store.pool.replace(connection) }
        try await select()
        let remaining = uploads.filter { outcomes[$0.index] == nil }
        guard validity != 0, uidValidity == validity, !remaining.isEmpty else { return remaining }
        try await settle()
        // This batch's confirmed messages hold these UIDs: an equal copy among the rest is not one of them.
        let claimed = claimedUIDs(outcomes.compactMap { outcome -> String? in
            guard case .stored(let stored)? = outcome else { return nil }
            return stored.reference
        })
        let found = try await find(remaining.map { PendingMessage(record: $0.record, position: start) }, excluding: claimed)
        for upload in remaining {
            if let uid = found[upload.record.key] {
                outcomes[upload.index] = .stored(StoredMessage(reference: "\(uidValidity):\(uid)", droppedFlags: upload.dropped))
            }
        }
        return remaining.filter { found[$0.record.key] == nil }
    }

    func close() async throws {
        guard !closed else { return }
        closed = true
        await store.pool.release(connection)
    }
}
