/// One IMAP message flag: a system flag or a keyword.
///
/// IMAP's flags are MailFerry's lingua franca: every store maps its own markers (Maildir info
/// letters, mbox `Status:` headers, Thunderbird bits) to and from these.
/// `\Recent` is deliberately absent: it is session state, never copied.
public enum Flag: Hashable, Sendable, Comparable, CustomStringConvertible {
    case seen
    case answered
    case flagged
    case deleted
    case draft
    case keyword(Keyword)

    /// The IMAP spelling: `\Seen`, `\Answered`, …, or the keyword itself.
    public var description: String {
        switch self {
        case .seen: return "\\Seen"
        case .answered: return "\\Answered"
        case .flagged: return "\\Flagged"
        case .deleted: return "\\Deleted"
        case .draft: return "\\Draft"
        case .keyword(let keyword): return keyword.name
        }
    }

    /// Parses an IMAP flag as a server or a file spells it; system flags match case-insensitively.
    /// Returns `nil` for `\Recent`, for unknown `\`-flags, and for text that is not a valid flag.
    public init?(imap text: String) {
        if text.hasPrefix("\\") {
            switch text.lowercased() {
            case "\\seen": self = .seen
            case "\\answered": self = .answered
            case "\\flagged": self = .flagged
            case "\\deleted": self = .deleted
            case "\\draft": self = .draft
            default: return nil
            }
        } else if let keyword = Keyword(text) {
            self = .keyword(keyword)
        } else {
            return nil
        }
    }

    public static func < (lhs: Flag, rhs: Flag) -> Bool {
        switch (lhs, rhs) {
        case (.keyword(let a), .keyword(let b)): return a.name < b.name
        case (.keyword, _): return false
        case (_, .keyword): return true
        default: return lhs.systemOrder < rhs.systemOrder
        }
    }

    private var systemOrder: Int {
        switch self {
        case .seen: return 0
        case .answered: return 1
        case .flagged: return 2
        case .deleted: return 3
        case .draft: return 4
        case .keyword: return 5
        }
    }
}

/// An IMAP keyword (a user-defined flag such as `$Forwarded` or `ProjectX`).
///
/// Keywords are case-insensitive in IMAP; the well-known ones are stored in their canonical spelling
/// (`$forwarded` becomes `$Forwarded`) so that stores which compare them byte-wise agree.
/// A keyword is an IMAP atom: printable ASCII without spaces, parentheses, braces, `%`, `*`, `"`,
/// `\` or `]`, at most ``maximumLength`` bytes.
public struct Keyword: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The keyword as it is stored and sent.
    public let name: String

    /// Longest keyword accepted (Dovecot's limit for keyword names is far above common use).
    public static let maximumLength = 250

    /// Keywords with an agreed meaning and their canonical spellings (RFC 5788 registry, RFC 3503).
    public static let forwarded = Keyword(canonical: "$Forwarded")
    public static let junk = Keyword(canonical: "$Junk")
    public static let notJunk = Keyword(canonical: "$NotJunk")
    public static let mdnSent = Keyword(canonical: "$MDNSent")
    public static let phishing = Keyword(canonical: "$Phishing")
    public static let important = Keyword(canonical: "$Important")

    static let wellKnown: [String: Keyword] = {
        var table: [String: Keyword] = [:]
        for keyword in [forwarded, junk, notJunk, mdnSent, phishing, important] {
            table[keyword.name.lowercased()] = keyword
        }
        return table
    }()

    private init(canonical: String) { self.name = canonical }

    /// Creates a keyword, or returns `nil` when `text` is not a valid IMAP atom.
    /// Well-known keywords are normalised to their canonical spelling.
    public init?(_ text: String) {
        guard Keyword.isValidAtom(text) else { return nil }
        if let known = Keyword.wellKnown[text.lowercased()] {
            self = known
        } else {
            self.name = text
        }
    }

    /// Whether `text` can be sent to an IMAP server as a flag keyword.
    public static func isValidAtom(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength, utf8.first != UInt8(ascii: "\\") else { return false }
        for byte in utf8 {
            switch byte {
            case 0...0x20, 0x7f...0xff: return false
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                UInt8(ascii: "%"), UInt8(ascii: "*"), UInt8(ascii: "\""), UInt8(ascii: "\\"),
                UInt8(ascii: "]"):
                return false
            default: continue
            }
        }
        return true
    }

    public var description: String { name }

    public static func < (lhs: Keyword, rhs: Keyword) -> Bool { lhs.name < rhs.name }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let keyword = Keyword(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a valid IMAP keyword: \(text)"))
        }
        self = keyword
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
