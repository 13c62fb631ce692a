import Foundation
import MailArchive
import MailCore
import MailFormats

/// A new archive volume as a sink: a Maildir++ tree under `Maildir/` plus `manifest.jsonl`
/// (see ``ArchiveManifest``), streamed into a temporary file and given its final name only
/// when complete, fsynced and verified by reading it back — which is why its messages count as
/// stored only after ``close()`` (``StoreCapabilities/durableOnClose``). An existing file is
/// never overwritten; a volume that received nothing writes nothing.
///
/// `copy … archive:FILE` run again finds its volume complete (``existing``): what an earlier
/// run archived there is up to date (its identity, the file's `device:inode`, is what the
/// checkpoint recorded), an interrupted run's in-flight messages are looked up in its manifest,
/// and a message that is not in it is refused — a volume is never changed once written
/// (`mailferry archive` writes a new volume per run instead, ``periodic``).
public final class ArchiveSink: MessageSink, @unchecked Sendable {
    public let path: String
    public let format: ArchiveFormat
    public let limits: ArchiveLimits
    public var displayName: String { "archive:\(path)" }
    public let capabilities: StoreCapabilities
    /// The identity (``ArchiveVolumeIdentity``) of the complete volume an earlier run wrote at
    /// ``path``, when there is one.
    public let existing: String?
    /// Each run writes a new volume (`mailferry archive`): volumes have no identity to compare.
    public let periodic: Bool

    private let lock = NSLock()
    private let volume: ArchiveVolumeWriter
    private var closeError: (any Error)?

    /// Prepares a new volume at `path` (its format from the name, or `format`; a name and a
    /// `format` that disagree are refused rather than one silently winning). An existing file
    /// at `path` is taken as a complete volume that is never changed (refused when `periodic`).
    public init(
        path: String, format asked: ArchiveFormat? = nil, threads: Int = 1, limits: ArchiveLimits = .standard,
        periodic: Bool = false
    ) throws {
        if let named = ArchiveFormat(fileName: path), let asked, named != asked {
            throw MailError(
                .unsupported, scope: .store, retry: .never,
                "the name makes a .\(named.fileExtension) archive but --archive-format asks for .\(asked.fileExtension); drop the extension or make them agree",
                path: path)
        }
        let format = try ArchiveFormat(fileName: path) ?? asked ?? ArchiveFormat.from(path: path)
        if POSIX.kind(path) != nil {
            guard !periodic, POSIX.kind(path) == .file, let identity = ArchiveVolumeIdentity.read(path: path, limits: limits)
            else {
                throw MailError.store(
                    .unwritable, "the archive exists already; MailFerry never overwrites one (choose another name)", path: path)
            }
            existing = identity
        } else {
            existing = nil
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
        self.periodic = periodic
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

    /// The identity a folder writer reports (see ``FolderWriter/validity``): the existing
    /// volume's, else the new volume's once its file exists (its id is its first member),
    /// else ``absent``; `nil` for periodic volumes.
    var identity: String? {
        if periodic { return nil }
        if let existing { return existing }
        return lock.withLock { volume.identity == nil ? Self.absent : ArchiveVolumeIdentity.of(volumeID: volume.volumeID) }
    }

    static let absent = "absent"

    /// The refusal of a message for a volume an earlier run completed.
    var completeVolumeError: MailError {
        MailError.store(
            .unwritable,
            "the archive exists already and is never changed (an earlier run of this job completed it, or it is "
                + "another file), so the messages this run found that it does not hold cannot be added to it. Copy them "
                + "into an archive of another name, or use `mailferry archive`, which writes a new volume for each run",
            path: path)
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
