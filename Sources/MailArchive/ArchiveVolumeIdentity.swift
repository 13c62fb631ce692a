import Foundation
import MailCore
import MailFormats

/// What tells an archive volume from any other file later put under its name, for a rerun of
/// `copy … archive:FILE` that must notice a volume deleted or replaced since the last run.
///
/// A volume's first member (``ArchiveLayout/volumeIdentityMember``) holds a random id, so reading
/// it costs one header and a few bytes, never the whole volume; the id survives the volume being
/// copied or restored from a backup. A volume written before volumes had one (or a file that is
/// not a MailFerry archive) is known by its `device:inode` instead, which ext4 may give a new
/// file at the same path: weaker, but all there is.
public enum ArchiveVolumeIdentity {
    public static let prefix = "volume:"

    /// The identity of the file at `path`; `nil` when there is none.
    public static func read(path: String, limits: ArchiveLimits = .standard) -> String? {
        if let id = try? firstMemberID(path: path, limits: limits) { return prefix + id }
        return POSIX.status(path)?.identity
    }

    /// The identity of a volume written with `id`.
    public static func of(volumeID id: String) -> String { prefix + id }

    private static func firstMemberID(path: String, limits: ArchiveLimits) throws -> String? {
        let reader = try ArchiveReader(path: path, limits: limits)
        defer { reader.close() }
        while let entry = try reader.next() {
            if entry.isDirectory { continue }
            guard entry.name.path == ArchiveLayout.volumeIdentityMember else { return nil }
            let text = String(decoding: try reader.readAll(maximum: 128), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
            return text
        }
        return nil
    }
}
