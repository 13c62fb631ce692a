import Foundation

/// Reads header fields from the start of a message, tolerating the damage real mail carries:
/// bare LF, 8-bit bytes, lines without a colon, a missing blank line, NUL bytes.
///
/// It never throws: what it cannot read it leaves out.
public enum HeaderScanner {
    /// How many bytes of a message are searched for headers.
    public static let scanLimit = 256 * 1024

    /// The headers MailFerry uses to identify a message.
    public struct Summary: Sendable, Hashable {
        public var messageID: String?
        public var date: Date?
        /// The raw `Date:` value, when present.
        public var dateText: String?
        /// The address in `Return-Path:`, else in `From:`, for mbox `From ` lines.
        public var sender: String?
    }

    /// One header field: its name as written and its unfolded value (CRLF/LF + WSP removed).
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Message-ID, Date and sender of the message starting at `bytes`.
    public static func scan(_ bytes: [UInt8]) -> Summary {
        var summary = Summary()
        var from: String?
        forEachField(in: bytes) { field in
            switch field.name.lowercased() {
            case "message-id" where summary.messageID == nil:
                summary.messageID = normalizeMessageID(field.value)
            case "date" where summary.dateText == nil:
                summary.dateText = field.value
                summary.date = MessageDate.parseRFC5322(field.value)
            case "return-path" where summary.sender == nil:
                summary.sender = extractAddress(field.value)
            case "from" where from == nil:
                from = extractAddress(field.value)
            default: break
            }
            return true
        }
        if summary.sender == nil { summary.sender = from }
        return summary
    }

    /// Calls `body` for each header field until the blank line that ends the header section,
    /// the end of `bytes`, or `body` returning `false`. Lines that are not fields are skipped.
    public static func forEachField(in bytes: [UInt8], _ body: (Field) -> Bool) {
        bytes.withUnsafeBytes { buffer in
            var lineStart = 0
            var current: (name: String, value: [UInt8])?
            func emit() -> Bool {
                guard let field = current else { return true }
                current = nil
                let value = String(decoding: field.value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                return body(Field(name: field.name, value: value))
            }
            let limit = min(buffer.count, scanLimit)
            while lineStart < limit {
                var lineEnd = LineEndings.firstIndex(
                    of: 0x0a, in: UnsafeRawBufferPointer(rebasing: buffer[lineStart..<limit])
                ).map { lineStart + $0 } ?? limit
                let next = lineEnd + 1
                if lineEnd > lineStart && buffer[lineEnd - 1] == 0x0d { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: buffer[lineStart..<lineEnd])
                if line.isEmpty { break }  // end of the header section
                if line[0] == 0x20 || line[0] == 0x09 {
                    current?.value.append(0x20)
                    current?.value.append(contentsOf: line.drop(while: { $0 == 0x20 || $0 == 0x09 }))
                } else {
                    guard emit() else { return }
                    if let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                        line[0..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7f })
                    {
                        let name = String(decoding: line[0..<colon], as: UTF8.self)
                        current = (name, Array(line[(colon + 1)...]))
                    }
                }
                lineStart = next
            }
            _ = emit()
        }
    }

    /// `<id@host>` from a Message-ID value, tolerating missing brackets and comments.
    public static func normalizeMessageID(_ value: String) -> String? {
        if let open = value.firstIndex(of: "<"), let close = value[open...].firstIndex(of: ">") {
            let id = value[open...close]
            return id.count > 2 ? String(id) : nil
        }
        let token = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
        return token.flatMap { $0.isEmpty ? nil : "<\($0)>" }
    }

    /// The bare address from `Name <a@b>` or `a@b (comment)`; `nil` when there is none.
    public static func extractAddress(_ value: String) -> String? {
        if let open = value.lastIndex(of: "<"), let close = value[open...].firstIndex(of: ">") {
            let address = value[value.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            return address.isEmpty ? nil : address
        }
        let token = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).first(where: {
            $0.contains("@")
        })
        return token.map(String.init)
    }
}
