import Foundation
import MailCore
import MailFormats

/// Appends batches to one mbox file; a message that fails is left out by rolling the batch back
/// and writing the others again, so the file never holds a partial message.
///
/// The appender (and its locks) is opened at the first write, so that what a resumed run reads
/// first — which in-flight messages arrived, what the file holds — is read before MailFerry
/// holds the file's `fcntl` lock (closing any other descriptor of the file would drop it).
/// Messages appended by a batch start at the file size recorded before it; an mbox file cannot
/// change a stored message's flags in place.
final class MboxFolderWriter: FolderWriter {
    private let file: String
    private let compressed: Bool
    private let folder: FolderPath
    private let readerOptions: MboxReader.Options
    private let lockTimeout: Double
    private var appender: MboxAppender?

    init(file: String, compressed: Bool, folder: FolderPath, readerOptions: MboxReader.Options, lockTimeout: Double) {
        self.file = file
        self.compressed = compressed
        self.folder = folder
        self.readerOptions = readerOptions
        self.lockTimeout = lockTimeout
    }

    var location: String { file }

    private func openAppender() throws -> MboxAppender {
        if let appender { return appender }
        do {
            let opened = try MboxAppender(path: file, compressed: compressed, lockTimeout: lockTimeout)
            appender = opened
            return opened
        } catch let error as MailError {
            throw error.inFolder(folder)
        }
    }

    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        let appender = try openAppender()
        var failed: [Int: MailError] = [:]
        while true {
            var offsets: [Int: Int64] = [:]
            var failure: (Int, MailError)?
            do {
                for (index, envelope) in batch.enumerated() where failed[index] == nil {
                    do {
                        let sender = HeaderScanner.scan(try envelope.data.prefix(64 * 1024)).sender
                        offsets[index] = try appender.append(
                            envelope.data, flags: envelope.flags, internalDate: envelope.internalDate, sender: sender,
                            defaultDate: envelope.dateHeader ?? Date())
                    } catch let error as MailError where error.scope == .message {
                        failure = (index, error)
                        break
                    }
                }
                if let (index, error) = failure {
                    appender.rollback()
                    var reported = error
                    reported.messageNumber = batch[index].number
                    reported.messageKey = batch[index].key.value
                    failed[index] = reported
                    continue
                }
                try appender.commit()
            } catch {
                appender.rollback()
                throw error
            }
            return batch.indices.map { index in
                if let error = failed[index] { return .failed(error) }
                return .stored(StoredMessage(reference: "offset:\(offsets[index] ?? 0)"))
            }
        }
    }

    func close() async throws { appender?.close() }

    var validity: String? { Self.identity(of: file) }

    /// An mbox file's identity: its `device:inode`, or `absent` while there is no file (so that
    /// a file deleted after a run is told apart from one that was never written: the identity
    /// recorded when a folder finishes is the written file's).
    static func identity(of file: String) -> String { MboxFile.identity(file) ?? absent }

    static let absent = "absent"

    /// A file recorded `absent` had nothing written to it: whatever is there now loses nothing.
    func isSameFolder(recorded: String) -> Bool { recorded == validity || recorded == Self.absent }

    /// The committed size of the file (in compressed bytes for `.gz`): where the next batch begins.
    func position() async throws -> String? { String(try openAppender().committedSize) }

    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
        guard !messages.isEmpty, appender == nil, MboxFile.kind(file) == .file else { return [:] }
        let start = messages.compactMap { $0.position.flatMap(Int64.init) }.min() ?? 0
        guard let size = MboxFile.size(file), Int64(size) > start else { return [:] }
        var stored: [(fingerprint: Fingerprint, reference: String)] = []
        try read(from: start) { envelope in stored.append((envelope.fingerprint, envelope.key.value)) }
        return PendingMessage.match(messages, stored: stored)
    }

    func existingMessages() async throws -> [StoredIdentity] {
        guard appender == nil, MboxFile.kind(file) == .file else { return [] }
        var identities: [StoredIdentity] = []
        try read(from: 0) { envelope in
            identities.append(
                StoredIdentity(
                    reference: envelope.key.value, messageID: envelope.messageID, crlfSize: try envelope.data.crlfSize(),
                    internalDate: envelope.internalDate, fingerprint: envelope.fingerprint))
        }
        return identities
    }

    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        Array(repeating: nil, count: changes.count)
    }

    /// Reads the messages from `offset` on (a batch boundary), closing the file before returning.
    private func read(from offset: Int64, _ each: (MessageEnvelope) throws -> Void) throws {
        do {
            let reader = MboxReader(
                input: try MboxFile.openForReading(file, lockTimeout: lockTimeout, from: offset), options: readerOptions)
            defer { reader.close() }
            while let item = try reader.next() {
                guard case .message(let message) = item else { continue }
                try each(
                    MessageEnvelope(
                        data: message.data, folder: folder, key: SourceKey("offset:\(Int64(message.offset) + (compressed ? 0 : offset))"),
                        number: message.number, flags: message.flags, internalDate: message.fromLine.date ?? message.headers.date,
                        messageID: message.headers.messageID, dateHeader: message.headers.date, fingerprint: message.fingerprint))
            }
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder)
        }
    }
}
