import Foundation
import MailArchive
import MailCore

/// Writes one folder's messages into the archive volume the store is building. A message is
/// in the volume once stored, but durable only when the sink's ``ArchiveSink/close()``
/// commits the volume (the sink says so with ``StoreCapabilities/durableOnClose``).
final class ArchiveFolderWriter: FolderWriter {
    private let sink: ArchiveSink
    private let folder: FolderPath

    init(sink: ArchiveSink, folder: FolderPath) {
        self.sink = sink
        self.folder = folder
    }

    var location: String { "\(sink.path) (\(folder.displayName))" }

    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        if sink.existing != nil { throw sink.completeVolumeError }
        return try batch.map { envelope in
            do {
                let added = try sink.add(
                    ArchiveVolumeWriter.Message(
                        data: envelope.data, folder: folder, flags: envelope.flags, internalDate: envelope.internalDate,
                        key: envelope.key.value, messageID: envelope.messageID, fingerprint: envelope.fingerprint))
                return .stored(StoredMessage(reference: added.member))
            } catch var error as MailError where error.scope == .message {
                // Not started in the archive (its file vanished): this message fails, the volume goes on.
                error.messageKey = envelope.key.value
                error.messageNumber = envelope.number
                return .failed(error)
            }
        }
    }

    func close() async throws {}

    /// The volume's identity (`absent` before it is written; see ``ArchiveSink/identity``):
    /// a volume deleted since the last run is noticed, and its messages are archived again.
    /// `nil` for `mailferry archive`'s volumes, a new one each run.
    var validity: String? { sink.identity }

    /// A folder that wrote nothing (`absent` recorded) has nothing in any volume to lose.
    func isSameFolder(recorded: String) -> Bool { recorded == validity || recorded == ArchiveSink.absent }

    /// The volume's final name: where in-flight messages are, if that run got as far as naming
    /// it. A complete volume takes no message: refused here, before anything is marked in flight.
    func position() async throws -> String? {
        if sink.existing != nil { throw sink.completeVolumeError }
        return sink.path
    }

    /// Finds messages of an interrupted run in the volume it was writing — only if that volume
    /// was completed and named (an unnamed one was never verified and does not count).
    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
        var found: [SourceKey: String] = [:]
        for (volume, pending) in Dictionary(grouping: messages, by: { $0.position ?? "" }) where !volume.isEmpty {
            guard FileManager.default.fileExists(atPath: volume),
                let entries = try? ArchiveManifest.read(from: volume, limits: sink.limits)
            else { continue }
            // Keys are unique within a folder only (every mbox file has offset:0).
            var byKey: [String: ArchiveManifest.Entry] = [:]
            for entry in entries where entry.folder == folder.components { byKey[entry.key] = entry }
            for message in pending {
                if let entry = byKey[message.record.key.value], entry.fingerprint == message.record.fingerprint.hex {
                    found[message.record.key] = entry.member
                }
            }
        }
        return found
    }

    /// A new volume holds nothing yet; a complete one what its manifest lists for this folder,
    /// by content (the manifest has the fingerprint, not the size with CRLF line endings).
    func existingMessages() async throws -> [StoredIdentity] {
        guard sink.existing != nil else { return [] }
        return try (ArchiveManifest.read(from: sink.path, limits: sink.limits) ?? []).filter { $0.folder == folder.components }.compactMap {
            guard let fingerprint = Fingerprint(hex: $0.fingerprint) else { return nil }
            return StoredIdentity(reference: $0.member, messageID: nil, crlfSize: $0.size, internalDate: $0.internalDate, fingerprint: fingerprint)
        }
    }

    /// Archived messages never change.
    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        changes.map { _ in nil }
    }
}
