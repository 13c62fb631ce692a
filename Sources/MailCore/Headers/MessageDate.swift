import Foundation

/// Date parsing and formatting for mail: RFC 5322 `Date:` headers (with the obsolete forms real
/// mail still has) and the asctime dates of mbox `From ` lines.
///
/// Parsing is token-based and forgiving about order, case, comments and extra words, and strict
/// about values: a date with a 31st of February or an hour of 25 is not a date.
public enum MessageDate {
    /// Parses a `Date:` header value such as `Wed, 27 Nov 2026 12:52:45 +0100 (CET)`;
    /// a missing zone means UTC (`-0000`, RFC 5322 §3.3).
    public static func parseRFC5322(_ text: String) -> Date? {
        parseTokens(text, strictMonthNames: false)
    }

    /// Parses the date part of an mbox `From ` line: `Wed Nov 27 12:52:45 2026`, optionally with a
    /// zone before or after the year and trailing words (`remote from host`). Zone-less dates are UTC.
    public static func parseAsctime(_ text: String) -> Date? {
        parseTokens(text, strictMonthNames: true)
    }

    /// `Wed Nov 27 12:52:45 2026`, in UTC, as mbox `From ` lines carry it.
    public static func formatAsctime(_ date: Date) -> String {
        let c = civil(fromEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
        let day = c.day < 10 ? " \(c.day)" : "\(c.day)"
        return "\(weekdays[c.weekday]) \(months[c.month - 1]) \(day) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)) \(c.year)"
    }

    /// `Wed, 27 Nov 2026 12:52:45 +0000`, as an RFC 5322 `Date:` value in UTC.
    public static func formatRFC5322(_ date: Date) -> String {
        let c = civil(fromEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
        return "\(weekdays[c.weekday]), \(c.day) \(months[c.month - 1]) \(c.year) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)) +0000"
    }

    /// Parses IMAP's `date-time` (RFC 3501 §9): `27-Nov-2026 12:52:45 +0100` (the day may be
    /// space-padded), as INTERNALDATE carries it.
    public static func parseIMAP(_ text: String) -> Date? {
        let trimmed = text.drop(while: { $0 == " " || $0 == "\"" })
        let parts = trimmed.split(separator: "-", maxSplits: 2)
        guard parts.count == 3 else { return nil }
        return parseTokens("\(parts[0]) \(parts[1]) \(parts[2].replacingDoubleQuotes())", strictMonthNames: true)
    }

    /// `27-Nov-2026 12:52:45 +0000`, for APPEND.
    public static func formatIMAP(_ date: Date) -> String {
        let c = civil(fromEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
        let day = c.day < 10 ? " \(c.day)" : "\(c.day)"
        return "\(day)-\(months[c.month - 1])-\(c.year) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)) +0000"
    }

    /// `28-Nov-2026`, IMAP's `date` (RFC 3501 §9) in UTC, as SEARCH BEFORE/SINCE take it.
    public static func formatIMAPDay(_ date: Date) -> String {
        let (year, month, day) = CivilDate.civil(fromDays: CivilDate.parts(date).days)
        return "\(day)-\(months[month - 1])-\(year)"
    }

    // MARK: - Parsing

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Obsolete zone names of RFC 5322 §4.3, in minutes east of UTC.
    private static let namedZones: [String: Int] = [
        "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
        "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
        "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    ]

    /// Lower-case month abbreviations as bytes, for matching without Foundation.
    private static let monthKeys: [[UInt8]] = months.map { Array($0.lowercased().utf8) }

    private static func parseTokens(_ text: String, strictMonthNames: Bool) -> Date? {
        // Drop comments, then split on whitespace and commas; all on bytes.
        var tokens: [ArraySlice<UInt8>] = []
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        var depth = 0
        for byte in text.utf8.prefix(200) {
            if byte == UInt8(ascii: "(") { depth += 1; continue }
            if byte == UInt8(ascii: ")") { depth = max(0, depth - 1); continue }
            if depth == 0 { bytes.append(byte == UInt8(ascii: ",") ? 0x20 : byte) }
        }
        var tokenStart: Int?
        for (index, byte) in bytes.enumerated() {
            if byte == 0x20 || byte == 0x09 {
                if let begin = tokenStart { tokens.append(bytes[begin..<index]) }
                tokenStart = nil
            } else if tokenStart == nil {
                tokenStart = index
            }
        }
        if let begin = tokenStart { tokens.append(bytes[begin...]) }

        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        var zoneMinutes: Int?
        for token in tokens {
            if time == nil, token.contains(UInt8(ascii: ":")) {
                let parts = token.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
                guard parts.count == 2 || parts.count == 3, let h = number(parts[0]), let m = number(parts[1]) else {
                    continue
                }
                let s = parts.count == 3 ? number(parts[2]) : 0
                guard let s, (0...23).contains(h), (0...59).contains(m), (0...60).contains(s) else { return nil }
                time = (h, m, min(s, 59))
            } else if let first = token.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-"), token.count == 5,
                let value = number(token.dropFirst()), zoneMinutes == nil
            {
                guard value % 100 < 60 else { return nil }
                let minutes = (value / 100) * 60 + value % 100
                zoneMinutes = first == UInt8(ascii: "-") ? -minutes : minutes
            } else if let value = number(token) {
                if day == nil && token.count <= 2 {
                    day = value
                } else if year == nil {
                    switch token.count {
                    case 4...: year = value
                    case 3: year = value + 1900
                    default: year = value < 50 ? value + 2000 : value + 1900
                    }
                }
            } else if month == nil, strictMonthNames ? token.count == 3 : token.count >= 3,
                let index = monthKeys.firstIndex(where: { key in
                    zip(key, token.prefix(3)).allSatisfy { $0 == ($1 | 0x20) }
                })
            {
                month = index + 1
            } else if zoneMinutes == nil, time != nil, token.count <= 3,
                let named = namedZones[String(decoding: token, as: UTF8.self).uppercased()]
            {
                zoneMinutes = named
            }
        }
        guard let day, let month, let year, let time, (1...9999).contains(year),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let days = Int64(CivilDate.days(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(time.0 * 3600 + time.1 * 60 + time.2) - Int64((zoneMinutes ?? 0) * 60)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// A run of ASCII digits (at most 9) as a number.
    private static func number(_ token: ArraySlice<UInt8>) -> Int? {
        guard !token.isEmpty, token.count <= 9 else { return nil }
        var value = 0
        for byte in token {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private struct Civil { var year, month, day, hour, minute, second, weekday: Int }

    /// UTC calendar fields of a time, through ``CivilDate``.
    private static func civil(fromEpoch seconds: Int64) -> Civil {
        let (days, rest) = CivilDate.parts(Date(timeIntervalSince1970: TimeInterval(seconds)))
        let (year, month, day) = CivilDate.civil(fromDays: days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
        return Civil(
            year: year, month: month, day: day, hour: rest / 3600, minute: rest % 3600 / 60, second: rest % 60,
            weekday: weekday)
    }

    private static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension Substring {
    fileprivate func replacingDoubleQuotes() -> String { String(self.filter { $0 != "\"" }) }
}
