/// A folder as a store lists it.
public struct FolderInfo: Sendable, Hashable {
    public var path: FolderPath
    /// Whether it can hold messages (IMAP `\Noselect` folders and bare directories cannot).
    public var isSelectable: Bool
    /// Number of messages, when the store knows it without reading them.
    public var messageCount: Int?
    /// Total size in bytes, when the store knows it cheaply (exact or close enough for an ETA).
    public var byteCount: Int?
    /// Where the folder lives, for people: a file or directory path, a server folder name.
    public var location: String?
    /// Whether the user subscribed to it, when the store knows (IMAP).
    public var isSubscribed: Bool?
    /// The folder's identity, when the store has one that changes if the folder is replaced
    /// (IMAP UIDVALIDITY). Message keys are only comparable under the same validity.
    public var validity: String?
    /// A cheap summary that changes whenever messages are added or removed (IMAP
    /// UIDVALIDITY/UIDNEXT/MESSAGES, a directory's modification time): equal tokens mean there is
    /// nothing new to copy.
    public var contentToken: String?
    /// A summary that changes whenever a flag changes (IMAP HIGHESTMODSEQ), when the store has one.
    public var flagToken: String?

    public init(
        path: FolderPath, isSelectable: Bool = true, messageCount: Int? = nil, byteCount: Int? = nil,
        location: String? = nil, isSubscribed: Bool? = nil, validity: String? = nil, contentToken: String? = nil,
        flagToken: String? = nil
    ) {
        self.validity = validity
        self.contentToken = contentToken
        self.flagToken = flagToken
        self.path = path
        self.isSelectable = isSelectable
        self.messageCount = messageCount
        self.byteCount = byteCount
        self.location = location
        self.isSubscribed = isSubscribed
    }
}

/// Exact message count and size of a folder (which may cost a scan of an mbox file).
public struct FolderStatus: Sendable, Hashable, Codable {
    public var messages: Int
    public var bytes: Int
    /// Messages the scan found unreadable or malformed (counted, not included in `messages`).
    public var unreadable: Int

    public init(messages: Int, bytes: Int, unreadable: Int = 0) {
        self.messages = messages
        self.bytes = bytes
        self.unreadable = unreadable
    }
}
