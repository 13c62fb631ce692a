/// The mbox variants (RFC 4155 and the mbox(5) family), which differ in how a body line that
/// starts with `From ` is protected.
///
/// - `mboxo`: `From ` becomes `>From `; `>From ` is left alone, so the quoting cannot be undone.
/// - `mboxrd`: every `>*From ` gains one `>`; readers remove one. Reversible; MailFerry writes it.
/// - `mboxcl2`: no quoting; a `Content-Length:` header gives the body's size (Solaris, Dovecot).
///
/// When reading with no dialect given, MailFerry trusts a `Content-Length` that lands exactly on
/// the next `From ` line (or the end), and otherwise removes one `>` from `>From ` lines as
/// mboxrd asks. For a file written in mboxo that recovers the original `From ` lines too; the one
/// case it cannot tell apart is a body that really began a line with `>From `. Choose `mboxo`
/// explicitly to keep such lines as they are.
public enum MboxDialect: String, Sendable, Codable, CaseIterable {
    case mboxo
    case mboxrd
    case mboxcl2
}

/// What reading an mbox file showed about its dialect.
public struct MboxDialectEvidence: Sendable, Hashable, Codable {
    /// Messages whose `Content-Length` was used to find their end.
    public var messagesByContentLength = 0
    /// Messages whose end was found by the next `From ` line.
    public var messagesByFromLine = 0
    /// Body lines `>From ` (one `>`).
    public var quotedFromLines = 0
    /// Body lines `>>From `, `>>>From `, … (only mboxrd writers produce these from real text).
    public var multiplyQuotedFromLines = 0
    /// Body lines that start with an unquoted `From ` and were recognised as not separators.
    public var unquotedFromLines = 0

    public init() {}

    /// The dialect this evidence points to, `nil` when nothing tells (no quoted lines at all,
    /// in which case mboxo and mboxrd read the same).
    public var dialect: MboxDialect? {
        if messagesByContentLength > 0 && messagesByFromLine == 0 { return .mboxcl2 }
        if multiplyQuotedFromLines > 0 { return .mboxrd }
        if quotedFromLines > 0 { return unquotedFromLines > 0 ? .mboxo : .mboxrd }
        return nil
    }
}
