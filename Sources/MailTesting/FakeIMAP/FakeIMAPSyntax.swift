import Foundation
import MailCore

/// Spelling values for the server's responses: atoms, quoted strings and literals, flag lists,
/// dates. Responses never carry a raw CR, LF or NUL inside a quoted string: those go as literals.
enum FakeIMAPSyntax {
    /// Whether `byte` may appear in an atom (RFC 3501 ATOM-CHAR).
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7f...: return false
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    /// A quoted string, or a literal when the text holds CR, LF, NUL or 8-bit bytes.
    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        if bytes.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 || $0 >= 0x80 }) { return literal(bytes) }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// An atom when every byte allows it (and it is not NIL), else a string.
    static func astring(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.allSatisfy(isAtomChar), text.uppercased() != "NIL" { return bytes }
        return string(text)
    }

    /// A mailbox name as Gmail and Dovecot send it: always quoted (a literal when it must be).
    static func mailbox(_ name: String) -> [UInt8] { string(name) }

    /// `{n}\r\n` and the bytes.
    static func literal(_ bytes: [UInt8]) -> [UInt8] { Array("{\(bytes.count)}\r\n".utf8) + bytes }

    /// `(\Seen $Forwarded)`.
    static func flagList(_ flags: [String]) -> String { "(" + flags.joined(separator: " ") + ")" }

    /// INTERNALDATE's `"27-Nov-2026 12:52:45 +0000"` (UTC).
    static func internalDate(_ date: Date) -> String { "\"" + MessageDate.formatIMAP(date) + "\"" }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// SEARCH's `date` (`4-Mar-2024`, optionally quoted) as days since 1970 (UTC), or nil.
    static func searchDay(_ text: String) -> Int? {
        let parts = text.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).split(separator: "-")
        guard parts.count == 3, let day = Int(parts[0]), let year = Int(parts[2]),
            let month = months.firstIndex(of: parts[1].lowercased()), (1...31).contains(day), (1...9999).contains(year)
        else { return nil }
        guard day <= CivilDate.daysIn(month: month + 1, year: year) else { return nil }
        return CivilDate.days(year: year, month: month + 1, day: day)
    }

    /// Days since 1970 of `date` in UTC, for SEARCH's date keys.
    static func day(of date: Date) -> Int { CivilDate.parts(date).days }
}

/// A sequence set or UID set from a command (`1:4,7,9:*`), matched against numbers with `*`
/// standing for the largest number in the mailbox.
struct FakeSequenceSet: Sendable {
    private var ranges: [(UInt32?, UInt32?)]  // nil = `*`

    /// Parses `text`; nil when it is not a sequence set. At most 10,000 ranges.
    init?(_ text: String) {
        ranges = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !items.isEmpty, items.count <= 10_000 else { return nil }
        for item in items {
            let ends = item.split(separator: ":", omittingEmptySubsequences: false)
            guard ends.count == 1 || ends.count == 2 else { return nil }
            var values: [UInt32?] = []
            for end in ends {
                if end == "*" {
                    values.append(nil)
                } else if let value = UInt32(end), value > 0 {
                    values.append(value)
                } else {
                    return nil
                }
            }
            ranges.append((values[0], values.count == 2 ? values[1] : values[0]))
        }
    }

    /// Whether `number` is in the set, `largest` being what `*` means.
    func contains(_ number: UInt32, largest: UInt32) -> Bool {
        for (a, b) in ranges {
            let low = a ?? largest
            let high = b ?? largest
            if number >= min(low, high) && number <= max(low, high) { return true }
        }
        return false
    }
}

/// UIDs as IMAP writes a set: `4`, `4:6,9`.
func fakeUIDSetText(_ uids: [UInt32]) -> String {
    var parts: [String] = []
    var index = 0
    let sorted = uids
    while index < sorted.count {
        var end = index
        while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
        parts.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
        index = end + 1
    }
    return parts.joined(separator: ",")
}
