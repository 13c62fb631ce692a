import MailArchive
import MailCore
import MailFormats

/// Options for the local stores, with their defaults.
public struct StoreOptions: Sendable {
    /// Layout for a new Maildir (an existing one keeps its own): Maildir++ by default, as Dovecot.
    public var maildirLayout: MaildirLayout?
    /// Deliver messages without flags into `new/` instead of `cur/` (default: all into `cur/`).
    public var maildirNewForUnseen = false
    /// Line endings written to Maildir files: LF (default), or `nil` to keep bytes as given.
    public var maildirLineEndings: LineEndings.Style? = .lf
    /// Force an mbox dialect when reading (default: detect; see `MboxDialect`).
    public var mboxDialect: MboxDialect?
    /// How long to wait for another program's lock on an mbox file, in seconds.
    public var lockTimeout: Double = 30
    /// Logging in to the source, when it is a server.
    public var source = ConnectionOptions()
    /// Logging in to the destination, when it is a server.
    public var destination = ConnectionOptions()
    /// Folder name and flags for mail read from a POP3 account.
    public var pop3 = POP3SourceOptions()
    /// The format of a new archive when its name does not tell (`--archive-format`).
    public var archiveFormat: ArchiveFormat?

    public init() {}
}

/// Opens the store an endpoint names.
public enum StoreFactory {
    /// Opens `endpoint` for reading. Throws a `.store`-scoped error when it cannot be used.
    public static func openSource(_ endpoint: StoreEndpoint, options: StoreOptions = StoreOptions()) async throws
        -> any MessageSource
    {
        switch endpoint {
        case .maildir(let path): return try MaildirStore(openingSource: path, options: options)
        case .mbox(let path): return try MboxStore(openingSource: path, options: options)
        case .imap(let imap): return try await IMAPStore.open(imap, options: options.source, side: "source")
        case .pop3(let pop3): return try await POP3Store.open(pop3, options: options.source, settings: options.pop3)
        case .archive(let path): return try ArchiveSource(path: path, options: options)
        }
    }

    /// Opens a destination for reading only (`verify`), logging in as the destination side.
    public static func openDestinationForReading(_ endpoint: StoreEndpoint, options: StoreOptions = StoreOptions()) async throws
        -> any MessageSource
    {
        switch endpoint {
        case .maildir(let path): return try MaildirStore(openingSource: path, options: options)
        case .mbox(let path): return try MboxStore(openingSource: path, options: options)
        case .imap(let imap): return try await IMAPStore.open(imap, options: options.destination, side: "destination")
        case .pop3: throw popIsSourceOnly
        case .archive(let path): return try ArchiveSource(path: path, options: options)
        }
    }

    /// Opens (creating when missing) `endpoint` for writing.
    public static func openSink(_ endpoint: StoreEndpoint, options: StoreOptions = StoreOptions()) async throws
        -> any MessageSink
    {
        switch endpoint {
        case .maildir(let path): return try MaildirStore(openingSink: path, options: options)
        case .mbox(let path): return try MboxStore(openingSink: path, options: options)
        case .imap(let imap): return try await IMAPStore.open(imap, options: options.destination, side: "destination")
        case .pop3: throw popIsSourceOnly
        case .archive(let path): return try ArchiveSink(path: path, format: options.archiveFormat)
        }
    }

    public static let popIsSourceOnly = MailError(
        .unsupported, scope: .store, retry: .never,
        "a POP3 account can only be a source: POP3 has no way to store mail (copy into imaps://, maildir: or mbox:)")
}
