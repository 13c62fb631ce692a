import MailCore

/// How a Maildir tree spells sub-folders on disk.
public enum MaildirLayout: String, Sendable, Codable, CaseIterable {
    /// Maildir++ (Dovecot's and Courier's default): `root/.Parent.Child/`, the root is INBOX.
    case maildirPlusPlus = "maildir++"
    /// One directory per level: `root/Parent/Child/`, the root is INBOX (Dovecot `LAYOUT=fs`).
    case fs
}

/// The folders of a Maildir tree: where each ``FolderPath`` lives on disk, and which exist.
///
/// Folder names are encoded with ``FolderNameEscaping`` (modified UTF-7 and `\NN` escapes, as
/// Dovecot writes them), and every computed directory is checked to lie inside ``root``:
/// a hostile name such as `../../etc` becomes `\2e\2e`, never a path out of the tree.
public struct MaildirTree: Sendable {
    public let root: String
    public let layout: MaildirLayout
    /// How deep the fs layout is searched (a guard against loops and runaway trees).
    public static let maximumDepth = 64

    public init(root: String, layout: MaildirLayout) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.layout = layout
    }

    var escaping: FolderNameEscaping { layout == .fs ? .maildirFS : .maildirPlusPlus }

    /// Whether `directory` is a Maildir (has `cur/`).
    public static func isMaildir(_ directory: String) -> Bool {
        POSIX.isDirectory("\(directory)/cur")
    }

    /// The layout an existing tree uses, or `nil` when it has no sub-folders to tell by.
    public static func detectLayout(root: String) -> MaildirLayout? {
        guard let names = try? POSIX.listDirectory(root, scope: .store) else { return nil }
        var sawFS = false
        for name in names where name != "cur" && name != "new" && name != "tmp" {
            let path = "\(root)/\(name)"
            guard POSIX.kind(path) == .directory else { continue }
            if name.hasPrefix(".") {
                if isMaildir(path) { return .maildirPlusPlus }
            } else if isMaildir(path) || containsMaildir(path, depth: 3) {
                sawFS = true
            }
        }
        return sawFS ? .fs : nil
    }

    private static func containsMaildir(_ directory: String, depth: Int) -> Bool {
        guard depth > 0, let names = try? POSIX.listDirectory(directory, scope: .folder) else { return false }
        for name in names where name != "cur" && name != "new" && name != "tmp" {
            let path = "\(directory)/\(name)"
            guard POSIX.kind(path) == .directory else { continue }
            if isMaildir(path) || containsMaildir(path, depth: depth - 1) { return true }
        }
        return false
    }

    /// The directory that holds `folder`. Throws `invalid-folder-name` when a component cannot be
    /// spelled on disk (too long), and `unsafe-path` if the result would leave the tree.
    public func directory(for folder: FolderPath) throws -> String {
        if folder.isInbox { return root }
        var encoded: [String] = []
        for component in folder.components {
            guard let name = escaping.encode(component) else {
                throw MailError.folder(
                    .invalidFolderName, "folder name component is too long for a file name", folder: folder)
            }
            encoded.append(name)
        }
        let relative: String
        switch layout {
        case .maildirPlusPlus:
            relative = "." + encoded.joined(separator: ".")
            guard relative.utf8.count <= FolderNameEscaping.maximumEncodedLength else {
                throw MailError.folder(
                    .invalidFolderName, "folder name is too long for a Maildir++ directory name", folder: folder)
            }
        case .fs:
            relative = encoded.joined(separator: "/")
        }
        // Defence in depth: escaping guarantees this, and we check it anyway.
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw MailError.folder(.unsafePath, "folder name would leave the Maildir", folder: folder)
        }
        return "\(root)/\(relative)"
    }

    /// Creates the directories leading to `folder`'s directory (fs layout parents are plain
    /// directories), refusing to pass through a symbolic link; returns the folder's directory.
    public func createParents(for folder: FolderPath) throws -> String {
        let directory = try self.directory(for: folder)
        guard directory != root else { return directory }
        var current = root
        for component in directory.dropFirst(root.count + 1).split(separator: "/").dropLast() {
            current += "/\(component)"
            do {
                try POSIX.makeDirectory(current, scope: .folder)
            } catch let error as MailError {
                throw error.inFolder(folder)
            }
        }
        return directory
    }

    /// Every Maildir folder in the tree, INBOX (the root) first when it is a Maildir.
    public func listFolders() throws -> [(path: FolderPath, directory: String)] {
        var result: [(FolderPath, String)] = []
        let names = try POSIX.listDirectory(root, scope: .store)
        let rootIsMaildir = Self.isMaildir(root)
        if rootIsMaildir { result.append((.inbox, root)) }
        switch layout {
        case .maildirPlusPlus:
            for name in names.sorted() where name.hasPrefix(".") && name.count > 1 {
                let directory = "\(root)/\(name)"
                guard POSIX.kind(directory) == .directory, Self.isMaildir(directory) else { continue }
                let components = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
                    .map { escaping.decode(String($0)) }
                // An empty level (`.a..b`, `.a.`): one folder named by the whole name, never dropped.
                guard var path = FolderPath(components) ?? FolderPath([escaping.decode(String(name.dropFirst()))]) else { continue }
                path.role = components.count == 1 ? SpecialUse.guess(fromName: components[0]) : nil
                if path.isInbox && rootIsMaildir { continue }
                result.append((path, directory))
            }
        case .fs:
            try walk(directory: root, components: [], depth: 0, into: &result, rootIsMaildir: rootIsMaildir)
        }
        return result
    }

    private func walk(
        directory: String, components: [String], depth: Int, into result: inout [(FolderPath, String)],
        rootIsMaildir: Bool
    ) throws {
        guard depth < Self.maximumDepth else { return }
        let names = try POSIX.listDirectory(directory, scope: depth == 0 ? .store : .folder).sorted()
        for name in names {
            if depth == 0 || Self.isMaildir(directory) {
                if name == "cur" || name == "new" || name == "tmp" { continue }
            }
            let child = "\(directory)/\(name)"
            guard POSIX.kind(child) == .directory else { continue }
            let childComponents = components + [escaping.decode(name)]
            if Self.isMaildir(child), var path = FolderPath(childComponents) {
                if !(path.isInbox && rootIsMaildir) {
                    path.role = childComponents.count == 1 ? SpecialUse.guess(fromName: childComponents[0]) : nil
                    result.append((path, child))
                }
            }
            try walk(directory: child, components: childComponents, depth: depth + 1, into: &result, rootIsMaildir: rootIsMaildir)
        }
    }

    /// The message files of a folder directory (`cur/` and `new/`) in delivery order: names
    /// compared with their digit runs as numbers (`1700000000.M999…` before `1700000000.M1000…`),
    /// which for names made by mail programs is the order they were delivered in. `ordered: false`
    /// skips the sorting, for callers that only count.
    public static func messageFiles(in directory: String, ordered: Bool = true) throws -> [(subdirectory: String, name: String)] {
        var files: [(String, String)] = []
        for subdirectory in ["cur", "new"] {
            let path = "\(directory)/\(subdirectory)"
            guard POSIX.isDirectory(path) else { continue }
            for name in try POSIX.listDirectory(path, scope: .folder) where !name.hasPrefix(".") {
                files.append((subdirectory, name))
            }
        }
        return ordered ? files.sorted { MaildirFileName.deliveredBefore($0.1, $1.1) } : files
    }
}
