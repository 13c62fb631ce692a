import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// Writes one IMAP folder: CREATE when missing, SUBSCRIBE, SELECT (for PERMANENTFLAGS and
/// UIDVALIDITY), then APPENDs — MULTIAPPEND batches when offered, else single APPENDs pipelined
/// (LITERAL+ sends them back to back). A message the server refuses is a per-message failure with
/// the server's words; a full mailbox (OVERQUOTA) stops the run.
final class IMAPFolderWriter: FolderWriter {
    /// Most messages and bytes per MULTIAPPEND.
    static let multiAppendMessages = 50
    static let multiAppendBytes = 8 << 20

    private let store: IMAPStore
    private let folder: FolderPath
    private let mailbox: MailboxName
    private var connection: IMAPConnection
    private var permanentFlags: [String]?
    private var uidValidity: UInt32 = 0
    /// The next UID the server will give, as far as this writer knows (for recovery).
    private var uidNext: UInt32 = 0
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
        do {
            try await writer.prepare(subscribe: subscribe)
        } catch let error as IMAPError {
            throw IMAPStore.mailError(error, scope: .folder, folder: folder)
        }
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

    private func select() async throws {
        let selected = try await connection.execute(.select(mailbox, condStore: false))
        for case .condition(.ok, let text) in selected.untagged {
            switch text.code {
            case .permanentFlags(let flags)?: permanentFlags = flags
            case .uidValidity(let value)?: uidValidity = value
            case .uidNext(let value)?: uidNext = value
            default: break
            }
        }
    }

    /// The IMAP flags to send for `flags`, and those PERMANENTFLAGS does not allow.
    private func imapFlags(_ flags: FlagSet) -> ([String], FlagSet) {
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

    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: batch.count)
        var items: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)] = []
        for (index, envelope) in batch.enumerated() {
            let (flags, dropped) = imapFlags(envelope.flags)
            do {
                let item = try IMAPConnection.AppendItem(flags: flags, internalDate: envelope.internalDate, data: envelope.data)
                if let limit = store.capabilities.maximumMessageSize, item.size > limit {
                    outcomes[index] = .failed(
                        MailError(
                            .tooLarge, scope: .message, retry: .never,
                            "the message is \(item.size) bytes; the server accepts at most \(limit) (APPENDLIMIT)"))
                    continue
                }
                items.append((index, item, dropped))
            } catch let error as MailError {
                outcomes[index] = .failed(error.withScope(.message))
            }
        }
        var attempts = 0
        while true {
            do {
                try await append(items, into: &outcomes)
                break
            } catch let error as IMAPError where error.isTransient && attempts < 3 {
                attempts += 1
                items = try await recover(items, outcomes: &outcomes)
            } catch let error as IMAPError {
                throw IMAPStore.mailError(error, scope: .folder, folder: folder)
            }
        }
        return outcomes.map { $0 ?? .failed(MailError(.internalError, scope: .message, retry: .now, "no outcome")) }
    }

    /// Sends the items (pipelined), records an outcome for each.
    private func append(
        _ items: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)], into outcomes: inout [DeliveryOutcome?]
    ) async throws {
        guard !items.isEmpty else { return }
        let multi = connection.capabilities.contains("MULTIAPPEND")
        var groups: [[(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)]] = []
        if multi {
            var current: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)] = []
            var bytes = 0
            for entry in items {
                if !current.isEmpty && (current.count >= Self.multiAppendMessages || bytes + entry.item.size > Self.multiAppendBytes) {
                    groups.append(current)
                    current = []
                    bytes = 0
                }
                current.append(entry)
                bytes += entry.item.size
            }
            if !current.isEmpty { groups.append(current) }
        } else {
            groups = items.map { [$0] }
        }
        var submitted: [(group: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)], command: IMAPConnection.Submitted)] = []
        for group in groups {
            submitted.append((group, try await connection.append(to: mailbox, group.map(\.item))))
        }
        var retrySingly: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)] = []
        for (group, command) in submitted {
            let result = try await command.result()
            let tagged = result.tagged
            if tagged.status == .ok {
                var uids: [UInt32] = []
                if case .appendUID(let validity, let set)? = tagged.text.code {
                    uidValidity = validity
                    uids = set.count <= group.count ? set.values : []
                }
                for (position, entry) in group.enumerated() {
                    let reference = position < uids.count ? "\(uidValidity):\(uids[position])" : "\(mailbox.description)"
                    outcomes[entry.index] = .stored(StoredMessage(reference: reference, droppedFlags: entry.dropped))
                }
                if let last = uids.last { uidNext = max(uidNext, last &+ 1) }
                continue
            }
            if tagged.text.code == .overQuota {
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
        if !retrySingly.isEmpty {
            var singles: [(Int, IMAPConnection.Submitted, FlagSet)] = []
            for entry in retrySingly {
                singles.append((entry.index, try await connection.append(to: mailbox, [entry.item]), entry.dropped))
            }
            for (index, command, dropped) in singles {
                let tagged = try await command.result().tagged
                if tagged.status == .ok {
                    var reference = mailbox.description
                    if case .appendUID(let validity, let set)? = tagged.text.code, let uid = set.values.first {
                        reference = "\(validity):\(uid)"
                        uidNext = max(uidNext, uid &+ 1)
                    }
                    outcomes[index] = .stored(StoredMessage(reference: reference, droppedFlags: dropped))
                } else if tagged.text.code == .overQuota {
                    throw IMAPError.commandFailed(command: "APPEND", status: tagged.status, text: tagged.text)
                } else {
                    outcomes[index] = .failed(Self.rejection(tagged))
                }
            }
        }
    }

    /// A message the server refused, with its reason.
    private static func rejection(_ tagged: TaggedResponse) -> MailError {
        let code: MailError.Code = tagged.text.code == .limit ? .tooLarge : .malformedMessage
        return MailError(
            code, scope: .message, retry: tagged.text.code == .unavailable ? .later : .never,
            "the server refused the message: \(ServerText.sanitize(tagged.text.text))")
    }

    /// After a dropped connection: reconnect, re-select, and work out from UIDNEXT how many of
    /// the in-flight messages the server kept (APPENDs are processed in order), so that only the
    /// rest is sent again.
    private func recover(
        _ items: [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)], outcomes: inout [DeliveryOutcome?]
    ) async throws -> [(index: Int, item: IMAPConnection.AppendItem, dropped: FlagSet)] {
        let before = uidNext
        connection = try await store.pool.replace(connection)
        try await select()
        let remaining = items.filter { outcomes[$0.index] == nil }
        guard before > 0, uidNext >= before else { return remaining }
        let kept = min(Int(uidNext - before), remaining.count)
        for (offset, entry) in remaining.prefix(kept).enumerated() {
            outcomes[entry.index] = .stored(
                StoredMessage(reference: "\(uidValidity):\(before + UInt32(offset))", droppedFlags: entry.dropped))
        }
        return Array(remaining.dropFirst(kept))
    }

    func close() async throws {
        guard !closed else { return }
        closed = true
        await store.pool.release(connection)
    }
}
