import Foundation

/// A store MailFerry writes to: prepares folders and stores messages durably.
public protocol MessageSink: Sendable {
    var displayName: String { get }
    var capabilities: StoreCapabilities { get }
    /// The folders that exist already.
    func listFolders() async throws -> [FolderInfo]
    /// Opens `path` for writing, creating it (and its parents) when missing; `subscribe` asks a
    /// store with subscriptions (IMAP) to subscribe to it.
    func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter
    /// The part of ``close()`` that may run before the checkpoint's last in-flight marks are
    /// durable — for a sink durable only on close (``StoreCapabilities/durableOnClose``),
    /// everything but making its content visible: an archive finishes, fsyncs and verifies its
    /// volume here, and gets its final name only in ``close()``. Optional; ``close()`` does it
    /// when it was not called.
    func prepareClose() async throws
    /// Flushes and releases everything.
    func close() async throws
}

extension MessageSink {
    /// Nothing to prepare: ``close()`` does all.
    public func prepareClose() async throws {}
}

/// Writes messages into one folder; owned by the task that uses it.
public protocol FolderWriter: AnyObject {
    /// Where the folder is, for people (a directory, a file, a server folder name).
    var location: String { get }
    /// Stores every envelope of `batch` and returns one outcome per envelope, in order.
    ///
    /// When this returns, every `.stored` message has reached stable storage (file fsynced and
    /// renamed, APPENDUID received): a checkpoint may record it as done. Per-message problems are
    /// `.failed` outcomes; a thrown error means the folder (or store) failed and the outcome of the
    /// batch is unknown.
    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome]
    /// Finishes the folder (releases locks, syncs directories).
    func close() async throws

    /// The folder's identity: it changes when the folder is deleted and created again (IMAP
    /// UIDVALIDITY, a Maildir folder's `mailferry-folder-id`, an mbox file's inode or `absent`,
    /// an archive volume's id). A change tells a resumed run that what the checkpoint says
    /// was stored may be gone. `nil`: the folder has no identity to compare (every run writes a
    /// new one). Recorded when a folder is opened and again when it finishes (a file written for
    /// the first time has one only then); sinks list it in ``FolderInfo/validity`` so that a
    /// rerun with nothing new can compare it without opening the folder.
    var validity: String? { get }
    /// Whether `recorded` — the ``validity`` an earlier run recorded — names this same folder:
    /// equality, unless the store changed how it spells its identity and still knows the old
    /// spelling, or the recorded folder held nothing to lose (an mbox file or a volume not yet
    /// written).
    func isSameFolder(recorded: String) -> Bool
    /// Where the next stored messages will appear (IMAP UIDNEXT, an mbox file's size, the time),
    /// recorded with in-flight messages so ``locate(_:)`` knows where to look.
    func position() async throws -> String?
    /// Which of `messages` — written by a run that stopped before it learnt the outcome — the
    /// folder holds; returns the reference of each one found. Matching is by content
    /// (fingerprint), looking only where each message's position says it can be.
    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String]
    /// ``locate(_:)``, where the stored messages `claimed` (references the checkpoint records as
    /// done) are known to be other messages: none of them is taken for a pending one, so that a
    /// message stored twice (the same bytes twice in the source) is found only where its own copy
    /// is. Writers whose positions already rule those out need not implement it.
    func locate(_ messages: [PendingMessage], excluding claimed: Set<String>) async throws -> [SourceKey: String]
    /// The identities of every message the folder holds, for `--dedup` and for matching again
    /// after the folder was replaced.
    func existingMessages() async throws -> [StoredIdentity]
    /// Sets the flags of stored messages (by reference) to exactly the given ones; returns each
    /// message's reference afterwards (a Maildir file name changes), or `nil` where the message
    /// was not found or the store cannot change flags.
    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?]
}

extension FolderWriter {
    public func isSameFolder(recorded: String) -> Bool { recorded == validity }
}

/// A message a destination folder holds, as `--dedup` compares it.
public struct StoredIdentity: Sendable, Hashable {
    public var reference: String
    public var messageID: String?
    /// Size with CRLF line endings (``MessageData/crlfSize()``), comparable across stores.
    public var crlfSize: Int
    public var internalDate: Date?
    /// The content's fingerprint: always for messages without a Message-ID, otherwise when cheap.
    public var fingerprint: Fingerprint?

    public init(reference: String, messageID: String?, crlfSize: Int, internalDate: Date?, fingerprint: Fingerprint?) {
        self.reference = reference
        self.messageID = messageID
        self.crlfSize = crlfSize
        self.internalDate = internalDate
        self.fingerprint = fingerprint
    }
}

/// What happened to one message handed to a sink.
public enum DeliveryOutcome: Sendable {
    case stored(StoredMessage)
    case failed(MailError)
}

/// A message the sink stored.
public struct StoredMessage: Sendable, Hashable {
    /// The sink's durable reference: file name, APPENDUID, archive member.
    public var reference: String
    /// Flags the sink could not keep for this message (beyond what its capabilities say).
    public var droppedFlags: FlagSet

    public init(reference: String, droppedFlags: FlagSet = .empty) {
        self.reference = reference
        self.droppedFlags = droppedFlags
    }
}

extension FolderWriter {
    public func locate(_ messages: [PendingMessage], excluding claimed: Set<String>) async throws -> [SourceKey: String] {
        try await locate(messages)
    }
}
