import Foundation
import MailCore
import Synchronization

/// The mail a ``FakeIMAPServer`` serves, shared by all its connections (one lock, held briefly).
///
/// Plain mode: each mailbox owns its messages. Gmail mode: every message is one record in
/// `[Gmail]/All Mail`; the other mailboxes are views of records carrying their label, each view
/// with its own UIDs and UIDVALIDITY, which is how Gmail presents labels over IMAP.
final class FakeMailModel: Sendable {
    /// What a mailbox shows.
    enum View: Sendable, Hashable {
        /// Its own messages (plain servers).
        case own
        /// Every record not in Spam or Trash (Gmail's All Mail).
        case allMail
        /// The records carrying this label (Gmail's label mailboxes).
        case label(String)
    }

    struct Record: Sendable {
        var bytes: [UInt8]
        var flags: [String]
        var internalDate: Date
        var messageID: String?
        var gmailMessageID: UInt64
        var gmailThreadID: UInt64
        var labels: [String]
    }

    struct Entry: Sendable {
        var uid: UInt32
        var record: Int
    }

    struct Mailbox: Sendable {
        var name: String
        var uidValidity: UInt32
        var uidNext: UInt32 = 1
        var specialUse: String?
        var subscribed: Bool
        var selectable: Bool
        var view: View
        var entries: [Entry] = []
    }

    struct State: Sendable {
        var mailboxes: [Mailbox] = []
        var records: [Int: Record] = [:]
        var nextRecord = 1
        var nextGmailID: UInt64 = 1_800_000_000_000_000_001
        var nextValidity: UInt32
    }

    let gmail: Bool
    let state: Mutex<State>

    /// Names are kept as given (no checks but emptiness and wildcards, no parents made).
    let acceptsAnyName: Bool

    init(gmail: Bool, firstUIDValidity: UInt32, mailboxes: [FakeIMAPServer.MailboxSeed], acceptsAnyName: Bool = false) {
        self.gmail = gmail
        self.acceptsAnyName = acceptsAnyName
        state = Mutex(State(nextValidity: firstUIDValidity))
        for seed in mailboxes { _ = try? addMailbox(seed.name, specialUse: seed.specialUse, subscribed: seed.subscribed, selectable: seed.selectable) }
        if (try? withMailbox("INBOX") { _ in () }) == nil { _ = try? addMailbox("INBOX", specialUse: nil, subscribed: true, selectable: true) }
    }

    /// Why an operation on the model failed, with the words the server answers.
    enum Failure: Error, Sendable {
        case noSuchMailbox
        case alreadyExists
        case notSelectable
        case invalidName
    }

    // MARK: - Mailboxes

    /// Whether two names denote the same mailbox (INBOX is case-insensitive).
    static func same(_ a: String, _ b: String) -> Bool {
        a == b || (a.uppercased() == "INBOX" && b.uppercased() == "INBOX")
    }

    static func index(of name: String, in state: State) -> Int? {
        state.mailboxes.firstIndex { same($0.name, name) }
    }

    /// The view a new mailbox gets in this mode: a user label on Gmail, its own messages elsewhere.
    private func defaultView(for name: String, specialUse: String?) -> View {
        guard gmail else { return .own }
        if name.uppercased() == "INBOX" { return .label("\\Inbox") }
        switch specialUse {
        case "\\All": return .allMail
        case "\\Sent": return .label("\\Sent")
        case "\\Drafts": return .label("\\Draft")
        case "\\Flagged": return .label("\\Starred")
        case "\\Important": return .label("\\Important")
        case "\\Junk": return .label("\\Spam")
        case "\\Trash": return .label("\\Trash")
        default: return .label(name)
        }
    }

    /// Adds a mailbox (and its missing parents, plain and selectable).
    @discardableResult
    func addMailbox(_ name: String, specialUse: String?, subscribed: Bool, selectable: Bool) throws(Failure) -> UInt32 {
        let wellFormed = acceptsAnyName || (!name.hasPrefix("/") && !name.hasSuffix("/") && !name.contains("//"))
        guard !name.isEmpty, wellFormed, name.utf8.count <= 1000, !name.contains("*"), !name.contains("%")
        else { throw .invalidName }
        let view = defaultView(for: name, specialUse: specialUse)
        return try state.withLock { state throws(Failure) -> UInt32 in
            if Self.index(of: name, in: state) != nil { throw .alreadyExists }
            let parts = acceptsAnyName ? [name] : name.split(separator: "/").map(String.init)
            for depth in 1..<max(parts.count, 1) {
                let parent = parts[0..<depth].joined(separator: "/")
                if Self.index(of: parent, in: state) == nil {
                    let parentView: View = gmail ? .label(parent) : .own
                    state.mailboxes.append(
                        Mailbox(name: parent, uidValidity: state.nextValidity, subscribed: subscribed, selectable: true, view: parentView))
                    state.nextValidity &+= 1
                }
            }
            let validity = state.nextValidity
            state.nextValidity &+= 1
            var mailbox = Mailbox(
                name: name.uppercased() == "INBOX" ? "INBOX" : name, uidValidity: validity, specialUse: specialUse,
                subscribed: subscribed, selectable: selectable, view: selectable ? view : .own)
            if gmail { Self.fill(&mailbox, from: state.records) }
            state.mailboxes.append(mailbox)
            return validity
        }
    }

    /// Runs `body` on a copy of the named mailbox.
    func withMailbox<T>(_ name: String, _ body: (Mailbox) -> T) throws(Failure) -> T {
        try state.withLock { state throws(Failure) -> T in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            return body(state.mailboxes[index])
        }
    }

    /// All mailboxes, in creation order.
    func mailboxes() -> [Mailbox] { state.withLock { $0.mailboxes } }

    func setSubscribed(_ name: String, _ subscribed: Bool) throws(Failure) {
        try state.withLock { state throws(Failure) in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            state.mailboxes[index].subscribed = subscribed
        }
    }

    // MARK: - Messages

    /// One message of a mailbox as a session sees it.
    struct Item: Sendable {
        var uid: UInt32
        var record: Int
        var data: Record
    }

    /// The messages of a mailbox, in UID order, with their records.
    func items(in name: String) throws(Failure) -> [Item] {
        try state.withLock { state throws(Failure) -> [Item] in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            return state.mailboxes[index].entries.compactMap { entry in
                state.records[entry.record].map { Item(uid: entry.uid, record: entry.record, data: $0) }
            }
        }
    }

    /// Appends a message to `name`; returns the mailbox's UIDVALIDITY and the message's UID.
    /// Gmail mode: adds the mailbox's label to a new record in All Mail, or — when a record with
    /// the same Message-ID and size exists — to that record, answering with its existing UID.
    func append(
        to name: String, bytes: [UInt8], flags: [String], internalDate: Date, extraLabels: [String] = [],
        threadID: UInt64? = nil
    ) throws(Failure) -> (validity: UInt32, uid: UInt32, record: Int) {
        let messageID = HeaderScanner.scan(bytes).messageID
        return try state.withLock { state throws(Failure) -> (validity: UInt32, uid: UInt32, record: Int) in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            guard state.mailboxes[index].selectable else { throw .notSelectable }
            let view = state.mailboxes[index].view
            var label: String?
            if case .label(let name) = view { label = name }
            if gmail, let messageID,
                let existing = state.records.first(where: { $0.value.messageID == messageID && $0.value.bytes.count == bytes.count })?.key
            {
                // Gmail keeps one copy: the label is added, the bytes are dropped.
                var record = state.records[existing]!
                for added in [label].compactMap({ $0 }) + extraLabels where !Self.hasLabel(record, added) { record.labels.append(added) }
                if view == .allMail { record.labels.removeAll { $0 == "\\Trash" || $0 == "\\Spam" } }
                state.records[existing] = record
                Self.sync(record: existing, in: &state)
                let uid = state.mailboxes[index].entries.first { $0.record == existing }?.uid ?? 0
                return (state.mailboxes[index].uidValidity, uid, existing)
            }
            let id = state.nextRecord
            state.nextRecord += 1
            let gmailID = state.nextGmailID
            state.nextGmailID += 1
            var labels: [String] = []
            if gmail {
                for added in [label].compactMap({ $0 }) + extraLabels where !labels.contains(added) { labels.append(added) }
                if flags.contains(where: { $0.lowercased() == "\\flagged" }) && !labels.contains("\\Starred") { labels.append("\\Starred") }
            }
            var recordFlags = flags
            if gmail && labels.contains("\\Starred") && !recordFlags.contains(where: { $0.lowercased() == "\\flagged" }) {
                recordFlags.append("\\Flagged")
            }
            state.records[id] = Record(
                bytes: bytes, flags: recordFlags, internalDate: internalDate, messageID: messageID,
                gmailMessageID: gmailID, gmailThreadID: threadID ?? gmailID, labels: labels)
            if gmail {
                Self.sync(record: id, in: &state)
            } else {
                let uid = state.mailboxes[index].uidNext
                state.mailboxes[index].entries.append(Entry(uid: uid, record: id))
                state.mailboxes[index].uidNext += 1
            }
            let uid = state.mailboxes[index].entries.first { $0.record == id }?.uid ?? 0
            return (state.mailboxes[index].uidValidity, uid, id)
        }
    }

    /// Changes the flags of messages in `name`; returns the changed items.
    func store(in name: String, uids: Set<UInt32>, operation: FlagOperation, flags: [String]) throws(Failure) -> [Item] {
        try state.withLock { state throws(Failure) -> [Item] in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            var changed: [Item] = []
            for entry in state.mailboxes[index].entries where uids.contains(entry.uid) {
                guard var record = state.records[entry.record] else { continue }
                let wasFlagged = record.flags.contains { $0.lowercased() == "\\flagged" }
                record.flags = operation.apply(flags, to: record.flags)
                let isFlagged = record.flags.contains { $0.lowercased() == "\\flagged" }
                if gmail && wasFlagged != isFlagged {
                    if isFlagged { record.labels.append("\\Starred") } else { record.labels.removeAll { $0 == "\\Starred" } }
                }
                state.records[entry.record] = record
                changed.append(Item(uid: entry.uid, record: entry.record, data: record))
            }
            if gmail { for item in changed { Self.sync(record: item.record, in: &state) } }
            return changed
        }
    }

    /// Removes the messages of `name` whose UIDs are in `uids` (all when nil) and that carry
    /// `\Deleted`; returns their UIDs. Gmail mode: in a label mailbox the label goes; in All
    /// Mail the message goes everywhere.
    func expunge(in name: String, uids: Set<UInt32>?) throws(Failure) -> [UInt32] {
        try state.withLock { state throws(Failure) -> [UInt32] in
            guard let index = Self.index(of: name, in: state) else { throw .noSuchMailbox }
            var removed: [UInt32] = []
            let mailbox = state.mailboxes[index]
            for entry in mailbox.entries where uids.map({ $0.contains(entry.uid) }) ?? true {
                guard let record = state.records[entry.record], record.flags.contains(where: { $0.lowercased() == "\\deleted" }) else { continue }
                removed.append(entry.uid)
                switch mailbox.view {
                case .own, .allMail:
                    state.records[entry.record] = nil
                    for other in state.mailboxes.indices { state.mailboxes[other].entries.removeAll { $0.record == entry.record } }
                case .label(let label):
                    state.records[entry.record]?.labels.removeAll { $0.lowercased() == label.lowercased() }
                    state.records[entry.record]?.flags.removeAll { $0.lowercased() == "\\deleted" }
                    Self.sync(record: entry.record, in: &state)
                }
            }
            return removed
        }
    }

    /// Copies messages of `source` into `target`; returns the target's UIDVALIDITY and the
    /// (source UID, new UID) pairs. Gmail mode: the target's label is added.
    func copy(from source: String, uids: Set<UInt32>, to target: String) throws(Failure) -> (UInt32, [(UInt32, UInt32)]) {
        let items = try self.items(in: source).filter { uids.contains($0.uid) }
        var pairs: [(UInt32, UInt32)] = []
        var validity: UInt32 = 0
        for item in items {
            if gmail {
                let result = try state.withLock { state throws(Failure) -> (UInt32, UInt32) in
                    guard let index = Self.index(of: target, in: state) else { throw .noSuchMailbox }
                    guard state.mailboxes[index].selectable else { throw .notSelectable }
                    if case .label(let label) = state.mailboxes[index].view, !Self.hasLabel(state.records[item.record]!, label) {
                        state.records[item.record]?.labels.append(label)
                    }
                    Self.sync(record: item.record, in: &state)
                    let uid = state.mailboxes[index].entries.first { $0.record == item.record }?.uid ?? 0
                    return (state.mailboxes[index].uidValidity, uid)
                }
                validity = result.0
                pairs.append((item.uid, result.1))
            } else {
                let result = try append(to: target, bytes: item.data.bytes, flags: item.data.flags, internalDate: item.data.internalDate)
                validity = result.validity
                pairs.append((item.uid, result.uid))
            }
        }
        if items.isEmpty { validity = try withMailbox(target) { $0.uidValidity } }
        return (validity, pairs)
    }

    /// Takes messages out of `name` regardless of `\Deleted` (the second half of MOVE).
    func remove(from name: String, uids: Set<UInt32>) throws(Failure) -> [UInt32] {
        _ = try store(in: name, uids: uids, operation: .add, flags: ["\\Deleted"])
        return try expunge(in: name, uids: uids)
    }

    // MARK: - Gmail views

    static func hasLabel(_ record: Record, _ label: String) -> Bool {
        record.labels.contains { $0 == label || ($0.hasPrefix("\\") && $0.lowercased() == label.lowercased()) }
    }

    /// Puts a record into exactly the views its labels name (new UIDs where it arrives).
    static func sync(record id: Int, in state: inout State) {
        let record = state.records[id]
        for index in state.mailboxes.indices {
            let belongs: Bool
            switch state.mailboxes[index].view {
            case .own: continue
            case .allMail: belongs = record.map { !hasLabel($0, "\\Trash") && !hasLabel($0, "\\Spam") } ?? false
            case .label(let label): belongs = record.map { hasLabel($0, label) } ?? false
            }
            let present = state.mailboxes[index].entries.contains { $0.record == id }
            if belongs && !present {
                state.mailboxes[index].entries.append(Entry(uid: state.mailboxes[index].uidNext, record: id))
                state.mailboxes[index].uidNext += 1
            } else if !belongs && present {
                state.mailboxes[index].entries.removeAll { $0.record == id }
            }
        }
    }

    /// Fills a new Gmail view with the records that already carry its label.
    private static func fill(_ mailbox: inout Mailbox, from records: [Int: Record]) {
        guard mailbox.view != .own else { return }
        for id in records.keys.sorted() {
            let record = records[id]!
            let belongs: Bool
            switch mailbox.view {
            case .own: belongs = false
            case .allMail: belongs = !hasLabel(record, "\\Trash") && !hasLabel(record, "\\Spam")
            case .label(let label): belongs = hasLabel(record, label)
            }
            if belongs {
                mailbox.entries.append(Entry(uid: mailbox.uidNext, record: id))
                mailbox.uidNext += 1
            }
        }
    }
}

/// STORE's `+FLAGS`, `-FLAGS` and `FLAGS`.
enum FlagOperation: Sendable {
    case add, remove, replace

    func apply(_ flags: [String], to current: [String]) -> [String] {
        switch self {
        case .replace:
            var result: [String] = []
            for flag in flags where !result.contains(where: { $0.lowercased() == flag.lowercased() }) { result.append(flag) }
            return result
        case .add:
            var result = current
            for flag in flags where !result.contains(where: { $0.lowercased() == flag.lowercased() }) { result.append(flag) }
            return result
        case .remove:
            return current.filter { flag in !flags.contains { $0.lowercased() == flag.lowercased() } }
        }
    }
}
