import Foundation

/// What the checkpoint knows about one folder pair when a run starts copying it.
public struct FolderCheckpoint: Sendable {
    public typealias ID = Int64

    public var id: ID
    public var state: FolderState
    /// Messages stored, by source key, with the fingerprint they had (to notice a reused key).
    public var done: [SourceKey: DoneSummary]
    /// Messages a run was writing when it stopped; they are resolved before anything is sent.
    public var inFlight: [PendingMessage]
    /// Messages that failed, by source key.
    public var failed: [SourceKey: FailureSummary]

    public init(
        id: ID, state: FolderState = FolderState(), done: [SourceKey: DoneSummary] = [:],
        inFlight: [PendingMessage] = [], failed: [SourceKey: FailureSummary] = [:]
    ) {
        self.id = id
        self.state = state
        self.done = done
        self.inFlight = inFlight
        self.failed = failed
    }
}

/// A folder pair's state and message counts, read without loading its message rows.
public struct FolderOverview: Sendable, Hashable {
    public var state: FolderState
    public var done: Int
    public var inFlight: Int
    /// Failures worth trying again (retry `now` or `later`).
    public var retryableFailures: Int
    /// Failures that will fail again (retry `never`); only `--retry-failed` tries them.
    public var permanentFailures: Int

    public init(state: FolderState, done: Int, inFlight: Int, retryableFailures: Int, permanentFailures: Int) {
        self.state = state
        self.done = done
        self.inFlight = inFlight
        self.retryableFailures = retryableFailures
        self.permanentFailures = permanentFailures
    }
}

/// Folder-level state: enough to tell, without reading the folder, that nothing changed.
public struct FolderState: Sendable, Hashable {
    /// The source folder's identity (IMAP UIDVALIDITY); a change invalidates its keys.
    public var sourceValidity: String?
    /// The destination folder's identity (IMAP UIDVALIDITY, a directory's inode); a change means
    /// the destination was replaced and what it holds must be matched again.
    public var destinationValidity: String?
    /// The source's ``FolderInfo/contentToken`` when the folder was last copied completely.
    public var contentToken: String?
    /// The source's ``FolderInfo/flagToken`` when flags were last synchronised.
    public var flagToken: String?
    /// Messages the source folder held when it was last copied.
    public var lastMessageCount: Int?
    /// The highest ``SourceKey/ordinal`` stored (an IMAP UID), for people.
    public var highestOrdinal: UInt64?

    public init(
        sourceValidity: String? = nil, destinationValidity: String? = nil, contentToken: String? = nil,
        flagToken: String? = nil, lastMessageCount: Int? = nil, highestOrdinal: UInt64? = nil
    ) {
        self.sourceValidity = sourceValidity
        self.destinationValidity = destinationValidity
        self.contentToken = contentToken
        self.flagToken = flagToken
        self.lastMessageCount = lastMessageCount
        self.highestOrdinal = highestOrdinal
    }
}

