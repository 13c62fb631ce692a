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
    /// The messages of one folder, one at a time, read only as fast as they are consumed.
    func messages(in folder: FolderInfo) async throws -> MessageStream
    /// Releases connections and locks.
    func close() async
    /// Entries the listing passed over and why (files that are not mailboxes), for the report.
    func listingProblems() async -> [MailError]
}

extension MessageSource {
    public func listingProblems() async -> [MailError] { [] }
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
    func close()
}

extension MessageReader {
    public var note: String? { nil }
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
