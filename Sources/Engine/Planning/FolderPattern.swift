import MailCore

/// A folder glob as users write them for `--folder` and `--exclude`, matched against the
/// folder's `/`-separated name (`Archive/2021`).
///
/// `*` matches any run of characters, across levels (`Archive*` matches `Archive` and
/// `Archive/2021`); `%` matches within one level (`Archive/%` matches `Archive/2021` but not
/// `Archive/2021/Q1`), as in IMAP LIST; `?` matches one character. A leading `INBOX` matches
/// case-insensitively, as INBOX is in IMAP.
public struct FolderPattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let characters: [Character]

    public init(_ pattern: String) {
        var text = pattern
        if text.count >= 5, text.prefix(5).uppercased() == "INBOX",
            text.count == 5 || text[text.index(text.startIndex, offsetBy: 5)] == "/"
        {
            text = "INBOX" + text.dropFirst(5)
        }
        self.pattern = text
        self.characters = Array(text)
    }

    public var description: String { pattern }

    public func matches(_ folder: FolderPath) -> Bool {
        Self.match(characters[...], Array(folder.displayName)[...])
    }

    private static func match(_ pattern: ArraySlice<Character>, _ text: ArraySlice<Character>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var star: (p: Int, t: Int, crossesLevels: Bool)?
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == "*" || pattern[p] == "%" {
                star = (p, t, pattern[p] == "*")
                p += 1
            } else if p < pattern.endIndex, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let s = star, s.crossesLevels || text[s.t] != "/" {
                star = (s.p, s.t + 1, s.crossesLevels)
                p = s.p + 1
                t = s.t + 1
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == "*" || pattern[p] == "%" { p += 1 }
        return p == pattern.endIndex
    }
}
