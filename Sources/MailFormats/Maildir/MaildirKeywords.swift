#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore

/// A Maildir folder's `dovecot-keywords` file: which keyword each letter `a`–`z` stands for.
///
/// Format (Dovecot `maildir-keywords.c`): one `index name` line per keyword, index 0–25 meaning
/// letters `a`–`z`; lines with other indexes or empty names are ignored; names match
/// case-insensitively. The file is replaced atomically (temporary file, fsync, rename) under
/// Dovecot's `dovecot-keywords.lock` dotlock, so a running Dovecot never sees it half-written.
public final class MaildirKeywords {
    public static let fileName = "dovecot-keywords"
    public static let maximumCount = 26

    public let directory: String
    private(set) var names: [Int: Keyword] = [:]

    /// Loads the file in `directory` (a missing file means no keywords yet).
    public init(directory: String) throws {
        self.directory = directory
        let path = "\(directory)/\(Self.fileName)"
        guard POSIX.kind(path) != nil else { return }
        let fd = try POSIX.openRead(path, scope: .folder)
        defer { sysClose(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 64 * 1024 {
            let got = try chunk.withUnsafeMutableBytes { try POSIX.read(fd, into: $0, path: path, scope: .folder) }
            if got == 0 { break }
            bytes += chunk[0..<got]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let index = Int(line[..<space]), (0..<26).contains(index),
                let keyword = Keyword(String(line[line.index(after: space)...]))
            else { continue }
            names[index] = keyword
        }
    }

    /// Letter → keyword, for reading file names.
    public var keywordsByLetter: [Character: Keyword] {
        var table: [Character: Keyword] = [:]
        for (index, keyword) in names { table[Self.letter(index)] = keyword }
        return table
    }

    /// The letter of `keyword`, if it has one.
    public func letter(for keyword: Keyword) -> Character? {
        let lowered = keyword.name.lowercased()
        return names.first(where: { $0.value.name.lowercased() == lowered }).map { Self.letter($0.key) }
    }

    /// Gives every keyword in `keywords` a letter, writing the file when new letters were needed.
    /// Keywords beyond the 26 letters get none; call ``letter(for:)`` afterwards to see which.
    public func assign(_ keywords: Set<Keyword>) throws {
        var changed = false
        for keyword in keywords.sorted() where letter(for: keyword) == nil {
            guard let free = (0..<Self.maximumCount).first(where: { names[$0] == nil }) else { break }
            names[free] = keyword
            changed = true
        }
        if changed { try save() }
    }

    private static func letter(_ index: Int) -> Character { Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index))) }

    private func save() throws {
        let path = "\(directory)/\(Self.fileName)"
        let lockPath = path + ".lock"
        let lock = try DotLock(path: lockPath, scope: .folder)
        defer { lock.release() }
        let temporary = "\(directory)/.\(Self.fileName).\(getpid()).tmp"
        let text = names.keys.sorted().map { "\($0) \(names[$0]!.name)\n" }.joined()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw POSIX.error("create", path: temporary, scope: .folder) }
        do {
            try Array(text.utf8).withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temporary, scope: .folder) }
            try POSIX.fsync(fd, path: temporary, scope: .folder)
            sysClose(fd)
        } catch {
            sysClose(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = POSIX.error("rename", path: path, scope: .folder)
            unlink(temporary)
            throw error
        }
        try POSIX.syncDirectory(directory, scope: .folder)
    }
}
