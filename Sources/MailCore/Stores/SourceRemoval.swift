import Foundation

/// Messages a source is asked to delete because their copies are safe: each key is recorded as
/// done in the checkpoint, which the engine writes only after the sink confirmed the message
/// durable. Used by `--delete-after-copy` and `--delete-older-than` (POP3), never by default.
public struct RemovalRequest: Sendable {
    /// The messages whose copies are confirmed.
    public var keys: Set<SourceKey>
    /// When set, only messages that arrived before this date are deleted (the others stay until
    /// a later run); a message whose date cannot be told stays.
    public var olderThan: Date?
    /// The content fingerprint the checkpoint recorded for each key, when known. A store whose
    /// keys do not pin a message's content (mbox offsets) deletes a message only when its
    /// content still has this fingerprint.
    public var fingerprints: [SourceKey: Fingerprint]
    /// IMAP servers without UIDPLUS can only expunge every `\Deleted` message of a folder,
    /// including ones marked by someone else; they are refused unless this is set (`--force-expunge`).
    public var allowsPlainExpunge: Bool

    public init(
        keys: Set<SourceKey>, olderThan: Date? = nil, fingerprints: [SourceKey: Fingerprint] = [:],
        allowsPlainExpunge: Bool = false
    ) {
        self.keys = keys
        self.olderThan = olderThan
        self.fingerprints = fingerprints
        self.allowsPlainExpunge = allowsPlainExpunge
    }
}

/// What a source did with a ``RemovalRequest``.
public struct RemovalResult: Sendable, Hashable {
    /// Messages deleted (the server confirmed, e.g. POP3's QUIT answered +OK).
    public var removed: Int
    /// Messages kept because they are not older than the cutoff (or their date is unknown).
    public var kept: Int

    public init(removed: Int, kept: Int) {
        self.removed = removed
        self.kept = kept
    }
}
