import Foundation
import MailArchive
import MailCore

/// A new archive volume as a sink: a Maildir++ tree under `Maildir/` plus `manifest.jsonl`
/// (see ``ArchiveManifest``), streamed into a temporary file and given its final name only
/// when complete, fsynced and verified by reading it back — which is why its messages count as
/// stored only after ``close()`` (``StoreCapabilities/durableOnClose``). An existing file is
/// never overwritten; a volume that received nothing writes nothing.
public final class ArchiveSink: MessageSink, @unchecked Sendable {
    public let path: String
    public let format: ArchiveFormat
    public let limits: ArchiveLimits
    public var displayName: String { "archive:\(path)" }
    public let capabilities: StoreCapabilities

    private let lock = NSLock()
    private let volume: ArchiveVolumeWriter
    private var closeError: (any Error)?

    /// Prepares a new volume at `path` (its format from the name, or `format`; a name and a
    /// `format` that disagree are refused rather than one silently winning).
    public init(path: String, format asked: ArchiveFormat? = nil, threads: Int = 1, limits: ArchiveLimits = .standard) throws {
        if let named = ArchiveFormat(fileName: path), let asked, named != asked {
            throw MailError(
                .unsupported, scope: .store, retry: .never,
                "the name makes a .\(named.fileExtension) archive but --archive-format asks for .\(asked.fileExtension); drop the extension or make them agree",
                path: path)
        }
        let format = try ArchiveFormat(fileName: path) ?? asked ?? ArchiveFormat.from(path: path)
        if FileManager.default.fileExists(atPath: path) {
            throw MailError.store(
                .unwritable, "the archive exists already; MailFerry never overwrites one (choose another name)", path: path)
        }
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty,
            !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue)
        {
            throw MailError.store(.notFound, "the archive's directory does not exist", path: directory)
        }
        self.path = path
        self.format = format
        self.limits = limits
        volume = ArchiveVolumeWriter(finalPath: path, format: format, threads: threads, limits: limits)
        var capabilities = StoreCapabilities(maximumConcurrency: 1, updatesFlags: false)
        capabilities.durableOnClose = true
        self.capabilities = capabilities
    }

    /// The committed volume (after ``close()``), or `nil` when nothing was archived.
    public var summary: ArchiveVolumeWriter.Summary? { lock.withLock { volume.committed } }

    /// A new volume has no folders yet.
    public func listFolders() async throws -> [FolderInfo] { [] }

    public func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        ArchiveFolderWriter(sink: self, folder: path)
    }

    func add(_ message: ArchiveVolumeWriter.Message) throws -> (member: String, droppedKeywords: Set<Keyword>) {
        try lock.withLock { try volume.add(message) }
    }

    /// Finishes the volume without giving it its final name: manifest, fsync, read back and
    /// verify. The engine runs it while the checkpoint's in-flight marks reach the disk.
    public func prepareClose() async throws {
        try completing { try volume.prepare() }
    }

    /// Completes the volume (manifest, fsync, read back and verify — unless ``prepareClose()``
    /// did — then the final name); a second call repeats the first's outcome. Nothing is
    /// written when no message was stored.
    public func close() async throws {
        try completing { try volume.commit() }
    }

    /// Gives up an unfinished volume: its temporary files are removed and it never gets its
    /// name (a completed one is left as it is).
    public func abandon() {
        lock.withLock { if volume.committed == nil { volume.abandon() } }
    }

    /// Runs a step of completing the volume; after a failure every later step fails the same way.
    private func completing(_ step: () throws -> Void) throws {
        try lock.withLock {
            if let closeError { throw closeError }
            do {
                try step()
            } catch {
                closeError = error
                throw error
            }
        }
    }
}
