import Foundation

/// A store MailFerry reads from: lists folders and streams their messages.
///
/// Implementations (Maildir, mbox, IMAP, …) live in the `Stores` module; the engine knows them
/// only through this protocol. A source never modifies what it reads.
public protocol MessageSource: Sendable {
    /// The store as the user named it, without secrets (`mbox:/home/me/old.mbox`).
    var displayName: String { get }
    var capabilities: StoreCapabilities { get }
    /// Every folder, in the store's order.
    func listFolders() async throws -> [FolderInfo]
    /// Exact count and size of one folder; may read the whole folder.
    func status(of folder: FolderInfo) async throws -> FolderStatus
    /// The messages of one folder that `selection` includes, one at a time, read only as fast as
    /// they are consumed. A source whose keys do not pin a message's content (mbox offsets) may
    /// yield messages outside the selection; the engine filters again by key and fingerprint.
    func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream
    /// The current flags of a folder's messages — only those changed since `token` (an earlier
    /// ``FlagListing/token``) when the store can tell (IMAP CONDSTORE). `nil` when the store
    /// cannot list flags without reading every message.
    func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing?
    /// Releases connections and locks.
    func close() async
    /// Entries the listing passed over and why (files that are not mailboxes), for the report.
    func listingProblems() async -> [MailError]
    /// Deletes messages whose copies are confirmed (only when the user asked, and only stores
    /// whose ``StoreCapabilities/removesCopiedMessages`` is set). All or nothing where the
    /// protocol allows it: POP3 deletes only when the server accepts QUIT.
    func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult
}

extension MessageSource {
    public func listingProblems() async -> [MailError] { [] }

    public func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult {
        throw MailError(.unsupported, scope: .folder, retry: .never, "\(displayName) cannot delete messages after copying them")
    }

    /// Every message of the folder.
    public func messages(in folder: FolderInfo) async throws -> MessageStream {
        try await messages(in: folder, selection: .all)
    }

    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? { nil }
}

/// Which messages of a folder to read: all but those already copied, or only some (a retry).
public struct MessageSelection: Sendable {
    /// Keys not to read.
    public var skipping: Set<SourceKey>
    /// When set, read only these keys.
    public var only: Set<SourceKey>?
    /// What the run's message filter will keep, as a hint a source may use to read less (IMAP
    /// `UID SEARCH`); the engine filters every message again, so a source may ignore it.
    public var hint: FilterHint?

    public init(skipping: Set<SourceKey> = [], only: Set<SourceKey>? = nil, hint: FilterHint? = nil) {
        self.skipping = skipping
        self.only = only
        self.hint = hint
    }

    public static let all = MessageSelection()

    public func includes(_ key: SourceKey) -> Bool {
        if let only, !only.contains(key) { return false }
        return !skipping.contains(key)
    }

    /// Whether every key is included (nothing to filter).
    public var isAll: Bool { only == nil && skipping.isEmpty }
}

/// The messages a run's filter keeps (`mailferry archive --older-than`), for sources that can
/// leave the others out without reading them.
public struct FilterHint: Sendable, Hashable {
    /// Only messages that arrived before this date are wanted.
    public var arrivedBefore: Date?
    /// Only messages that arrived on or after this date.
    public var arrivedSince: Date?
    /// Only messages of at least / at most this many bytes.
    public var minimumSize: Int?
    public var maximumSize: Int?
    /// Only messages with `\Seen`.
    public var seenOnly: Bool
    /// Only messages without `\Seen`.
    public var unseenOnly: Bool
    /// Only messages without `\Flagged`.
    public var unflaggedOnly: Bool
    /// Only messages whose field (lower-case name) contains the text (any case): a server-side
    /// narrowing of header rules, which the engine then checks exactly.
    public var headerContains: [HeaderContains]

    public struct HeaderContains: Sendable, Hashable {
        public var field: String
        public var text: String

        public init(field: String, text: String) {
            self.field = field
            self.text = text
        }
    }

    public init(
        arrivedBefore: Date? = nil, arrivedSince: Date? = nil, minimumSize: Int? = nil, maximumSize: Int? = nil,
        seenOnly: Bool = false, unseenOnly: Bool = false, unflaggedOnly: Bool = false,
        headerContains: [(field: String, text: String)] = []
    ) {
        self.headerContains = headerContains.map { HeaderContains(field: $0.field, text: $0.text) }
        self.arrivedBefore = arrivedBefore
        self.arrivedSince = arrivedSince
        self.minimumSize = minimumSize
        self.maximumSize = maximumSize
        self.seenOnly = seenOnly
        self.unseenOnly = unseenOnly
        self.unflaggedOnly = unflaggedOnly
    }
}

/// A folder's flags as ``MessageSource/flags(in:changedSince:)`` lists them.
public struct FlagListing: Sendable {
    public struct Entry: Sendable {
        public var key: SourceKey
        public var flags: FlagSet
        /// The content's fingerprint, when the source had to read it anyway (mbox), so that a
        /// reused key is not taken for the message copied under it.
        public var fingerprint: Fingerprint?

        public init(key: SourceKey, flags: FlagSet, fingerprint: Fingerprint? = nil) {
            self.key = key
            self.flags = flags
            self.fingerprint = fingerprint
        }
    }

    public var entries: [Entry]
    /// `true` when every message is listed; `false` when only those changed since the token.
    public var isComplete: Bool
    /// Pass this as `changedSince` next time (an IMAP HIGHESTMODSEQ).
    public var token: String?

    public init(entries: [Entry], isComplete: Bool, token: String?) {
        self.entries = entries
        self.isComplete = isComplete
        self.token = token
    }
}

/// One item a source yields: a message, or a problem with one message that does not stop the folder.
public enum SourceItem: Sendable {
    case message(MessageEnvelope)
    /// A message that could not be read; the error has scope `.message` and names it.
    case failure(MailError)
    /// Something worth reporting about a message that was still read (a `From ` line without a date).
    case warning(MailError)
}

/// Reads a folder's messages one at a time; owned by the task that consumes it.
public protocol MessageReader: AnyObject {
    /// The next item, or `nil` at the end of the folder. Throws for folder- or store-wide failures.
    func next() async throws -> SourceItem?
    /// Progress through the folder in bytes, for ETAs (e.g. the offset in an mbox file).
    var bytesConsumed: Int { get }
    /// A remark about the folder as read, once it has been read (e.g. the mbox dialect found).
    var note: String? { get }
    /// The bytes ``bytesConsumed`` will reach at the end, once the reader knows (after an IMAP
    /// reader listed the messages it will fetch), for a progress total that leaves out what a
    /// rerun skips.
    var bytesExpected: Int? { get }
    func close()
}

extension MessageReader {
    public var note: String? { nil }
    public var bytesExpected: Int? { nil }
}

/// A folder's messages as an `AsyncSequence`; pulling the next element is what makes the source
/// read more, so a slow sink slows the source (back-pressure) instead of filling memory.
public struct MessageStream: AsyncSequence {
    public typealias Element = SourceItem
    public let reader: any MessageReader

    public init(_ reader: any MessageReader) { self.reader = reader }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: any MessageReader
        public mutating func next() async throws -> SourceItem? { try await reader.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
}
