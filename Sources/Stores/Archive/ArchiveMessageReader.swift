import Foundation
import MailArchive
import MailCore
import MailFormats

/// Reads one folder's messages from an archive in a single streaming pass: members of other
/// folders are skipped without being decompressed into memory; each message is held in memory
/// when small and spooled to a temporary file when large; an mbox member is spooled and read
/// through the mbox store.
final class ArchiveMessageReader: MessageReader {
    private let archivePath: String
    private let reader: ArchiveReader
    private let folder: FolderPath
    private let members: [String: ArchiveIndex.Member]
    private let selection: MessageSelection
    private let options: StoreOptions
    private var remaining: Int
    private var number = 0
    private var mbox: (reader: any MessageReader, member: String, file: String)?
    private(set) var bytesConsumed = 0
    let bytesExpected: Int?
    /// Where a foreign archive's folder came from, when its layout was guessed (for the report).
    let note: String?

    init(
        archivePath: String, limits: ArchiveLimits, folder: ArchiveIndex.Folder, members: [String: ArchiveIndex.Member],
        selection: MessageSelection, options: StoreOptions
    ) throws {
        self.archivePath = archivePath
        reader = try ArchiveReader(path: archivePath, limits: limits)
        self.folder = folder.path
        self.members = members.filter { folder.members.contains($0.key) }
        self.selection = selection
        self.options = options
        remaining = self.members.count
        bytesExpected = folder.bytes
        note = folder.origin
    }

    func next() async throws -> SourceItem? {
        while true {
            if let current = mbox {
                if let item = try await current.reader.next() {
                    number += 1
                    switch item {
                    case .message(var envelope):
                        envelope.key = SourceKey("\(current.member)#\(envelope.key.value)")
                        envelope.folder = folder
                        envelope.number = number
                        guard selection.includes(envelope.key) else { continue }
                        return .message(envelope)
                    case .failure(let error), .warning(let error):
                        var located = error
                        located.summary = "in \(current.member): \(error.summary)"
                        return .failure(located.inFolder(folder))
                    }
                }
                finishMbox()
            }
            guard remaining > 0, let entry = try reader.next() else { return nil }
            guard !entry.isDirectory, let member = members[entry.name.path] else { continue }
            remaining -= 1
            bytesConsumed += member.size
            switch member.kind {
            case .mbox:
                try openMbox(member)
            case .manifest(let line):
                guard selection.includes(SourceKey(member.name)) else { continue }
                return try message(member, flags: line.flagSet, date: line.internalDate)
            case .single(let flags):
                guard selection.includes(SourceKey(member.name)) else { continue }
                return try message(member, flags: flags, date: member.modified)
            }
        }
    }

    private func message(_ member: ArchiveIndex.Member, flags: FlagSet, date: Date?) throws -> SourceItem {
        number += 1
        let spool = MessageSpool(expectedSize: member.size)
        try reader.forEachChunk { try spool.append($0) }
        let (data, fingerprint) = try spool.finish()
        if case .manifest(let line) = member.kind, line.fingerprint != fingerprint.hex {
            return .failure(
                MailError(
                    .verificationFailed, scope: .message, retry: .never,
                    "archive member \(member.name) does not match its manifest line (changed or damaged); not restored",
                    folder: folder, messageKey: member.name, messageNumber: number, path: archivePath))
        }
        return .message(
            try MessageEnvelope(
                data: data, fingerprint: fingerprint, folder: folder, key: SourceKey(member.name), number: number,
                flags: flags, internalDate: date))
    }

    private func openMbox(_ member: ArchiveIndex.Member) throws {
        let file = NSTemporaryDirectory() + "/mailferry-archive-\(getpid())-\(UUID().uuidString).mbox"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw MailError.store(.unwritable, "cannot spool an mbox member: \(SystemError.text(errno))", path: file)
        }
        defer { _ = Foundation.close(fd) }
        do {
            try reader.forEachChunk { try POSIX.writeAll(fd, $0, path: file, scope: .store) }
            let input = try MboxFile.openForReading(file, lockTimeout: options.lockTimeout)
            let messages = MboxMessageReader(
                reader: MboxReader(input: input, options: MboxReader.Options(dialect: options.mboxDialect)), folder: folder)
            mbox = (messages, member.name, file)
        } catch {
            unlink(file)
            throw error
        }
    }

    private func finishMbox() {
        if let current = mbox {
            current.reader.close()
            unlink(current.file)
        }
        mbox = nil
    }

    func close() {
        finishMbox()
        reader.close()
    }
}
