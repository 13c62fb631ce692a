import Foundation
import MailArchive
import MailCore
import MailFormats

/// What an archive holds, from one pass over it: a MailFerry archive's manifest, or — for a
/// foreign archive — its members sorted into folders by what they look like: Maildir files
/// (in `cur/` or `new/`, flags from the name), `.eml` files (the folder is their directory), and
/// mbox files (members that start with `From `; the folder is the file's path).
struct ArchiveIndex: Sendable {
    /// How one member becomes messages.
    enum Kind: Sendable, Hashable {
        /// One message whose metadata comes from the manifest.
        case manifest(ArchiveManifest.Entry)
        /// One message of a foreign Maildir or `.eml` tree.
        case single(flags: FlagSet)
        /// An mbox file: many messages.
        case mbox
    }

    struct Member: Sendable, Hashable {
        var name: String
        var folder: FolderPath
        var kind: Kind
        var size: Int
        var modified: Date?
    }

    struct Folder: Sendable {
        var path: FolderPath
        var messages = 0
        var bytes = 0
        /// Member names, for reading only this folder's members.
        var members = Set<String>()
        /// How the folder was read from a foreign archive's layout, when that took a guess (for
        /// the report).
        var origin: String?
    }

    /// Whether the archive is MailFerry's own (it has a manifest).
    var hasManifest = false
    var folders: [Folder] = []
    /// Members that are neither messages nor MailFerry's own files, for the listing's problems.
    var skipped: [String] = []

    /// Reads the whole archive once (message bytes are skipped, except the first few of
    /// members that might be mbox files).
    static func build(path: String, limits: ArchiveLimits) throws -> ArchiveIndex {
        let reader = try ArchiveReader(path: path, limits: limits)
        defer { reader.close() }
        var manifest: [ArchiveManifest.Entry]?
        var foreign: [Member] = []
        var skipped: [String] = []
        var keywordFiles: [String: [Character: Keyword]] = [:]
        var maildirLetters: [Int: (directory: String, letters: Substring)] = [:]
        var tree = ForeignMaildirTree()
        while let entry = try reader.next() {
            if entry.isDirectory {
                tree.noteDirectory(entry.name)
                continue
            }
            let name = entry.name
            if name.path == ArchiveManifest.memberName {
                manifest = try ArchiveManifest.parse(try reader.readAll(maximum: ArchiveManifest.maximumSize), archive: path)
                continue
            }
            let fileName = name.fileName
            if fileName == "dovecot-keywords" {
                let directory = name.components.dropLast().joined(separator: "/")
                keywordFiles[directory] = parseKeywords(try reader.readAll(maximum: 64 * 1024))
                continue
            }
            if fileName == "dovecot-uidlist" || fileName.hasPrefix("dovecot.")
                || fileName == "maildirfolder" || fileName == "subscriptions" || fileName == MaildirFolderIdentity.fileName
                || name.path == ArchiveLayout.volumeIdentityMember
            {
                continue
            }
            if let (folder, info) = ArchiveLayout.maildirFolder(of: name) {
                let flags = info.map { MaildirInfo.flags(fromLetters: $0, keywordNames: [:]).0 } ?? .empty
                // Keyword letters are resolved once the folder's dovecot-keywords was seen.
                if let info { maildirLetters[foreign.count] = (name.components.dropLast(2).joined(separator: "/"), info) }
                if folder.isInbox { tree.noteMessage(at: foreign.count, directory: Array(name.components.dropLast(2))) }
                foreign.append(Member(name: name.path, folder: folder, kind: .single(flags: flags), size: entry.size ?? 0, modified: entry.modified))
            } else if fileName.lowercased().hasSuffix(".eml") {
                let directories = name.components.dropLast().map(String.init)
                guard !directories.contains(where: { $0 == "." || $0 == ".." }) else {
                    skipped.append(name.path)
                    continue
                }
                let folder = FolderPath(directories) ?? .inbox
                foreign.append(Member(name: name.path, folder: folder, kind: .single(flags: .empty), size: entry.size ?? 0, modified: entry.modified))
            } else {
                var head = [UInt8](repeating: 0, count: 5)
                let got = try head.withUnsafeMutableBytes { try reader.read(into: $0) }
                if got == 5 && head == Array("From ".utf8) {
                    var components = name.components.map(String.init)
                    for suffix in [".mbox", ".mbx"] where components[components.count - 1].lowercased().hasSuffix(suffix) {
                        components[components.count - 1].removeLast(suffix.count)
                    }
                    let parts = components.filter { !$0.isEmpty }
                    guard !parts.contains(where: { $0 == "." || $0 == ".." }) else {
                        skipped.append(name.path)
                        continue
                    }
                    let folder = FolderPath(parts) ?? .inbox
                    foreign.append(Member(name: name.path, folder: folder, kind: .mbox, size: entry.size ?? 0, modified: entry.modified))
                } else {
                    skipped.append(name.path)
                }
            }
        }
        for (position, found) in maildirLetters {
            guard let names = keywordFiles[found.directory] else { continue }
            foreign[position].kind = .single(flags: MaildirInfo.flags(fromLetters: found.letters, keywordNames: names).0)
        }
        // A tree of plain directories with cur/ and new/ (the fs layout): folders from the path.
        var origins: [FolderPath: String] = [:]
        for (position, folder, origin) in tree.folders() {
            foreign[position].folder = folder
            origins[folder] = origin
        }
        var index = ArchiveIndex()
        if let manifest {
            index.hasManifest = true
            index.add(
                manifest.map {
                    Member(name: $0.member, folder: $0.folderPath ?? .inbox, kind: .manifest($0), size: $0.size, modified: $0.internalDate)
                })
        } else {
            index.add(foreign)
            index.skipped = skipped
            for position in index.folders.indices { index.folders[position].origin = origins[index.folders[position].path] }
        }
        return index
    }

    /// A `dovecot-keywords` file: `0 $Junk` gives letter `a` the keyword `$Junk`.
    private static func parseKeywords(_ bytes: [UInt8]) -> [Character: Keyword] {
        var names: [Character: Keyword] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), (0..<26).contains(index),
                let keyword = Keyword(String(parts[1]))
            else { continue }
            names[Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(index)))] = keyword
        }
        return names
    }

    /// Every member that holds messages, by name (built once: each folder's pass looks its members up).
    private(set) var membersByName: [String: Member] = [:]

    private mutating func add(_ members: [Member]) {
        membersByName = Dictionary(members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var order: [FolderPath] = []
        var byPath: [FolderPath: Folder] = [:]
        for member in members {
            if byPath[member.folder] == nil {
                order.append(member.folder)
                byPath[member.folder] = Folder(path: member.folder)
            }
            byPath[member.folder]!.messages += 1
            byPath[member.folder]!.bytes += member.size
            byPath[member.folder]!.members.insert(member.name)
        }
        folders = order.sorted().compactMap { byPath[$0] }
    }
}
