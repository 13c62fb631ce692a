/// What a store can keep of a message, so that the engine can *report* what a copy loses
/// (keywords into a store without them, say) instead of dropping it silently.
public struct StoreCapabilities: Sendable, Hashable, Codable {
    /// How many distinct keywords a folder can hold.
    public enum KeywordSupport: Sendable, Hashable, Codable {
        case none
        /// At most this many per folder (Maildir's 26 `dovecot-keywords` letters).
        case limited(Int)
        case unlimited
    }

    /// How a store arranges folders.
    public enum Hierarchy: String, Sendable, Hashable, Codable {
        /// Exactly one folder (a single mbox file): everything copied in lands there.
        case single
        /// A tree of folders.
        case tree
    }

    public var systemFlags: FlagSet.System
    public var keywords: KeywordSupport
    /// Whether the arrival date survives (Maildir mtime, mbox `From ` line, IMAP INTERNALDATE).
    public var internalDate: Bool
    public var hierarchy: Hierarchy
    /// Largest message accepted, when the store has a limit.
    public var maximumMessageSize: Int?
    /// How many folders may be read or written at once (IMAP: its connection count; local: 1).
    public var maximumConcurrency: Int
    /// Whether flags of a stored message can be changed in place (`--sync-flags`).
    public var updatesFlags: Bool
    /// Whether, as a source, it can delete messages after they were copied (POP3).
    public var removesCopiedMessages = false
    /// Whether, as a sink, what it stores becomes durable only when ``MessageSink/close()``
    /// succeeds (an archive volume, which gets its final name once complete and verified):
    /// the engine then records messages as done only after that close.
    public var durableOnClose = false
    /// What repair may do to a message this sink refuses (IMAP: no NULs or stray CRs, ASCII
    /// headers without UTF8=ACCEPT) — all of it before sending under `--repair=always`; `nil`
    /// for stores that keep any bytes (files).
    public var requiredRepairs: RepairPolicy?
    /// Repairs the sink's wire needs before any message is sent, whatever the server would say:
    /// IMAP without BINARY (RFC 3516) cannot carry NUL in a literal (`[.nul]`); with BINARY the
    /// message goes as `literal8` instead. Empty for stores that keep any bytes.
    public var wireRepairs: Set<RepairKind> = []
    /// As a source: keys with this prefix name a message across all of the source's folders
    /// (Gmail's `gm:` X-GM-MSGID when each message is copied once), so a message the job copied
    /// from one folder is not copied again when it shows up in another (its labels changed).
    /// `nil`: keys are per folder.
    public var folderSpanningKeyPrefix: String?

    /// Whether some keys span folders (``folderSpanningKeyPrefix``).
    public var keysSpanFolders: Bool { folderSpanningKeyPrefix != nil }

    public init(
        systemFlags: FlagSet.System = .all, keywords: KeywordSupport = .unlimited, internalDate: Bool = true,
        hierarchy: Hierarchy = .tree, maximumMessageSize: Int? = nil, maximumConcurrency: Int = 1,
        updatesFlags: Bool = true
    ) {
        self.updatesFlags = updatesFlags
        self.systemFlags = systemFlags
        self.keywords = keywords
        self.internalDate = internalDate
        self.hierarchy = hierarchy
        self.maximumMessageSize = maximumMessageSize
        self.maximumConcurrency = maximumConcurrency
    }

    /// The flags of `flags` this store cannot keep at all (per-folder limits aside).
    public func unsupported(in flags: FlagSet) -> FlagSet {
        var lost = FlagSet(system: flags.system.subtracting(systemFlags))
        if case .none = keywords { lost.keywords = flags.keywords }
        return lost
    }
}
