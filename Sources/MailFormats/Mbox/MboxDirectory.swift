#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// A directory of mbox files as mail clients keep them: one file per folder, children of folder
/// `Name` in `Name.sbd/` (Thunderbird, SeaMonkey) or in a plain directory `Name/` (mutt, Pine),
/// Apple Mail exports as `Name.mbox/mbox`, and `.gz` files.
///
/// Names are UTF-8 on disk; unsafe names are escaped with ``FolderNameEscaping/mboxDirectory``
/// (`\NN`), so no folder name can point outside the directory. Index and lock files of mail
/// clients (`.msf`, `.lock`, dot files) are ignored; other files that are not mbox files are
/// listed as skipped.
public struct MboxDirectory: Sendable {
    /// A folder file found on disk.
    public struct Entry: Sendable, Hashable {
        public var path: FolderPath
        public var file: String
        public var compressed: Bool
    }

    public let root: String
    public static let maximumDepth = 64
    static let escaping = FolderNameEscaping.mboxDirectory
    static let ignoredSuffixes = [".msf", ".lock", ".mailferry-journal", ".dat", ".html", ".json", ".plist", ".toc"]

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// The mbox files and the files that were skipped (with why).
    public func list() throws -> (folders: [Entry], skipped: [(file: String, reason: String)]) {
        var folders: [Entry] = []
        var skipped: [(String, String)] = []
        try walk(root, components: [], depth: 0, folders: &folders, skipped: &skipped)
        return (folders.sorted { $0.path < $1.path }, skipped)
    }

    private func walk(
        _ directory: String, components: [String], depth: Int, folders: inout [Entry],
        skipped: inout [(String, String)]
    ) throws {
        guard depth < Self.maximumDepth else { return }
        let names = try POSIX.listDirectory(directory, scope: depth == 0 ? .store : .folder).sorted()
        for name in names where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            if Self.ignoredSuffixes.contains(where: { name.hasSuffix($0) }) { continue }
            var info = stat()
            guard stat(path, &info) == 0 else {
                skipped.append((path, "cannot be read: \(SystemError.text(errno))"))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                guard POSIX.kind(path) == .directory else { continue }  // do not follow directory links
                if name.hasSuffix(".sbd") {
                    let parent = Self.escaping.decode(String(name.dropLast(4)))
                    try walk(path, components: components + [parent], depth: depth + 1, folders: &folders, skipped: &skipped)
                } else if name.hasSuffix(".mbox"), POSIX.kind("\(path)/mbox") == .file {
                    let folderName = Self.escaping.decode(String(name.dropLast(5)))
                    if let folder = folderPath(components + [folderName], topLevel: depth == 0) {
                        folders.append(Entry(path: folder, file: "\(path)/mbox", compressed: false))
                    }
                } else {
                    try walk(
                        path, components: components + [Self.escaping.decode(name)], depth: depth + 1, folders: &folders,
                        skipped: &skipped)
                }
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            switch Self.classify(path, size: Int(info.st_size)) {
            case .mbox(let compressed):
                var base = name
                if compressed && base.hasSuffix(".gz") { base.removeLast(3) }
                if base.hasSuffix(".mbox") && base.count > 5 { base.removeLast(5) }
                if let folder = folderPath(components + [Self.escaping.decode(base)], topLevel: depth == 0) {
                    folders.append(Entry(path: folder, file: path, compressed: compressed))
                }
            case .other(let reason):
                skipped.append((path, reason))
            }
        }
    }

    private func folderPath(_ components: [String], topLevel: Bool) -> FolderPath? {
        guard var path = FolderPath(components) else { return nil }
        if components.count == 1 { path.role = SpecialUse.guess(fromName: components[0]) }
        return path
    }

    enum Classification { case mbox(compressed: Bool), other(String) }

    /// Looks at a file's first bytes: `From ` after any blank lines (or nothing at all) is mbox,
    /// gzip magic is a compressed one.
    static func classify(_ path: String, size: Int) -> Classification {
        if size == 0 { return .mbox(compressed: false) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .other("cannot be read: \(SystemError.text(errno))") }
        defer { sysClose(fd) }
        var head = [UInt8](repeating: 0, count: 4096)
        let got = head.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress, $0.count) }
        guard got > 0 else { return .other("cannot be read") }
        if got >= 2 && head[0] == 0x1f && head[1] == 0x8b { return .mbox(compressed: true) }
        let text = head[0..<got].drop(while: { $0 == 0x0a || $0 == 0x0d || $0 == 0x20 || $0 == 0x09 })
        if text.isEmpty || text.starts(with: Array("From ".utf8)) { return .mbox(compressed: false) }
        return .other("not an mbox file (does not start with \"From \")")
    }

    /// The file that holds `folder`, creating parent directories (and empty parent mbox files, as
    /// Thunderbird expects) when `create` is set. INBOX reuses an existing `Inbox` file.
    public func file(for folder: FolderPath, create: Bool) throws -> String {
        var encoded: [String] = []
        for component in folder.components {
            guard let name = Self.escaping.encode(component) else {
                throw MailError.folder(
                    .invalidFolderName, "folder name component is too long for a file name", folder: folder)
            }
            encoded.append(name)
        }
        // Defence in depth: escaping guarantees this, and we check it anyway.
        guard !encoded.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("/") }) else {
            throw MailError.folder(.unsafePath, "folder name would leave the directory", folder: folder)
        }
        if folder.components.count == 1, folder.isInbox,
            let existing = try? POSIX.listDirectory(root, scope: .store).first(where: {
                $0.lowercased() == "inbox" && POSIX.kind("\(root)/\($0)") == .file
            })
        {
            encoded = [existing]
        }
        var directory = root
        for parent in encoded.dropLast() {
            if create {
                let parentFile = "\(directory)/\(parent)"
                if POSIX.kind(parentFile) == nil {
                    let fd = open(parentFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
                    if fd >= 0 { sysClose(fd) }
                }
                try POSIX.makeDirectory("\(directory)/\(parent).sbd", scope: .folder)
            }
            directory += "/\(parent).sbd"
        }
        return "\(directory)/\(encoded.last!)"
    }
}
