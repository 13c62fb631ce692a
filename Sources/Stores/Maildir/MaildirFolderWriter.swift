import Foundation
import MailCore
import MailFormats

/// Stores batches into one Maildir folder and makes them durable with one directory sync.
///
/// For a resumed run: the folder's identity is its `mailferry-folder-id` (``MaildirFolderIdentity``,
/// written when the writer is opened); new messages are found by
/// the delivery time that starts their file names and matched by fingerprint; flags change by
/// renaming a file into `cur/` with new info letters.
final class MaildirFolderWriter: FolderWriter {
    private let delivery: MaildirDelivery
    private let folder: FolderPath
    private let identity: String

    init(delivery: MaildirDelivery, folder: FolderPath, identity: String) {
        self.delivery = delivery
        self.folder = folder
        self.identity = identity
    }

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

    var validity: String? { identity }

    /// Checkpoints written before folders had an identity file recorded the directory's
    /// `device:inode`: that still names this folder when it matches (once; the new identity is
    /// recorded from then on).
    func isSameFolder(recorded: String) -> Bool {
        if recorded == identity { return true }
        return !recorded.hasPrefix(MaildirFolderIdentity.prefix) && recorded == MaildirFolderState.identity(of: delivery.directory)
    }

    /// The current time in seconds, less one: file names of messages delivered from now on start
    /// with a time no earlier.
    func position() async throws -> String? { String(Int(Date().timeIntervalSince1970) - 1) }

    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
        try await locate(messages, excluding: [])
    }

    /// The position is a time in seconds, so files of the batches just before are scanned too:
    /// those `claimed` (compared by base name, which a flag change keeps) are left out.
    func locate(_ messages: [PendingMessage], excluding claimed: Set<String>) async throws -> [SourceKey: String] {
        guard !messages.isEmpty else { return [:] }
        let since = messages.compactMap { $0.position.flatMap(Int.init) }.min()
        let taken = Set(claimed.map { MaildirFileName(parsing: ($0 as NSString).lastPathComponent).base })
        let files = try scan(deliveredSince: since, fingerprintAll: true).filter {
            !taken.contains(MaildirFileName(parsing: ($0.relativePath as NSString).lastPathComponent).base)
        }
        return PendingMessage.match(
            messages, stored: files.compactMap { file in file.fingerprint.map { ($0, file.relativePath) } })
    }

    func existingMessages() async throws -> [StoredIdentity] {
        try scan(deliveredSince: nil, fingerprintAll: false).map {
            StoredIdentity(
                reference: $0.relativePath, messageID: $0.messageID, crlfSize: $0.crlfSize, internalDate: $0.modified,
                fingerprint: $0.fingerprint)
        }
    }

    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        var results: [String?] = []
        var current: [String: String]?  // name base → relative path, built when a file moved
        for change in changes {
            do {
                results.append(try delivery.setFlags(relativePath: change.reference, flags: change.flags).relativePath)
            } catch let error as MailError where error.code == .notFound {
                // Another program renamed it (a mail client changed a flag): find it by its base.
                if current == nil { current = try renamedFiles() }
                let base = MaildirFileName(parsing: (change.reference as NSString).lastPathComponent).base
                if let path = current?[base] {
                    results.append(try? delivery.setFlags(relativePath: path, flags: change.flags).relativePath)
                } else {
                    results.append(nil)
                }
            }
        }
        try delivery.syncDirectories()
        return results
    }

    private func renamedFiles() throws -> [String: String] {
        var map: [String: String] = [:]
        for (subdirectory, name) in try MaildirTree.messageFiles(in: delivery.directory) {
            map[MaildirFileName(parsing: name).base] = "\(subdirectory)/\(name)"
        }
        return map
    }

    private func scan(deliveredSince: Int?, fingerprintAll: Bool) throws -> [MaildirFolderState.FileIdentity] {
        do {
            return try MaildirFolderState.identities(
                in: delivery.directory, deliveredSince: deliveredSince, fingerprintAll: fingerprintAll)
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder)
        }
    }
}
