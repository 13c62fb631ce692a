import Foundation
import IMAPClient
import IMAPCore
import MailCore
import Synchronization

/// An IMAP account as a source and as a sink.
///
/// Reading: LIST with special-use roles, EXAMINE (never SELECT: reading sets no `\Seen`),
/// `UID FETCH … BODY.PEEK[]` in batches, several in flight, bodies streamed into spools.
/// Writing: CREATE (with the server's delimiter and namespace prefix), SUBSCRIBE, APPEND with the
/// flags PERMANENTFLAGS allows and the arrival date, MULTIAPPEND or pipelined LITERAL+ when
/// offered; APPENDUID is the durable reference. Each folder uses its own connection from a pool,
/// so several folders move at once. Deleting copied messages (`--delete-from-source`) is the one
/// place that SELECTs a source folder read-write (see `IMAPStore+Removal`).
public final class IMAPStore: MessageSource, MessageSink {
    public let endpoint: IMAPEndpoint
    public let options: ConnectionOptions
    public let capabilities: StoreCapabilities
    let pool: IMAPConnectionPool
    /// Pauses for the server's back-offs and the daily budget; shared by every reader and writer.
    let throttle: IMAPThrottle
    let names: IMAPFolderNames
    let otherNamespaces: [[UInt8]]
    let serverCapabilities: Capabilities
    /// Wire names as LISTed, so a folder is opened by exactly the name the server gave.
    private let wireNames = Mutex<[FolderPath: MailboxName]>([:])
    /// Listed names kept whole because they do not split into levels, for the report.
    private let wholeNames = Mutex<[MailError]>([])

    public var displayName: String { endpoint.description }

    /// Connects (the first connection of the pool) so that a wrong password or an unreachable
    /// server fails here, with a store-scoped error.
    public static func open(_ endpoint: IMAPEndpoint, options: ConnectionOptions, side: String) async throws -> IMAPStore {
        let configuration = try options.configuration(for: endpoint, side: side)
        let pool = IMAPConnectionPool(configuration: configuration, maximum: options.connections, announce: options.throttleObserver)
        let connection = try await pool.acquire()
        do {
            if connection.capabilities.contains("UTF8=ACCEPT") { try? await connection.enable(["UTF8=ACCEPT"]) }
            var prefix: [UInt8] = []
            var delimiter: Character? = "/"
            var others: [[UInt8]] = []
            if connection.capabilities.contains("NAMESPACE") {
                let result = try await connection.execute(.namespace)
                for case .namespace(let namespace) in result.untagged {
                    if let personal = namespace.personal.first {
                        prefix = personal.prefix
                        delimiter = personal.delimiter
                    }
                    others = (namespace.otherUsers + namespace.shared).map(\.prefix)
                }
            } else {
                let result = try await connection.execute(
                    .list(reference: MailboxName(bytes: []), pattern: MailboxName(bytes: []), returnOptions: []))
                for case .list(let entry) in result.untagged { delimiter = entry.delimiter }
            }
            let serverCapabilities = connection.capabilities
            await pool.release(connection)
            return IMAPStore(
                endpoint: endpoint, options: options, pool: pool, side: side,
                names: IMAPFolderNames(prefix: prefix, delimiter: delimiter, utf8: connection.usesUTF8),
                otherNamespaces: others, serverCapabilities: serverCapabilities)
        } catch let error as IMAPError {
            await pool.release(connection)
            throw mailError(error, scope: .store)
        }
    }

    private init(
        endpoint: IMAPEndpoint, options: ConnectionOptions, pool: IMAPConnectionPool, side: String, names: IMAPFolderNames,
        otherNamespaces: [[UInt8]], serverCapabilities: Capabilities
    ) {
        self.endpoint = endpoint
        self.options = options
        self.pool = pool
        throttle = IMAPThrottle(
            pool: pool, side: side, budget: options.dailyBudget, window: options.budgetWindow, ledger: options.budgetLedger,
            announce: options.throttleObserver, pauses: options.pauses)
        self.names = names
        self.otherNamespaces = otherNamespaces
        self.serverCapabilities = serverCapabilities
        var capabilities = StoreCapabilities(
            systemFlags: .all, keywords: .unlimited, internalDate: true, hierarchy: .tree,
            maximumMessageSize: serverCapabilities.value(of: "APPENDLIMIT").flatMap(Int.init),
            maximumConcurrency: options.connections)
        // UID EXPUNGE with UIDPLUS; without it only when plain expunging is allowed (IMAPStore+Removal).
        capabilities.removesCopiedMessages = true
        // Servers may refuse or mangle NULs, stray CRs and (without UTF8=ACCEPT) raw 8-bit
        // headers: what a refusal's repair may do. NUL cannot go in a literal at all without BINARY.
        capabilities.requiredRepairs = RepairPolicy(encode8BitHeaders: !names.utf8)
        capabilities.wireRepairs = serverCapabilities.contains("BINARY") ? [] : [.nul]
        self.capabilities = capabilities
    }

    // MARK: - Folders

    /// Folder names the listing kept whole (see ``IMAPFolderNames/path(for:otherNamespaces:)``).
    public func listingProblems() async -> [MailError] { wholeNames.withLock { $0 } }

    public func listFolders() async throws -> [FolderInfo] {
        try await withConnection { connection in
            let extended = connection.capabilities.contains("LIST-EXTENDED")
            let returnOptions = extended
                ? ["SUBSCRIBED"] + (connection.capabilities.contains("SPECIAL-USE") ? ["SPECIAL-USE"] : []) : []
            let list = try await connection.execute(
                .list(reference: MailboxName(bytes: []), pattern: MailboxName(bytes: Array("*".utf8)), returnOptions: returnOptions))
            var subscribed: Set<[UInt8]>?
            if !extended {
                let lsub = try await connection.execute(
                    .lsub(reference: MailboxName(bytes: []), pattern: MailboxName(bytes: Array("*".utf8))))
                subscribed = Set(lsub.untagged.compactMap { if case .lsub(let entry) = $0 { entry.name } else { nil } })
            }
            var folders: [FolderInfo] = []
            var wire: [FolderPath: MailboxName] = [:]
            var whole: [MailError] = []
            for case .list(let entry) in list.untagged {
                guard var path = names.path(for: entry, otherNamespaces: otherNamespaces) else { continue }
                path.role = entry.attributes.lazy.compactMap(SpecialUse.init(attribute:)).first
                    ?? (path.components.count == 1 && !path.isInbox ? SpecialUse.guess(fromName: path.name) : nil)
                let selectable = !entry.hasAttribute("\\Noselect") && !entry.hasAttribute("\\NonExistent")
                let isSubscribed = subscribed.map { $0.contains(entry.name) } ?? entry.hasAttribute("\\Subscribed")
                wire[path] = MailboxName(bytes: entry.name)
                if let delimiter = entry.delimiter ?? names.delimiter, path.components.count == 1, path.name.contains(delimiter) {
                    whole.append(
                        MailError.folder(
                            .invalidFolderName,
                            "the server's folder name has an empty level (delimiter \"\(delimiter)\"); it is copied as one folder named by the whole name",
                            folder: path, retry: .never))
                }
                folders.append(
                    FolderInfo(
                        path: path, isSelectable: selectable, location: MailboxName(bytes: entry.name).description,
                        isSubscribed: isSubscribed))
            }
            wireNames.withLock { $0.merge(wire) { _, new in new } }
            wholeNames.withLock { $0 = whole }
            // Counts and sizes for progress and ETA, and the state a checkpoint compares, pipelined.
            let condStore = connection.capabilities.contains("CONDSTORE")
            let items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY"]
                + (connection.capabilities.contains("STATUS=SIZE") ? ["SIZE"] : [])
                + (condStore ? ["HIGHESTMODSEQ"] : [])
            var pending: [(Int, IMAPConnection.Submitted)] = []
            for (index, folder) in folders.enumerated() where folder.isSelectable {
                pending.append((index, try await connection.submit(.status(mailbox(for: folder.path), items: items))))
            }
            for (index, submitted) in pending {
                guard let result = try? await submitted.result(), result.tagged.status == .ok else { continue }
                for case .status(_, let values) in result.untagged {
                    Self.apply(status: values, to: &folders[index])
                }
            }
            return folders.sorted { $0.path < $1.path }
        }
    }

    /// Fills a folder's counts and checkpoint tokens from a STATUS response. Sizes are capped so
    /// that a hostile server's numbers cannot overflow a sum.
    static func apply(status values: [String: UInt64], to folder: inout FolderInfo) {
        folder.messageCount = values["MESSAGES"].map { Int(min($0, 1 << 40)) }
        folder.byteCount = values["SIZE"].map { Int(min($0, 1 << 40)) }
        if let validity = values["UIDVALIDITY"] {
            folder.validity = String(validity)
            if let next = values["UIDNEXT"], let messages = values["MESSAGES"] {
                folder.contentToken = "\(validity)/\(next)/\(messages)"
            }
            folder.flagToken = values["HIGHESTMODSEQ"].map { "\(validity)/\($0)" }
        }
    }

    /// How many messages one command may touch on `connection`.
    func messageLimit(_ connection: IMAPConnection) -> IMAPMessageLimit {
        IMAPMessageLimit(connection: connection, configured: options.messageLimit)
    }

    func mailbox(for path: FolderPath) -> MailboxName {
        wireNames.withLock { $0[path] } ?? names.mailbox(for: path).name
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        try await withConnection { connection in
            let items = connection.capabilities.contains("STATUS=SIZE") ? ["MESSAGES", "SIZE"] : ["MESSAGES"]
            let result = try await connection.execute(.status(mailbox(for: folder.path), items: items))
            var status = FolderStatus(messages: 0, bytes: 0)
            for case .status(_, let values) in result.untagged {
                status.messages = Int(min(values["MESSAGES"] ?? 0, 1 << 40))
                status.bytes = Int(min(values["SIZE"] ?? 0, 1 << 40))
            }
            if !items.contains("SIZE") && status.messages > 0 {
                // No STATUS=SIZE: add up RFC822.SIZE.
                let examined = try await connection.execute(.examine(mailbox(for: folder.path), condStore: false))
                var exists: UInt32 = 0
                for case .exists(let count) in examined.untagged { exists = count }
                var bytes = 0
                try await IMAPFetchScan.runFolder(
                    connection, exists: exists, limit: messageLimit(connection), items: ["UID", "RFC822.SIZE"]
                ) { message in bytes += message.size ?? 0 }
                status.bytes = bytes
            }
            return status
        }
    }

    // MARK: - Reading

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        let connection = try await pool.acquire()
        return MessageStream(
            IMAPFolderReader(
                store: self, folder: folder.path, mailbox: mailbox(for: folder.path), connection: connection,
                selection: selection))
    }

    /// Flags by UID: with CONDSTORE and a token from an earlier listing under the same
    /// UIDVALIDITY, only messages changed since (`CHANGEDSINCE`); otherwise all of them.
    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? {
        try await withConnection { connection in
            let condStore = connection.capabilities.contains("CONDSTORE")
            let examined = try await connection.execute(.examine(mailbox(for: folder.path), condStore: condStore))
            var validity: UInt32 = 0
            var highest: UInt64?
            var exists: UInt32 = 0
            for response in examined.untagged {
                switch response {
                case .exists(let count): exists = count
                case .condition(.ok, let text):
                    switch text.code {
                    case .uidValidity(let value)?: validity = value
                    case .highestModSeq(let value)?: highest = value
                    default: break
                    }
                default: break
                }
            }
            let limit = messageLimit(connection)
            var since: UInt64?
            // Sliced under a message limit, the listing is a whole one (the sliced FETCH sends no CHANGEDSINCE).
            if condStore, limit.slices(exists: exists) == nil, let token, let slash = token.firstIndex(of: "/"),
                token[..<slash] == String(validity)
            {
                since = UInt64(token[token.index(after: slash)...])
            }
            var entries: [FlagListing.Entry] = []
            try await IMAPFetchScan.runFolder(
                connection, exists: exists, limit: limit, items: ["UID", "FLAGS"], changedSince: since
            ) { message in
                if let flags = message.flags {
                    entries.append(FlagListing.Entry(key: SourceKey("\(validity):\(message.uid)"), flags: flags))
                }
            }
            _ = try? await connection.executeAllowingFailure(.close)
            return FlagListing(entries: entries, isComplete: since == nil, token: highest.map { "\(validity)/\($0)" })
        }
    }

    // MARK: - Writing

    public func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        let (name, note) = wireNames.withLock { $0[path] }.map { ($0, nil) } ?? names.mailbox(for: path)
        var connection = try await pool.acquire()
        var attempts = 0
        while true {
            do {
                let writer = try await IMAPFolderWriter.open(
                    store: self, folder: path, mailbox: name, connection: connection, subscribe: subscribe)
                writer.note = note
                return writer
            } catch let error as IMAPError where error.isTransient && attempts < 2 {
                // A pooled connection that died while idle (a NAT timeout): try a fresh one.
                attempts += 1
                do {
                    connection = try await pool.replace(connection)
                } catch let error as IMAPError {
                    throw Self.mailError(error, scope: .folder, folder: path)
                }
            } catch let error as IMAPError {
                await pool.release(connection)
                throw Self.mailError(error, scope: .folder, folder: path)
            } catch {
                await pool.release(connection)
                throw error
            }
        }
    }

    public func close() async { await pool.closeAll() }

    // MARK: - Helpers

    func withConnection<T>(_ body: (IMAPConnection) async throws -> T) async throws -> T {
        let connection = try await pool.acquire()
        do {
            let result = try await body(connection)
            await pool.release(connection)
            return result
        } catch let error as IMAPError {
            await pool.release(connection)
            throw Self.mailError(error, scope: .folder)
        } catch {
            await pool.release(connection)
            throw error
        }
    }

    /// An IMAP error in MailFerry's terms: scope, retry class and the server's words.
    static func mailError(_ error: IMAPError, scope: MailError.Scope, folder: FolderPath? = nil) -> MailError {
        var scope = scope
        var retry: MailError.Retry = error.isTransient ? .now : .never
        var code = MailError.Code.unreadable
        switch error {
        case .authenticationFailed, .noUsableMechanism, .startTLSUnavailable, .preauthWithoutTLS, .tlsFailed, .bytesBeforeTLS,
            .refusedByServer:
            scope = .store
            code = .unreadable
        case .connectionFailed:
            scope = .store
            retry = .later
        case .commandFailed(_, _, let text):
            switch text.code {
            case .overQuota?:
                code = .noSpace
                scope = .store
                retry = .later
            case .limit?: code = .tooLarge
            case .unavailable?: retry = .later
            default: break
            }
        default: break
        }
        return MailError(code, scope: scope, retry: retry, error.description, folder: folder)
    }
}
