import Foundation
import MailCore
import MailFormats
import Synchronization

/// The quarantine: a Maildir (`--quarantine PATH`; by default beside the job's checkpoint) that
/// keeps every message the destination refused for good, byte for byte as the source gave it,
/// in the folder it was meant for, plus `quarantine.jsonl` with one line per message saying
/// why. Created only when the first message arrives.
public final class MaildirQuarantine: QuarantineStore {
    public let location: String
    /// One delivery per folder, created on first use; the lock also orders the log's lines.
    private let deliveries = Mutex<[FolderPath: MaildirDelivery]>([:])

    public init(path: String) {
        location = path
    }

    /// One line of `quarantine.jsonl`.
    struct Entry: Codable {
        var time: Date
        var folder: String
        var key: String
        var messageID: String?
        var size: Int
        var reason: String
        var file: String
    }

    public func quarantine(_ envelope: MessageEnvelope, reason: String, folder: FolderPath) async throws -> String {
        try deliveries.withLock { deliveries in
            let delivery: MaildirDelivery
            if let existing = deliveries[folder] {
                delivery = existing
            } else {
                let tree = MaildirTree(root: location, layout: MaildirTree.detectLayout(root: location) ?? .maildirPlusPlus)
                try tree.prepareRoot()
                delivery = try MaildirDelivery(
                    directory: try tree.createParents(for: folder),
                    options: .init(lineEndings: nil),  // exactly the source's bytes
                    isSubfolder: !folder.isInbox && tree.layout == .maildirPlusPlus)
                deliveries[folder] = delivery
            }
            let delivered = try delivery.deliver(envelope.data, flags: envelope.flags, internalDate: envelope.internalDate)
            try delivery.syncDirectories()
            let file = (delivery.directory as NSString).appendingPathComponent(delivered.relativePath)
            try appendLog(
                Entry(
                    time: Date(), folder: folder.displayName, key: envelope.key.value, messageID: envelope.messageID,
                    size: envelope.size, reason: reason, file: file))
            return file
        }
    }

    private func appendLog(_ entry: Entry) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .utcISO8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(0x0a)
        let path = (location as NSString).appendingPathComponent("quarantine.jsonl")
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw MailError(.unwritable, scope: .store, retry: .never, "cannot write the quarantine log: \(SystemError.text(errno))", path: path)
        }
        defer { close(fd) }
        try line.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path, scope: .store) }
        fsync(fd)
    }
}
