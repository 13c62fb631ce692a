import Foundation
import MailCore
import MailFormats

/// A Maildir tree as a source and as a sink.
///
/// The root is INBOX; sub-folders use the tree's layout (Maildir++ `.A.B` or fs `A/B`, detected
/// on an existing tree, chosen by option for a new one). Flags map to `:2,` letters and
/// keywords to `dovecot-keywords` letters (26 per folder at most); the arrival date is the file
/// time. Delivery is tmp → fsync → rename, so a crash never leaves a partial message visible.
public final class MaildirStore: MessageSource, MessageSink {
    public let tree: MaildirTree
    public let options: StoreOptions
    public var displayName: String { "maildir:\(tree.root)" }

    public let capabilities = StoreCapabilities(
        systemFlags: .all, keywords: .limited(MaildirKeywords.maximumCount), internalDate: true, hierarchy: .tree)

    /// Opens an existing Maildir for reading; its layout is detected (the option only decides
    /// when the tree has no sub-folders to tell by).
    public init(openingSource path: String, options: StoreOptions) throws {
        let layout = MaildirTree.detectLayout(root: path) ?? options.maildirLayout ?? .maildirPlusPlus
        tree = MaildirTree(root: path, layout: layout)
        self.options = options
        guard tree.rootExists else {
            throw MailError.store(.notFound, "no Maildir at this path (no such directory)", path: path)
        }
        guard MaildirTree.isMaildir(path) || MaildirTree.detectLayout(root: path) != nil else {
            throw MailError.store(
                .notAMailbox, "not a Maildir: the directory has no cur/ and no Maildir sub-folders", path: path)
        }
    }

    /// Opens a Maildir for writing, creating it when missing.
    public init(openingSink path: String, options: StoreOptions) throws {
        let detected = MaildirTree.detectLayout(root: path)
        tree = MaildirTree(root: path, layout: detected ?? options.maildirLayout ?? .maildirPlusPlus)
        self.options = options
        try tree.prepareRoot()
    }

    public func listFolders() async throws -> [FolderInfo] {
        try tree.listFolders().map { folder in
            let status = try? MaildirFolderReader.status(of: folder.directory)
            return FolderInfo(
                path: folder.path, messageCount: status?.messages, byteCount: status?.bytes, location: folder.directory)
        }
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        try MaildirFolderReader.status(of: try tree.directory(for: folder.path))
    }

    public func messages(in folder: FolderInfo) async throws -> MessageStream {
        let directory = try tree.directory(for: folder.path)
        do {
            return MessageStream(MaildirMessageReader(reader: try MaildirFolderReader(directory: directory), folder: folder.path))
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder.path)
        }
    }

    public func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        do {
            let directory = try tree.createParents(for: path)
            let delivery = try MaildirDelivery(
                directory: directory,
                options: .init(lineEndings: options.maildirLineEndings, newForUnseen: options.maildirNewForUnseen),
                isSubfolder: !path.isInbox && tree.layout == .maildirPlusPlus)
            return MaildirFolderWriter(delivery: delivery)
        } catch let error as MailError {
            throw error.inFolder(path)
        }
    }

    public func close() async {}
}

/// Adapts ``MaildirFolderReader`` to the store protocol.
final class MaildirMessageReader: MessageReader {
    private let reader: MaildirFolderReader
    private let folder: FolderPath

    init(reader: MaildirFolderReader, folder: FolderPath) {
        self.reader = reader
        self.folder = folder
    }

    var bytesConsumed: Int { reader.bytesRead }

    func next() async throws -> SourceItem? {
        switch reader.next() {
        case nil: return nil
        case .failure(let error): return .failure(error.inFolder(folder))
        case .message(let message):
            return .message(
                try MessageEnvelope(
                    data: message.data, fingerprint: message.fingerprint, folder: folder, key: SourceKey(message.key),
                    number: message.number, flags: message.flags, internalDate: message.internalDate))
        }
    }

    func close() {}
}

/// Stores batches into one Maildir folder and makes them durable with one directory sync.
final class MaildirFolderWriter: FolderWriter {
    private let delivery: MaildirDelivery

    init(delivery: MaildirDelivery) { self.delivery = delivery }

    var location: String { delivery.directory }

    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        let results = try delivery.deliver(
            batch.map { MaildirDelivery.Message(data: $0.data, flags: $0.flags, internalDate: $0.internalDate) })
        try delivery.syncDirectories()
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for (envelope, result) in zip(batch, results) {
            switch result {
            case .success(let delivered):
                outcomes.append(
                    .stored(
                        StoredMessage(
                            reference: delivered.relativePath, droppedFlags: FlagSet(keywords: delivered.droppedKeywords))))
            case .failure(let error) where error.scope == .message:
                var failure = error
                failure.messageNumber = envelope.number
                failure.messageKey = envelope.key.value
                outcomes.append(.failed(failure))
            case .failure(let error):
                throw error  // a full disk or read-only file system: the store cannot go on
            }
        }
        return outcomes
    }

    func close() async throws { try delivery.syncDirectories() }
}
