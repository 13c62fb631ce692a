/// A folder's special-use role (RFC 6154, RFC 8457), so that a Sent folder maps to the
/// destination's Sent folder whatever each is called.
public enum SpecialUse: String, Sendable, Hashable, Codable, CaseIterable {
    case all = "\\All"
    case archive = "\\Archive"
    case drafts = "\\Drafts"
    case flagged = "\\Flagged"
    case important = "\\Important"
    case junk = "\\Junk"
    case sent = "\\Sent"
    case trash = "\\Trash"

    /// The LIST attribute as a server sends it (`\Sent`).
    public var attribute: String { rawValue }

    /// Parses a LIST attribute, case-insensitively; `nil` for attributes that are not roles.
    public init?(attribute: String) {
        guard let role = SpecialUse.allCases.first(where: { $0.rawValue.lowercased() == attribute.lowercased() })
        else { return nil }
        self = role
    }

    /// Guesses the role of a top-level folder from the names common clients give it
    /// (Thunderbird, Outlook, Apple Mail, mutt), for stores that carry no role of their own.
    public static func guess(fromName name: String) -> SpecialUse? {
        namesByRole[name.lowercased()]
    }

    private static let namesByRole: [String: SpecialUse] = [
        "sent": .sent, "sent items": .sent, "sent messages": .sent, "sent mail": .sent,
        "drafts": .drafts, "draft": .drafts,
        "trash": .trash, "deleted items": .trash, "deleted messages": .trash, "bin": .trash,
        "junk": .junk, "spam": .junk, "junk e-mail": .junk, "junk email": .junk,
        "archive": .archive, "archives": .archive,
    ]
}
