/// What MailFerry knows about one mail provider: where its servers are, how to log in, which
/// folders play which role, and the limits it enforces. Built-in profiles come from
/// `profiles/*.toml` (compiled in by the EmbedProfiles plugin); users add or override their own.
public struct ProviderProfile: Sendable, Equatable {
    /// Lower-case identifier, `[a-z0-9-]+`; also the URL scheme (`gmail://me@gmail.com`).
    public var name: String
    /// The name people know the service by.
    public var displayName: String
    /// Address domains the profile is meant for (lower case), so an address can suggest it.
    public var domains: [String]
    /// One paragraph for `mailferry profiles show`: app passwords, OAuth, uncertain values.
    public var notes: String?
    /// The IMAP server, if the provider offers IMAP.
    public var imap: ServerEndpoint?
    /// The POP3 server, if the provider offers POP3.
    public var pop3: ServerEndpoint?
    public var folders: FolderHints
    public var limits: ProviderLimits
    public var throttle: ThrottleHints
    /// Repairs made before sending because the provider refuses or mangles such bytes (`[repair]`).
    public var repair: RepairHints

    public init(
        name: String, displayName: String, domains: [String] = [], notes: String? = nil,
        imap: ServerEndpoint? = nil, pop3: ServerEndpoint? = nil, folders: FolderHints = FolderHints(),
        limits: ProviderLimits = ProviderLimits(), throttle: ThrottleHints = ThrottleHints(),
        repair: RepairHints = RepairHints()
    ) {
        self.repair = repair
        self.name = name
        self.displayName = displayName
        self.domains = domains
        self.notes = notes
        self.imap = imap
        self.pop3 = pop3
        self.folders = folders
        self.limits = limits
        self.throttle = throttle
    }
}
