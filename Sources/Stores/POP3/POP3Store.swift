import Foundation
import MailCore
import POP3Client
import Synchronization

/// A POP3 mailbox as a source: one folder (INBOX, or the name given), read with pipelined RETR,
/// keyed by UIDL so that reruns fetch only what earlier runs did not copy.
///
/// POP3 keeps no flags and no folders: messages arrive with the flags the user chose
/// (``POP3SourceOptions/markSeen``) and the arrival date of their topmost `Received:` header.
/// Nothing is ever deleted unless the engine asks through ``removeCopied(_:in:)`` — and then only
/// when the server accepts QUIT, so a dropped connection deletes nothing.
///
/// One session is kept and reused: listing, reading and deleting happen in the same session
/// where possible, because many servers lock the mailbox for a session and message numbers are
/// valid only within one.
public final class POP3Store: MessageSource {
    public let endpoint: POP3Endpoint
    let configuration: POP3Configuration
    let settings: POP3SourceOptions
    public let capabilities: StoreCapabilities
    let folderPath: FolderPath
    /// The daily download budget (a profile's or `--daily-download-limit`), when one applies.
    let budget: TransferBudget?
    /// Told of every pause for the budget.
    let announce: (@Sendable (String) -> Void)?
    /// Where budget pauses are recorded for the engine's stall watchdog.
    let pauses: DeliberatePauses?

    /// A logged-in session and its listing, parked between uses.
    struct Session: Sendable {
        var connection: POP3Connection
        var listing: POP3Listing?
    }
    private let parked = Mutex<Session?>(nil)
    private let problems = Mutex<[MailError]>([])

    public var displayName: String { endpoint.description }

    /// Connects and logs in, so that a wrong password or an unreachable server fails here.
    public static func open(_ endpoint: POP3Endpoint, options: ConnectionOptions, settings: POP3SourceOptions) async throws -> POP3Store {
        let configuration = try options.pop3Configuration(for: endpoint)
        let budget = options.dailyBudget.map {
            TransferBudget(limit: $0, window: options.budgetWindow, side: "source", ledger: options.budgetLedger)
        }
        let store = try POP3Store(
            endpoint: endpoint, configuration: configuration, settings: settings, budget: budget, announce: options.throttleObserver,
            pauses: options.pauses)
        let connection = try await store.connect(scope: .store)
        store.park(Session(connection: connection, listing: nil))
        return store
    }

    private init(
        endpoint: POP3Endpoint, configuration: POP3Configuration, settings: POP3SourceOptions, budget: TransferBudget?,
        announce: (@Sendable (String) -> Void)?, pauses: DeliberatePauses?
    ) throws {
        self.budget = budget
        self.pauses = pauses
        self.announce = announce
        self.endpoint = endpoint
        self.configuration = configuration
        self.settings = settings
        guard let path = FolderPath(parsing: settings.folder, delimiter: "/") else {
            throw MailError(.invalidFolderName, scope: .store, retry: .never, "\"\(settings.folder)\" is not a folder name")
        }
        folderPath = path
        var capabilities = StoreCapabilities(
            systemFlags: [], keywords: .none, internalDate: false, hierarchy: .single, maximumConcurrency: 1,
            updatesFlags: false)
        capabilities.removesCopiedMessages = true
        self.capabilities = capabilities
    }

    func connect(scope: MailError.Scope) async throws -> POP3Connection {
        do {
            return try await POP3Connection.connect(configuration)
        } catch let error as POP3Error {
            throw Self.mailError(error, scope: scope, folder: nil)
        }
    }

    // MARK: - Sessions

    /// The parked session (or a new one), with its listing read.
    func checkout() async throws -> Session {
        var session: Session
        if let parked = parked.withLock({ value -> Session? in defer { value = nil }; return value }) {
            session = parked
        } else {
            session = Session(connection: try await connect(scope: .folder), listing: nil)
        }
        if session.listing == nil {
            do {
                let listing = try await POP3Listing.read(from: session.connection, folder: folderPath)
                session.listing = listing
                problems.withLock { $0 = listing.warnings }
            } catch {
                session.connection.close()
                throw error
            }
        }
        return session
    }

    /// Parks a session whose responses were all read, for the next use.
    func park(_ session: Session) {
        let previous = parked.withLock { value -> Session? in
            defer { value = session }
            return value
        }
        previous?.connection.close()
    }

    // MARK: - MessageSource

    public func listFolders() async throws -> [FolderInfo] {
        let session = try await checkoutMapped()
        park(session)
        let listing = session.listing!
        return [
            FolderInfo(
                path: folderPath, messageCount: listing.entries.count, byteCount: listing.totalBytes,
                location: endpoint.description, contentToken: listing.contentToken)
        ]
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        let session = try await checkoutMapped()
        park(session)
        return FolderStatus(messages: session.listing!.entries.count, bytes: session.listing!.totalBytes)
    }

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        MessageStream(POP3FolderReader(store: self, folder: folderPath, selection: selection))
    }

    public func listingProblems() async -> [MailError] { problems.withLock { $0 } }

    /// Ends the parked session with QUIT, not waiting for the answer: nothing was marked for
    /// deletion in it (deleting sessions QUIT and wait in ``removeCopied(_:in:)``).
    public func close() async {
        guard let session = parked.withLock({ value -> Session? in defer { value = nil }; return value }) else { return }
        await session.connection.leave()
    }

    /// Checks out a session, turning protocol errors into store errors.
    private func checkoutMapped() async throws -> Session {
        do {
            return try await checkout()
        } catch let error as POP3Error {
            throw Self.mailError(error, scope: .store, folder: folderPath)
        }
    }

    static func mailError(_ error: POP3Error, scope: MailError.Scope, folder: FolderPath?) -> MailError {
        var scope = scope
        var retry: MailError.Retry = error.isTransient ? .now : .never
        switch error {
        case .authenticationFailed, .noUsableMechanism, .stlsUnavailable, .tlsFailed, .bytesBeforeTLS, .refusedByServer:
            scope = .store
            if error.isTransient { retry = .later }
        case .connectionFailed:
            scope = .store
            retry = .later
        case .commandFailed(_, let status) where status.isTemporary:
            retry = .later
        default: break
        }
        return MailError(.unreadable, scope: scope, retry: retry, error.description, folder: folder)
    }
}

/// How POP3 mail arrives in the destination.
public struct POP3SourceOptions: Sendable {
    /// The folder POP3 mail is copied as (and so into): INBOX by default.
    public var folder = "INBOX"
    /// Give copied messages `\Seen` (POP3 has no flags; by default they arrive unread).
    public var markSeen = false

    public init() {}
}
