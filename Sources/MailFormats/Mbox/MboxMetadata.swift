import MailCore

/// The header fields mbox files use to carry flags, both ways.
///
/// | header | meaning |
/// |--------|---------|
/// | `Status: R` | `\Seen` (`O`, "old", carries no IMAP flag) |
/// | `X-Status: A F T D` | `\Answered`, `\Flagged`, `\Draft`, `\Deleted` |
/// | `X-Keywords: a b` | keywords, space- (or comma-) separated |
/// | `X-Mozilla-Status: hex` | Thunderbird bits: 0x1 seen, 0x2 answered, 0x4 flagged, 0x8 deleted (expunged), 0x1000 `$Forwarded` — read only when `Status`/`X-Status` are absent |
/// | `X-Mozilla-Keys: a b` | Thunderbird keywords, read when `X-Keywords` is absent |
///
/// `Status`, `X-Status`, `X-Keywords`, `X-UID`, `X-IMAP`, `X-IMAPbase` and `Content-Length` are
/// mbox bookkeeping, not message content: readers remove them from the message (as Dovecot hides
/// them) and writers put fresh ones back, so a message's fingerprint does not change on the way
/// through an mbox file. Thunderbird's `X-Mozilla-Status`, `X-Mozilla-Status2` and
/// `X-Mozilla-Keys` are its local bookkeeping too: read as flags, then removed, so that mail a
/// POP3 client downloaded has the same bytes (and so the same identity for `--dedup`) as the copy
/// still on the server.
public enum MboxMetadata {
    /// Lower-cased names of the bookkeeping fields removed from messages read from mbox files.
    public static let bookkeepingFields: Set<String> = [
        "status", "x-status", "x-keywords", "x-uid", "x-imap", "x-imapbase", "content-length",
        "x-mozilla-status", "x-mozilla-status2", "x-mozilla-keys",
    ]

    /// Lower-cased names of every field ``parse(fields:)`` reads.
    public static let readFields: Set<String> = bookkeepingFields

    /// What the header fields of one message say.
    public struct Parsed: Sendable {
        public var flags = FlagSet()
        /// The `Content-Length` value, when present and numeric.
        public var contentLength: Int?
        /// Keywords that are not valid IMAP atoms and were dropped.
        public var invalidKeywords: [String] = []
    }

    /// Reads flags from header fields (`name`, unfolded value) of one message.
    public static func parse(fields: [(name: String, value: String)]) -> Parsed {
        var parsed = Parsed()
        var status: String?
        var xStatus: String?
        var keywords: String?
        var mozillaStatus: String?
        var mozillaKeys: String?
        for field in fields {
            switch field.name.lowercased() {
            case "status": status = (status ?? "") + field.value
            case "x-status": xStatus = (xStatus ?? "") + field.value
            case "x-keywords": keywords = (keywords.map { $0 + " " } ?? "") + field.value
            case "x-mozilla-status": mozillaStatus = field.value
            case "x-mozilla-keys": mozillaKeys = field.value
            case "content-length": parsed.contentLength = Int(field.value.trimmingCharacters(in: .whitespaces))
            default: break
            }
        }
        if status != nil || xStatus != nil {
            if status?.contains("R") == true { parsed.flags.insert(.seen) }
            for letter in xStatus ?? "" {
                switch letter {
                case "A": parsed.flags.insert(.answered)
                case "F": parsed.flags.insert(.flagged)
                case "T": parsed.flags.insert(.draft)
                case "D": parsed.flags.insert(.deleted)
                default: break
                }
            }
        } else if let mozillaStatus, let bits = UInt32(mozillaStatus.trimmingCharacters(in: .whitespaces), radix: 16) {
            if bits & 0x1 != 0 { parsed.flags.insert(.seen) }
            if bits & 0x2 != 0 { parsed.flags.insert(.answered) }
            if bits & 0x4 != 0 { parsed.flags.insert(.flagged) }
            if bits & 0x8 != 0 { parsed.flags.insert(.deleted) }
            if bits & 0x1000 != 0 { parsed.flags.insert(.keyword(.forwarded)) }
        }
        for word in (keywords ?? mozillaKeys ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            if let keyword = Keyword(String(word)) {
                parsed.flags.insert(.keyword(keyword))
            } else {
                parsed.invalidKeywords.append(String(word))
            }
        }
        return parsed
    }

    /// The bookkeeping lines for `flags`, each ending in `newline`:
    /// `Status: RO` (or `O`), then `X-Status:` and `X-Keywords:` when there is something to say.
    public static func lines(for flags: FlagSet, newline: [UInt8]) -> [UInt8] {
        var text = flags.system.contains(.seen) ? "Status: RO" : "Status: O"
        var xStatus = ""
        if flags.system.contains(.answered) { xStatus += "A" }
        if flags.system.contains(.flagged) { xStatus += "F" }
        if flags.system.contains(.draft) { xStatus += "T" }
        if flags.system.contains(.deleted) { xStatus += "D" }
        var output = Array(text.utf8) + newline
        if !xStatus.isEmpty {
            text = "X-Status: \(xStatus)"
            output += Array(text.utf8) + newline
        }
        if !flags.keywords.isEmpty {
            text = "X-Keywords: " + flags.keywords.sorted().map(\.name).joined(separator: " ")
            output += Array(text.utf8) + newline
        }
        return output
    }
}
