import Foundation
import MailCore

/// Which messages a run copies (`mailferry archive --older-than 365d`): by arrival date, and
/// keeping unread or flagged mail where it is unless asked, as archivemail's
/// `--preserve-unread` did. A message left out is not recorded anywhere, so it is considered
/// again by every later run.
public struct MessageFilter: Sendable, Hashable {
    /// Only messages that arrived before this date (the internal date, else the `Date:` header);
    /// a message with neither is left out.
    public var before: Date?
    /// Leave out messages without `\Seen`.
    public var skipUnread = false
    /// Leave out messages with `\Flagged`.
    public var skipFlagged = false

    public init(before: Date? = nil, skipUnread: Bool = false, skipFlagged: Bool = false) {
        self.before = before
        self.skipUnread = skipUnread
        self.skipFlagged = skipFlagged
    }

    /// The filter as a hint for sources that can apply it before reading (IMAP SEARCH).
    public var hint: FilterHint {
        FilterHint(arrivedBefore: before, seenOnly: skipUnread, unflaggedOnly: skipFlagged)
    }

    /// Whether `envelope` is copied.
    public func admits(_ envelope: MessageEnvelope) -> Bool {
        if skipUnread && !envelope.flags.system.contains(.seen) { return false }
        if skipFlagged && envelope.flags.system.contains(.flagged) { return false }
        if let before {
            guard let date = envelope.internalDate ?? envelope.dateHeader, date < before else { return false }
        }
        return true
    }
}
