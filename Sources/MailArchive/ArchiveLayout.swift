import Foundation
import MailCore
import MailFormats

/// Where messages go inside a MailFerry archive: a Maildir++ tree under `Maildir/` (INBOX at its
/// root, `Archive/2019` in `Maildir/.Archive.2019/`), one file per message in `cur/` with the
/// standard flag letters, so any Maildir reader opens an unpacked archive.
public enum ArchiveLayout {
    public static let root = "Maildir"
    /// The first member of a volume: a random id that tells this volume from any other file
    /// later put under its name (see ``ArchiveVolumeIdentity``).
    public static let volumeIdentityMember = "mailferry-volume-id"
    private static let tree = MaildirTree(root: root, layout: .maildirPlusPlus)

    /// The directory inside the archive for `folder`.
    public static func directory(for folder: FolderPath) throws -> String {
        try tree.directory(for: folder)
    }

    /// The member name of a message: `<dir>/cur/<date>.M<sequence>P<pid>.mailferry:2,<letters>`.
    public static func memberName(directory: String, sequence: Int, internalDate: Date?, letters: String) -> String {
        let seconds = Int((internalDate ?? Date()).timeIntervalSince1970)
        return "\(directory)/cur/\(max(0, seconds)).M\(sequence)P\(getpid()).mailferry:2,\(letters)"
    }

    /// The folder a Maildir member of a foreign archive belongs to, from the directory above its
    /// `cur/` or `new/`: a Maildir++ `.A.B` directory is `A/B`; any other directory is INBOX
    /// (the tree's root). `nil` when the member is not in a `cur/` or `new/` directory.
    public static func maildirFolder(of member: MemberName) -> (folder: FolderPath, info: Substring?)? {
        let parts = member.components
        guard parts.count >= 2, parts[parts.count - 2] == "cur" || parts[parts.count - 2] == "new" else { return nil }
        let name = parts[parts.count - 1]
        let info = MaildirInfo.separators.lazy.compactMap { separator -> Substring? in
            guard let range = name.range(of: "\(separator)2,") else { return nil }
            return name[range.upperBound...]
        }.first
        if parts.count >= 3, parts[parts.count - 3].hasPrefix("."), parts[parts.count - 3].count > 1 {
            let escaped = parts[parts.count - 3].dropFirst()
            let components = escaped.split(separator: ".").map { FolderNameEscaping.maildirPlusPlus.decode(String($0)) }
            // A name that decodes to "." or ".." is no folder (a store could take it as a path).
            if components.contains(where: { $0 == "." || $0 == ".." }) { return nil }
            if let folder = FolderPath(components) { return (folder, info) }
        }
        return (.inbox, info)
    }
}
