import Foundation
import MailArchive
import MailCore

/// A compressed archive file (`.tar.zst`, `.tar.gz`, `.tar.xz`, `.tar.bz2`, `.tar`, `.zip`) as a
/// source: MailFerry archives are read losslessly (folders, flags, keywords and dates from the
/// manifest; a member that no longer matches its manifest line is reported, not restored), and
/// foreign archives best-effort — a tar or zip of a Maildir tree, of `.eml` files, or of mbox
/// files. Reading is one pass to index and one streaming pass per folder; unsafe archives (see
/// ``ArchiveReader``) are refused as a whole.
public final class ArchiveSource: MessageSource, @unchecked Sendable {
    public let path: String
    public let options: StoreOptions
    public let limits: ArchiveLimits
    public var displayName: String { "archive:\(path)" }
    public let capabilities = StoreCapabilities(maximumConcurrency: 1, updatesFlags: false)

    private let index: ArchiveIndex

    /// Opens an existing archive for reading and indexes it (one pass over the whole archive),
    /// so that an archive that cannot be read — not an archive, damaged, unsafe — fails here,
    /// before a copy creates anything at its destination or in its checkpoint.
    public init(path: String, options: StoreOptions, limits: ArchiveLimits = .standard) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MailError.store(.notFound, "no archive at this path", path: path)
        }
        self.path = path
        self.options = options
        self.limits = limits
        index = try ArchiveIndex.build(path: path, limits: limits)
    }

    private func loadIndex() throws -> ArchiveIndex { index }

    public func listFolders() async throws -> [FolderInfo] {
        let index = try loadIndex()
        let token = (try? FileManager.default.attributesOfItem(atPath: path)).map {
            "\(($0[.systemFileNumber] as? Int) ?? 0):\(($0[.size] as? Int) ?? 0):\((($0[.modificationDate] as? Date) ?? Date.distantPast).timeIntervalSince1970)"
        }
        return index.folders.map {
            FolderInfo(
                path: $0.path, messageCount: $0.messages, byteCount: $0.bytes, location: "\(path) (\($0.path.displayName))",
                validity: token, contentToken: token)
        }
    }

    public func listingProblems() async -> [MailError] {
        guard let index = try? loadIndex(), !index.skipped.isEmpty else { return [] }
        let sample = index.skipped.prefix(5).joined(separator: ", ")
        return [
            MailError(
                .notAMailbox, scope: .folder, retry: .never,
                "\(index.skipped.count) archive member(s) are neither Maildir files, .eml files nor mbox files and were passed over: \(sample)",
                path: path)
        ]
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        let index = try loadIndex()
        guard let found = index.folders.first(where: { $0.path == folder.path }) else {
            throw MailError.folder(.notFound, "the archive has no such folder", folder: folder.path, path: path)
        }
        return FolderStatus(messages: found.messages, bytes: found.bytes)
    }

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        let index = try loadIndex()
        guard let found = index.folders.first(where: { $0.path == folder.path }) else {
            throw MailError.folder(.notFound, "the archive has no such folder", folder: folder.path, path: path)
        }
        return MessageStream(
            try ArchiveMessageReader(
                archivePath: path, limits: limits, folder: found, members: index.membersByName, selection: selection,
                options: options))
    }

    public func close() async {}
}
