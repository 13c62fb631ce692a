import MailCore

/// A filter on a header field (`--header-match 'From:*@example.com'`, `--header-exclude
/// 'List-Id:*'`): the field's unfolded value against a glob (`*` any run, `?` one character),
/// ignoring case. Values are compared as written (encoded-words are not decoded).
public struct HeaderRule: Sendable, Hashable {
    /// The field name, lower case.
    public var field: String
    /// The glob, lower case.
    public var pattern: String
    /// Whether a match leaves the message out (else a message must match to be copied).
    public var excludes: Bool

    /// Parses `FIELD:GLOB`; `nil` when there is no field name.
    public init?(_ text: String, excludes: Bool) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return nil }
        let name = text[..<colon]
        guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        field = name.lowercased()
        pattern = text[text.index(after: colon)...].drop { $0 == " " }.lowercased()
        self.excludes = excludes
    }

    /// Whether some occurrence of the field matches.
    public func matches(_ header: [UInt8]) -> Bool {
        HeaderFields.values(named: field, in: header).contains { Self.glob(Array(pattern.utf8)[...], Array($0.lowercased().utf8)[...]) }
    }

    /// The longest run of the pattern without wildcards: what a server-side substring search
    /// (IMAP `HEADER field "text"`) can narrow by.
    public var literal: String? {
        let runs = pattern.split(whereSeparator: { $0 == "*" || $0 == "?" })
        return runs.max { $0.count < $1.count }.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Glob matching with `*` and `?`, iterative (no recursion depth to exhaust).
    static func glob(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var star: Int?
        var resume = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = t
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}
