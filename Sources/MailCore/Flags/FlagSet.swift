/// The flags of one message: which system flags are set, and its keywords.
///
/// A value type with set semantics; ``sorted`` gives a stable order for display and comparison.
public struct FlagSet: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The five IMAP system flags as bits.
    public struct System: OptionSet, Hashable, Sendable, Codable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let seen = System(rawValue: 1 << 0)
        public static let answered = System(rawValue: 1 << 1)
        public static let flagged = System(rawValue: 1 << 2)
        public static let deleted = System(rawValue: 1 << 3)
        public static let draft = System(rawValue: 1 << 4)
        public static let all: System = [.seen, .answered, .flagged, .deleted, .draft]
    }

    public var system: System
    public var keywords: Set<Keyword>

    public init(system: System = [], keywords: Set<Keyword> = []) {
        self.system = system
        self.keywords = keywords
    }

    public init<S: Sequence>(_ flags: S) where S.Element == Flag {
        self.init()
        for flag in flags { insert(flag) }
    }

    public static let empty = FlagSet()

    public var isEmpty: Bool { system.isEmpty && keywords.isEmpty }

    public func contains(_ flag: Flag) -> Bool {
        switch flag {
        case .keyword(let keyword): return keywords.contains(keyword)
        default: return system.contains(Self.bit(flag))
        }
    }

    public mutating func insert(_ flag: Flag) {
        switch flag {
        case .keyword(let keyword): keywords.insert(keyword)
        default: system.insert(Self.bit(flag))
        }
    }

    public mutating func remove(_ flag: Flag) {
        switch flag {
        case .keyword(let keyword): keywords.remove(keyword)
        default: system.remove(Self.bit(flag))
        }
    }

    /// All flags in a stable order: system flags first (`\Seen \Answered \Flagged \Deleted \Draft`),
    /// then keywords alphabetically.
    public var sorted: [Flag] {
        var result: [Flag] = []
        for flag in [Flag.seen, .answered, .flagged, .deleted, .draft] where system.contains(Self.bit(flag)) {
            result.append(flag)
        }
        result += keywords.sorted().map(Flag.keyword)
        return result
    }

    /// The flags in `self` that are not in `other`.
    public func subtracting(_ other: FlagSet) -> FlagSet {
        FlagSet(system: system.subtracting(other.system), keywords: keywords.subtracting(other.keywords))
    }

    /// IMAP spelling, e.g. `\Seen \Flagged $Forwarded`.
    public var description: String { sorted.map(\.description).joined(separator: " ") }

    private static func bit(_ flag: Flag) -> System {
        switch flag {
        case .seen: return .seen
        case .answered: return .answered
        case .flagged: return .flagged
        case .deleted: return .deleted
        case .draft: return .draft
        case .keyword: return []
        }
    }

    // Reports and checkpoints store flags as the IMAP strings users recognise.
    public init(from decoder: any Decoder) throws {
        let texts = try decoder.singleValueContainer().decode([String].self)
        var flags = FlagSet()
        for text in texts {
            guard let flag = Flag(imap: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an IMAP flag: \(text)"))
            }
            flags.insert(flag)
        }
        self = flags
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(sorted.map(\.description))
    }
}
