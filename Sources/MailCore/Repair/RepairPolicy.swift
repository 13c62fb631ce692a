/// What a destination needs of a message's bytes beyond what it stores as given: IMAP servers
/// reject or mangle NUL bytes, stray CRs, raw 8-bit headers and overlong header lines, so for
/// an IMAP sink MailFerry repairs them (and reports each repair) unless told `--no-repair`.
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
