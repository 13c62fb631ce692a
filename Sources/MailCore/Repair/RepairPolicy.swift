/// What repair may do to a message for a destination that can refuse bytes: IMAP servers may
/// reject or mangle NUL bytes, stray CRs, raw 8-bit headers and overlong header lines. By
/// default (``RepairMode/onRefusal``) MailFerry sends messages as they are and applies this
/// policy — restricted to what the message needs — only to a message the destination refused.
public struct RepairPolicy: Sendable, Hashable, Codable {
    /// Stray line breaks become CRLF: a bare CR anywhere, a bare LF in a CRLF message.
    public var lineBreaks = true
    /// NUL bytes are removed (IMAP literals may not carry them).
    public var removeNUL = true
    /// A message that does not end with a line break gets one.
    public var finalLineBreak = true
    /// Raw 8-bit bytes in header fields are encoded per RFC 2047; off when the destination
    /// accepts UTF-8 headers (IMAP `UTF8=ACCEPT`).
    public var encode8BitHeaders = true
    /// Longest line, CRLF excluded (RFC 5322: 998); longer header lines are folded at
    /// whitespace, longer body lines are reported (folding them would change the content).
    public var maximumLineLength = 998

    public init(encode8BitHeaders: Bool = true, maximumLineLength: Int = 998) {
        self.encode8BitHeaders = encode8BitHeaders
        self.maximumLineLength = maximumLineLength
    }

    /// This policy doing only the repairs in `kinds` (what a refusal or a profile asks for):
    /// a repair left out is neither made nor looked for.
    public func restricted(to kinds: Set<RepairKind>) -> RepairPolicy {
        var policy = self
        policy.lineBreaks = lineBreaks && !kinds.isDisjoint(with: [.bareCarriageReturn, .bareLineFeed])
        policy.removeNUL = removeNUL && kinds.contains(.nul)
        policy.finalLineBreak = finalLineBreak && kinds.contains(.finalLineBreak)
        policy.encode8BitHeaders = encode8BitHeaders && kinds.contains(.eightBitHeader)
        if !kinds.contains(.longHeaderLine) { policy.maximumLineLength = .max }
        return policy
    }
}

/// When MailFerry repairs messages for a destination that can refuse bytes (`--repair`).
public enum RepairMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every message is repaired before it is sent (the old default, kept for destinations
    /// that accept bytes and then mangle them).
    case always
    /// Messages go as they are; one the destination refuses is repaired (only what it needs)
    /// and sent once more. Bytes the wire cannot carry, and repairs a provider profile declares,
    /// are repaired before sending. The default.
    case onRefusal = "on-refusal"
    /// Bytes are sent exactly as they are; a refused message goes to the quarantine.
    case never
}

/// One kind of repair, as reports name it.
public enum RepairKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case bareCarriageReturn = "bare-cr"
    case bareLineFeed = "bare-lf"
    case nul = "nul"
    case finalLineBreak = "final-crlf"
    case eightBitHeader = "8bit-header"
    case longHeaderLine = "long-header-line"

    /// What was done, for people.
    public var summary: String {
        switch self {
        case .bareCarriageReturn: "stray CRs made CRLF"
        case .bareLineFeed: "bare LFs made CRLF"
        case .nul: "NUL bytes removed"
        case .finalLineBreak: "final CRLF added"
        case .eightBitHeader: "8-bit header bytes encoded (RFC 2047)"
        case .longHeaderLine: "long header lines folded"
        }
    }

    public static func < (lhs: RepairKind, rhs: RepairKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
