import Foundation
import MailCore
import MailFormats

/// An mbox file (one folder) or a directory of mbox files (a folder tree), as a source and a sink.
///
/// Reading detects the dialect (see `MboxDialect`), maps `Status`/`X-Status`/`X-Keywords` (and
/// Thunderbird's `X-Mozilla-Status`) to flags and the `From ` line date to the arrival date.
/// Writing appends mboxrd under a dotlock and an `fcntl` lock and never rewrites existing bytes;
/// `.gz` files are read and appended compressed. Deleting copied messages (`--delete-from-source`)
/// rewrites a plain file under the same locks (see `MboxStore+Removal`); `.gz` files refuse it.
public final class MboxStore: MessageSource, MessageSink {
    enum Shape: Sendable {
        case file(path: String, compressed: Bool)
        case directory(MboxDirectory)
    }

    let shape: Shape
    public let options: StoreOptions
    public let capabilities: StoreCapabilities
    /// Opened as a destination: its listing then carries each file's identity (a source's
    /// keys do not depend on it, and a source rewritten by a mail client is not "replaced").
    private let isSink: Bool

    public var displayName: String {
        switch shape {
        case .file(let path, _): return "mbox:\(path)"
        case .directory(let directory): return "mbox:\(directory.root)/"
        }
    }

    var readerOptions: MboxReader.Options { MboxReader.Options(dialect: options.mboxDialect) }

    /// Opens an existing mbox file or directory for reading.
    public init(openingSource path: String, options: StoreOptions) throws {
        self.options = options
        isSink = false
        switch MboxFile.kind(path) {
        case .directory:
            shape = .directory(MboxDirectory(root: path))
        case .file:
            if let reason = MboxFile.notMboxReason(path) {
                throw MailError.store(.notAMailbox, reason, path: path)
            }
            shape = .file(path: path, compressed: MboxFile.isCompressed(path))
        case .missing:
            throw MailError.store(.notFound, "no mbox file or directory at this path", path: path)
        case .other:
            throw MailError.store(.notAMailbox, "not a regular file or directory", path: path)
        }
        capabilities = Self.capabilities(for: shape)
    }

    /// Opens an mbox file or directory for writing. A path ending in `/` or naming an existing
    /// directory is a directory of mbox files; otherwise it is one file (gzip when it ends in `.gz`).
    public init(openingSink path: String, options: StoreOptions) throws {
        self.options = options
        isSink = true
        switch MboxFile.kind(path) {
        case .directory:
            shape = .directory(MboxDirectory(root: path))
        case .file:
            shape = .file(path: path, compressed: MboxFile.isCompressed(path))
        case .missing where path.hasSuffix("/"):
            try MboxFile.makeDirectories(path)
            shape = .directory(MboxDirectory(root: path))
        case .missing:
            let parent = (path as NSString).deletingLastPathComponent
            guard parent.isEmpty || MboxFile.kind(parent) == .directory else {
                throw MailError.store(.notFound, "the directory for this mbox file does not exist", path: parent)
            }
            shape = .file(path: path, compressed: path.hasSuffix(".gz"))
        case .other:
            throw MailError.store(.unwritable, "not a regular file or directory", path: path)
        }
        capabilities = Self.capabilities(for: shape)
    }

    private static func capabilities(for shape: Shape) -> StoreCapabilities {
        let hierarchy: StoreCapabilities.Hierarchy
        if case .file = shape { hierarchy = .single } else { hierarchy = .tree }
        var capabilities = StoreCapabilities(systemFlags: .all, keywords: .unlimited, internalDate: true, hierarchy: hierarchy)
        // Deleting copied messages rewrites a plain file (MboxStore+Removal); a gzip file is refused.
        if case .file(_, compressed: true) = shape {} else { capabilities.removesCopiedMessages = true }
        return capabilities
    }

    public func listFolders() async throws -> [FolderInfo] {
        switch shape {
        case .file(let path, _):
            let token = MboxFile.stateToken(path)
            return [
                FolderInfo(
                    path: .inbox, byteCount: MboxFile.size(path), location: path, validity: sinkIdentity(path),
                    contentToken: token, flagToken: token)
            ]
        case .directory(let directory):
            return try directory.list().folders.map {
                let token = MboxFile.stateToken($0.file)
                return FolderInfo(
                    path: $0.path, byteCount: MboxFile.size($0.file), location: $0.file, validity: sinkIdentity($0.file),
                    contentToken: token, flagToken: token)
            }
        }
    }

    /// A destination file's identity, as its writer reports it (see ``MboxFolderWriter/identity(of:)``).
    private func sinkIdentity(_ file: String) -> String? { isSink ? MboxFolderWriter.identity(of: file) : nil }

    /// Files in a directory source that are not mbox files, with the reason.
    public func listingProblems() async -> [MailError] {
        guard case .directory(let directory) = shape, let skipped = try? directory.list().skipped else { return [] }
        return skipped.map { MailError(.notAMailbox, scope: .folder, retry: .never, "skipped: \($0.reason)", path: $0.file) }
    }

    func file(for folder: FolderInfo) throws -> String {
        if let location = folder.location { return location }
        switch shape {
        case .file(let path, _): return path
        case .directory(let directory): return try directory.file(for: folder.path, create: false)
        }
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        do {
            return try MboxFile.status(of: try file(for: folder), options: readerOptions, lockTimeout: options.lockTimeout)
        } catch let error as MailError {
            throw error.inFolder(folder.path)
        }
    }

    /// Every message, whatever the selection: an offset does not pin a message (the file may
    /// have been rewritten), so the engine compares fingerprints instead.
    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        let path = try file(for: folder)
        do {
            let input = try MboxFile.openForReading(path, lockTimeout: options.lockTimeout)
            return MessageStream(MboxMessageReader(reader: MboxReader(input: input, options: readerOptions), folder: folder.path))
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder.path)
        }
    }

    /// Flags from the bookkeeping headers, with each message's fingerprint (the whole file is read).
    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? {
        var entries: [FlagListing.Entry] = []
        let stream = try await messages(in: folder, selection: .all)
        defer { stream.reader.close() }
        for try await item in stream {
            if case .message(let envelope) = item {
                entries.append(FlagListing.Entry(key: envelope.key, flags: envelope.flags, fingerprint: envelope.fingerprint))
            }
        }
        return FlagListing(entries: entries, isComplete: true, token: MboxFile.stateToken(try file(for: folder)))
    }

    public func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        let file: String
        let compressed: Bool
        switch shape {
        case .file(let filePath, let isCompressed):
            file = filePath
            compressed = isCompressed
        case .directory(let directory):
            file = try directory.file(for: path, create: true)
            compressed = MboxFile.kind(file) == .file && MboxFile.isCompressed(file)
        }
        return MboxFolderWriter(
            file: file, compressed: compressed, folder: path, readerOptions: readerOptions, lockTimeout: options.lockTimeout)
    }

    public func close() async {}
}

/// Adapts ``MboxReader`` to the store protocol: warnings first, then the message.
final class MboxMessageReader: MessageReader {
    private let reader: MboxReader
    private let folder: FolderPath
    private var queued: [SourceItem] = []

    init(reader: MboxReader, folder: FolderPath) {
        self.reader = reader
        self.folder = folder
    }

    var bytesConsumed: Int { reader.fileOffset }

    /// The dialect the file showed, once read.
    var note: String? {
        let evidence = reader.evidence
        let dialect = reader.options.dialect.map { "\($0.rawValue) (as asked)" }
            ?? evidence.dialect.map(\.rawValue) ?? "mboxo/mboxrd (no quoted From lines)"
        return "mbox dialect: \(dialect)"
    }

    func next() async throws -> SourceItem? {
        if !queued.isEmpty { return queued.removeFirst() }
        let item: MboxReader.Item?
        do {
            item = try reader.next()
        } catch let error as MailError {
            throw error.inFolder(folder)
        }
        switch item {
        case nil:
            return nil
        case .failure(let error):
            return .failure(error.inFolder(folder))
        case .message(let message):
            let envelope = MessageEnvelope(
                data: message.data, folder: folder, key: SourceKey("offset:\(message.offset)"), number: message.number,
                flags: message.flags, internalDate: message.fromLine.date ?? message.headers.date,
                messageID: message.headers.messageID, dateHeader: message.headers.date, fingerprint: message.fingerprint)
            queued = message.warnings.map { .warning($0.inFolder(folder)) } + [.message(envelope)]
            return queued.removeFirst()
        }
    }

    func close() { reader.close() }
}

