import Foundation
import IMAPClient
import IMAPCore
import MailCore
import Synchronization

/// Gmail as a source, label-aware: reads `[Gmail]/All Mail` once, learns every message's labels
/// (`X-GM-LABELS`) and id (`X-GM-MSGID`), and presents the folders the ``GmailLabelPolicy`` makes
/// of them — so each message is copied once (or once per label, if asked), archived mail with no
/// label is not lost, and a rerun recognises every message by its Gmail id whatever its UID.
/// Spam and Trash, which All Mail leaves out, are read as they are.
public final class GmailLabelSource: MessageSource {
    let store: IMAPStore
    public let policy: GmailLabelPolicy
    private let scan = Mutex<Scan?>(nil)
    /// All Mail's flags by UID, listed once per run for every label folder's `--sync-flags`.
    private let allMailFlags = Mutex<[UInt32: FlagSet]?>(nil)

    /// Where each All Mail message goes.
    struct Scan: Sendable {
        var allMail: FolderInfo
        var validity: UInt32
        /// UIDs by the folder the policy gives them, in UID order.
        var members: [FolderPath: [UInt32]]
        var sizes: [UInt32: Int]
        var messageIDs: [UInt32: UInt64]
        var labels: [UInt32: [String]]
        /// Spam and Trash, read as they are.
        var passThrough: [FolderInfo]
    }

    public var displayName: String { store.displayName }
    /// Once per message, its Gmail id names it whatever folder its labels give it now.
    public var capabilities: StoreCapabilities {
        var capabilities = store.capabilities
        capabilities.folderSpanningKeyPrefix = policy.mode == .oneFolder ? "gm:" : nil
        return capabilities
    }

    public init(store: IMAPStore, policy: GmailLabelPolicy) {
        self.store = store
        self.policy = policy
    }

    /// Whether the server is Gmail's (X-GM-EXT-1).
    public static func applies(to store: IMAPStore) -> Bool { store.serverCapabilities.contains("X-GM-EXT-1") }

    public func listFolders() async throws -> [FolderInfo] {
        let scan = try await loadScan()
        var folders: [FolderInfo] = scan.members.keys.sorted { a, b in
            if a.isInbox != b.isInbox { return a.isInbox }
            return a.displayName < b.displayName
        }.map { path in
            let uids = scan.members[path] ?? []
            return FolderInfo(
                path: path, messageCount: uids.count, byteCount: uids.reduce(0) { $0 + (scan.sizes[$1] ?? 0) },
                location: "\(scan.allMail.path.displayName) (labels)")
        }
        folders += scan.passThrough
        return folders
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        let scan = try await loadScan()
        if let uids = scan.members[folder.path] {
            return FolderStatus(messages: uids.count, bytes: uids.reduce(0) { $0 + (scan.sizes[$1] ?? 0) })
        }
        return try await store.status(of: folder)
    }

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        let scan = try await loadScan()
        guard let uids = scan.members[folder.path] else { return try await store.messages(in: folder, selection: selection) }
        // Keys are Gmail ids; the reader of All Mail selects by UID.
        var only = Set<SourceKey>()
        var keyByUID: [UInt32: SourceKey] = [:]
        for uid in uids {
            let key = Self.key(uid: uid, scan: scan)
            guard selection.includes(key) else { continue }
            only.insert(SourceKey("\(scan.validity):\(uid)"))
            keyByUID[uid] = key
        }
        let inner = try await store.messages(
            in: scan.allMail, selection: MessageSelection(only: only, hint: selection.hint))
        let placed = policy.place
        return MessageStream(
            GmailMessageReader(inner: inner.reader, folder: folder.path) { envelope in
                guard let ordinal = envelope.key.ordinal, let uid = UInt32(exactly: ordinal), let key = keyByUID[uid] else {
                    return envelope
                }
                var relabelled = envelope
                let labels = scan.labels[uid] ?? []
                relabelled.key = key
                relabelled.folder = folder.path
                relabelled.labels = labels
                for flag in placed(labels).flags.sorted { relabelled.flags.insert(flag) }
                return relabelled
            })
    }

    /// Flags of a label folder's messages (`--sync-flags`), read from All Mail and keyed by Gmail
    /// id, with the labels the policy turns into flags and keywords — as the copy gave them.
    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? {
        let scan = try await loadScan()
        guard let uids = scan.members[folder.path] else { return try await store.flags(in: folder, changedSince: token) }
        let byUID: [UInt32: FlagSet]
        if let listed = allMailFlags.withLock({ $0 }) {
            byUID = listed
        } else {
            guard let listing = try await store.flags(in: scan.allMail, changedSince: nil) else { return nil }
            var listed: [UInt32: FlagSet] = [:]
            for entry in listing.entries {
                if let ordinal = entry.key.ordinal, let uid = UInt32(exactly: ordinal) { listed[uid] = entry.flags }
            }
            allMailFlags.withLock { $0 = listed }
            byUID = listed
        }
        var entries: [FlagListing.Entry] = []
        for uid in uids {
            guard var flags = byUID[uid] else { continue }  // gone from All Mail since the scan
            for flag in policy.place(scan.labels[uid] ?? []).flags.sorted { flags.insert(flag) }
            entries.append(FlagListing.Entry(key: Self.key(uid: uid, scan: scan), flags: flags))
        }
        return FlagListing(entries: entries, isComplete: true, token: nil)
    }

    public func close() async { await store.close() }

    /// `gm:<X-GM-MSGID>`, or the UID key if the server gave no id.
    static func key(uid: UInt32, scan: Scan) -> SourceKey {
        scan.messageIDs[uid].map { SourceKey("gm:\($0)") } ?? SourceKey("\(scan.validity):\(uid)")
    }

    /// Reads All Mail's labels once per run.
    private func loadScan() async throws -> Scan {
        if let existing = scan.withLock({ $0 }) { return existing }
        let folders = try await store.listFolders()
        guard let allMail = folders.first(where: { $0.path.role == .all })
            ?? folders.first(where: { $0.path.components.last?.lowercased() == "all mail" })
        else {
            throw MailError.store(.notFound, "this Gmail account shows no All Mail folder (\\All); copy its folders with --gmail-labels folders")
        }
        let passThrough = folders.filter { $0.path.role == .junk || $0.path.role == .trash }
        var result = Scan(
            allMail: allMail, validity: 0, members: [:], sizes: [:], messageIDs: [:], labels: [:],
            passThrough: passThrough)
        let mailbox = store.mailbox(for: allMail.path)
        try await store.withConnection { connection in
            let examined = try await connection.execute(.examine(mailbox, condStore: false))
            var exists: UInt32 = 0
            for response in examined.untagged {
                switch response {
                case .exists(let count): exists = count
                case .condition(.ok, let text): if case .uidValidity(let value)? = text.code { result.validity = value }
                default: break
                }
            }
            try await IMAPFetchScan.runFolder(
                connection, exists: exists, limit: store.messageLimit(connection),
                items: ["UID", "RFC822.SIZE", "X-GM-LABELS", "X-GM-MSGID"]
            ) { message in
                let labels = (message.gmailLabels ?? []).map { String(decoding: $0, as: UTF8.self) }
                result.sizes[message.uid] = message.size ?? 0
                result.labels[message.uid] = labels
                if let id = message.gmailMessageID { result.messageIDs[message.uid] = id }
                for folder in policy.place(labels).folders { result.members[folder, default: []].append(message.uid) }
            }
            _ = try? await connection.executeAllowingFailure(.close)
        }
        for key in result.members.keys { result.members[key]?.sort() }
        let loaded = result
        scan.withLock { $0 = loaded }
        return loaded
    }
}

/// The All Mail reader, its envelopes re-keyed and re-foldered for a label folder.
final class GmailMessageReader: MessageReader {
    private let inner: any MessageReader
    private let folder: FolderPath
    private let transform: (MessageEnvelope) -> MessageEnvelope

    init(inner: any MessageReader, folder: FolderPath, transform: @escaping (MessageEnvelope) -> MessageEnvelope) {
        self.inner = inner
        self.folder = folder
        self.transform = transform
    }

    func next() async throws -> SourceItem? {
        switch try await inner.next() {
        case .message(let envelope)?: return .message(transform(envelope))
        case .failure(var error)?:
            error.folder = folder
            return .failure(error)
        case .warning(let error)?: return .warning(error)
        case nil: return nil
        }
    }

    var bytesConsumed: Int { inner.bytesConsumed }
    var bytesExpected: Int? { inner.bytesExpected }
    var note: String? { inner.note }
    func close() { inner.close() }
}
