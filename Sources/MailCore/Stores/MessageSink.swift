/// A store MailFerry writes to: prepares folders and stores messages durably.
public protocol MessageSink: Sendable {
    var displayName: String { get }
    var capabilities: StoreCapabilities { get }
    /// The folders that exist already.
    func listFolders() async throws -> [FolderInfo]
    /// Opens `path` for writing, creating it (and its parents) when missing; `subscribe` asks a
    /// store with subscriptions (IMAP) to subscribe to it.
    func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter
    /// Flushes and releases everything.
    func close() async throws
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
