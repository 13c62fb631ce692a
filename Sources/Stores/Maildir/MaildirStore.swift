import Foundation
import MailCore
import MailFormats

/// A Maildir tree as a source and as a sink.
///
/// The root is INBOX; sub-folders use the tree's layout (Maildir++ `.A.B` or fs `A/B`, detected
/// on an existing tree, chosen by option for a new one). Flags map to `:2,` letters and
/// keywords to `dovecot-keywords` letters (26 per folder at most); the arrival date is the file
/// time. Delivery is tmp → fsync → rename, so a crash never leaves a partial message visible.
/// As a source it can delete copied messages (`--delete-from-source`, see `MaildirStore+Removal`).
public final class MaildirStore: MessageSource, MessageSink {
    public let tree: MaildirTree
    public let options: StoreOptions
    /// Opened as a destination: its listing then carries each folder's identity.
    private let isSink: Bool
    public var displayName: String { "maildir:\(tree.root)" }

    public let capabilities: StoreCapabilities = {
        var capabilities = StoreCapabilities(
            systemFlags: .all, keywords: .limited(MaildirKeywords.maximumCount), internalDate: true, hierarchy: .tree)
        capabilities.removesCopiedMessages = true  // see MaildirStore+Removal.swift
        return capabilities
    }()

    /// Opens an existing Maildir for reading; its layout is detected (the option only decides
    /// when the tree has no sub-folders to tell by).
    public init(openingSource path: String, options: StoreOptions) throws {
        let layout = MaildirTree.detectLayout(root: path) ?? options.maildirLayout ?? .maildirPlusPlus
        tree = MaildirTree(root: path, layout: layout)
        self.options = options
        isSink = false
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
        isSink = true
        try tree.prepareRoot()
    }

    /// The folders; as a destination, each with its identity (``MaildirFolderIdentity``: one
    /// small file read, which is what a rerun with nothing new compares with its checkpoint).
    public func listFolders() async throws -> [FolderInfo] {
        try tree.listFolders().map { folder in
            let status = try? MaildirFolderReader.status(of: folder.directory)
            let token = MaildirFolderState.token(of: folder.directory)
            return FolderInfo(
                path: folder.path, messageCount: status?.messages, byteCount: status?.bytes, location: folder.directory,
                validity: isSink ? MaildirFolderIdentity.read(folder.directory) : nil, contentToken: token, flagToken: token)
        }
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        try MaildirFolderReader.status(of: try tree.directory(for: folder.path))
    }

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        let directory = try tree.directory(for: folder.path)
        let include: ((String) -> Bool)? = selection.isAll ? nil : { selection.includes(SourceKey($0)) }
        do {
            return MessageStream(
                MaildirMessageReader(
                    reader: try MaildirFolderReader(
                        directory: directory, spillThreshold: Self.inMemoryLimit, include: include),
                    folder: folder.path))
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder.path)
        }
    }

    /// Flags from the file names (no message is read).
    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? {
        let directory = try tree.directory(for: folder.path)
        do {
            let entries = try MaildirFolderReader.flags(in: directory).map { FlagListing.Entry(key: SourceKey($0.key), flags: $0.flags) }
            return FlagListing(entries: entries, isComplete: true, token: MaildirFolderState.token(of: directory))
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
            return MaildirFolderWriter(
                delivery: delivery, folder: path, identity: try MaildirFolderIdentity.establish(directory))
        } catch let error as MailError {
            throw error.inFolder(path)
        }
    }

    public func close() async {}

    /// Messages up to this size are read into memory; larger ones are hashed on reading and
    /// streamed from their file by the sink, so read-ahead never holds big attachments.
    static let inMemoryLimit = 1 << 20
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
    var bytesExpected: Int? { reader.bytesExpected }

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

