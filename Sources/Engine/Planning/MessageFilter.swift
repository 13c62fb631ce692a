import Foundation
import MailCore

/// Which messages a run copies: by arrival date, by size, by flags (`mailferry archive
/// --older-than 365d`, `mailferry copy --since 2024-01-01 --max-size 20M`). `archive` keeps
/// unread and flagged mail where it is unless asked, as archivemail's `--preserve-unread` did.
/// A message left out is not recorded anywhere, so it is considered again by every later run.
public struct MessageFilter: Sendable, Hashable {
    /// Only messages that arrived before this date (the internal date, else the `Date:` header);
    /// a message with neither is left out.
    public var before: Date?
    /// Only messages that arrived on or after this date (same dates as `before`).
    public var since: Date?
    /// Only messages of at least this many bytes (as the source stores them).
    public var minimumSize: Int?
    /// Only messages of at most this many bytes.
    public var maximumSize: Int?
    /// Leave out messages without `\Seen`.
    public var skipUnread = false
    /// Leave out messages with `\Seen`.
    public var skipSeen = false
    /// Leave out messages with `\Flagged`.
    public var skipFlagged = false
    /// Header rules: every `--header-match` must match, no `--header-exclude` may.
    public var headerRules: [HeaderRule] = []

    public init(
        before: Date? = nil, since: Date? = nil, minimumSize: Int? = nil, maximumSize: Int? = nil,
        skipUnread: Bool = false, skipSeen: Bool = false, skipFlagged: Bool = false
    ) {
        self.before = before
        self.since = since
        self.minimumSize = minimumSize
        self.maximumSize = maximumSize
        self.skipUnread = skipUnread
        self.skipSeen = skipSeen
        self.skipFlagged = skipFlagged
    }

    /// Whether it leaves anything out.
    public var isActive: Bool {
        before != nil || since != nil || minimumSize != nil || maximumSize != nil || skipUnread || skipSeen || skipFlagged
            || !headerRules.isEmpty
    }

    /// The filter as a hint for sources that can apply it before reading (IMAP SEARCH).
    public var hint: FilterHint {
        FilterHint(
            arrivedBefore: before, arrivedSince: since, minimumSize: minimumSize, maximumSize: maximumSize,
            seenOnly: skipUnread, unseenOnly: skipSeen, unflaggedOnly: skipFlagged,
            headerContains: headerRules.filter { !$0.excludes }.compactMap { rule in rule.literal.map { (rule.field, $0) } })
    }

    /// Whether `envelope` is copied.
    public func admits(_ envelope: MessageEnvelope) -> Bool {
        if skipUnread && !envelope.flags.system.contains(.seen) { return false }
        if skipSeen && envelope.flags.system.contains(.seen) { return false }
        if skipFlagged && envelope.flags.system.contains(.flagged) { return false }
        if let minimumSize, envelope.size < minimumSize { return false }
        if let maximumSize, envelope.size > maximumSize { return false }
        if before != nil || since != nil {
            guard let date = envelope.internalDate ?? envelope.dateHeader else { return false }
            if let before, date >= before { return false }
            if let since, date < since { return false }
        }
        if !headerRules.isEmpty {
            let header = (try? envelope.data.prefix(HeaderScanner.scanLimit)) ?? []
            for rule in headerRules where rule.matches(header) == rule.excludes { return false }
        }
        return true
    }
}
