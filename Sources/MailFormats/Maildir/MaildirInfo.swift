import MailCore

/// The flags part of a Maildir file name (`:2,FRS` plus keyword letters), both ways.
///
/// | letter | IMAP flag    |
/// |--------|--------------|
/// | `D`    | `\Draft`     |
/// | `F`    | `\Flagged`   |
/// | `P`    | `$Forwarded` (passed; mutt's spelling) |
/// | `R`    | `\Answered`  (replied) |
/// | `S`    | `\Seen`      |
/// | `T`    | `\Deleted`   (trashed) |
/// | `a`–`z`| keywords, through the folder's `dovecot-keywords` file |
///
/// Letters are written in ASCII order, as the Maildir specification asks. `$Forwarded` is written
/// both as `P` (for mutt and other Maildir readers) and as a keyword letter (Dovecot does not read
/// `P` as `$Forwarded`: it lists `$Forwarded` in `dovecot-keywords`); either one reads back as
/// `$Forwarded`.
public enum MaildirInfo {
    /// The info separators seen in the wild: `:` (standard), `;` and `!` (file systems without `:`).
    public static let separators: [Character] = [":", ";", "!"]

    /// Parses the letters after `2,` into flags; `keywordNames` maps `a`… to names.
    /// Returns the flags and the letters that mean nothing here (kept for reporting).
    public static func flags(fromLetters letters: Substring, keywordNames: [Character: Keyword]) -> (
        FlagSet, unknown: [Character]
    ) {
        var flags = FlagSet()
        var unknown: [Character] = []
        for letter in letters {
            switch letter {
            case "D": flags.insert(.draft)
            case "F": flags.insert(.flagged)
            case "P": flags.insert(.keyword(.forwarded))
            case "R": flags.insert(.answered)
            case "S": flags.insert(.seen)
            case "T": flags.insert(.deleted)
            case "a"..."z":
                if let keyword = keywordNames[letter] { flags.insert(.keyword(keyword)) } else { unknown.append(letter) }
            default: unknown.append(letter)
            }
        }
        return (flags, unknown)
    }

    /// The letters for `flags`, in ASCII order. `letterForKeyword` gives the letter of a keyword
    /// (or `nil` when the folder has no letter left for it; such keywords are returned as dropped).
    public static func letters(for flags: FlagSet, letterForKeyword: (Keyword) -> Character?) -> (
        String, dropped: Set<Keyword>
    ) {
        var letters: [Character] = []
        if flags.system.contains(.draft) { letters.append("D") }
        if flags.system.contains(.flagged) { letters.append("F") }
        if flags.keywords.contains(.forwarded) { letters.append("P") }
        if flags.system.contains(.answered) { letters.append("R") }
        if flags.system.contains(.seen) { letters.append("S") }
        if flags.system.contains(.deleted) { letters.append("T") }
        var dropped: Set<Keyword> = []
        var keywordLetters: [Character] = []
        for keyword in flags.keywords {
            if let letter = letterForKeyword(keyword) { keywordLetters.append(letter) } else { dropped.insert(keyword) }
        }
        letters += keywordLetters.sorted()
        return (String(letters), dropped)
    }
}
