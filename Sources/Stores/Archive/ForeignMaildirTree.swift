import MailArchive
import MailCore
import MailFormats

/// The plain directories of a foreign archive that hold Maildir messages (`…/cur/`, `…/new/`)
/// and are not Maildir++ sub-folders (`.A.B`): one of them is a Maildir's root (INBOX) — or,
/// when there are several, they are a Maildir tree in the fs layout (Dovecot's `LAYOUT=fs`,
/// `Maildir/Work/Clients/cur/…`), whose folders are their paths below the tree's root.
///
/// The root is the deepest directory all of them lie in: `Maildir/` for `Maildir/cur` and
/// `Maildir/Work/cur`, whatever prefix (`home/me/`) the archive adds. Empty folders count too
/// (their `cur/`, `new/` or `tmp/` directory entries), so a tree whose only messages are deep
/// down keeps its levels. A single such directory stays INBOX, as before.
struct ForeignMaildirTree {
    /// Members (by their position in the index) whose folder directory is a plain one.
    private var messages: [(position: Int, directory: [Substring])] = []
    /// Every plain directory that is a Maildir folder (holds messages or has cur/new/tmp).
    private var directories = Set<[Substring]>()

    /// A directory entry: a `cur`, `new` or `tmp` directory makes its parent a folder.
    mutating func noteDirectory(_ name: MemberName) {
        let parts = name.components
        guard let last = parts.last, last == "cur" || last == "new" || last == "tmp" else { return }
        let parent = Array(parts.dropLast())
        if let folder = parent.last, folder.hasPrefix("."), folder.count > 1 { return }  // Maildir++
        directories.insert(parent)
    }

    /// A Maildir message whose folder directory is not a Maildir++ sub-folder.
    mutating func noteMessage(at position: Int, directory: [Substring]) {
        messages.append((position, directory))
        directories.insert(directory)
    }

    /// Each message's folder and how it was found, when the directories form an fs-layout
    /// tree (more than one); empty otherwise (the one directory is INBOX).
    func folders() -> [(position: Int, folder: FolderPath, origin: String)] {
        guard directories.count > 1, let first = directories.first else { return [] }
        var root = first
        for directory in directories {
            var shared = 0
            while shared < min(root.count, directory.count), root[shared] == directory[shared] { shared += 1 }
            root = Array(root.prefix(shared))
        }
        let rootText = root.isEmpty ? "the archive's top level" : root.joined(separator: "/") + "/"
        var result: [(Int, FolderPath, String)] = []
        for (position, directory) in messages {
            let relative = directory.dropFirst(root.count).map { FolderNameEscaping.maildirFS.decode(String($0)) }
            // A name that decodes to "." or ".." is no folder; such messages stay in INBOX.
            guard !relative.contains(where: { $0 == "." || $0 == ".." }) else { continue }
            let folder = FolderPath(relative) ?? .inbox
            let origin = "taken from the archive's directory \(directory.isEmpty ? "(top level)" : directory.joined(separator: "/") + "/"), "
                + "in a Maildir tree of plain directories (the fs layout) under \(rootText)"
            result.append((position, folder, origin))
        }
        return result
    }
}
