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
        /// The date of the topmost `Received:` field (after its last `;`): when the message
        /// reached the last server, which is its arrival date where a store keeps none (POP3).
        public var receivedDate: Date?

        /// The best arrival date the headers give: the last hop's `Received:` date, else `Date:`.
        public var arrivalDate: Date? { receivedDate ?? date }
    }

    /// Message-ID, Date and sender of the message starting at `bytes`.
    public static func scan(_ bytes: [UInt8]) -> Summary {
        bytes.withUnsafeBytes { buffer in
            var summary = Summary()
            var from: String?
            var sawReceived = false
            for field in HeaderFields.split(buffer, limit: scanLimit).fields {
                if summary.messageID == nil, HeaderFields.field(field, in: buffer, isNamed: "message-id") {
                    summary.messageID = normalizeMessageID(HeaderFields.value(field, in: buffer))
                } else if summary.dateText == nil, HeaderFields.field(field, in: buffer, isNamed: "date") {
                    let text = HeaderFields.value(field, in: buffer)
                    summary.dateText = text
                    summary.date = MessageDate.parseRFC5322(text)
                } else if summary.sender == nil, HeaderFields.field(field, in: buffer, isNamed: "return-path") {
                    summary.sender = extractAddress(HeaderFields.value(field, in: buffer))
                } else if !sawReceived, HeaderFields.field(field, in: buffer, isNamed: "received") {
                    sawReceived = true
                    let text = HeaderFields.value(field, in: buffer)
                    if let semicolon = text.lastIndex(of: ";") {
                        summary.receivedDate = MessageDate.parseRFC5322(
                            text[text.index(after: semicolon)...].trimmingCharacters(in: .whitespaces))
                    }
                } else if from == nil, HeaderFields.field(field, in: buffer, isNamed: "from") {
                    from = extractAddress(HeaderFields.value(field, in: buffer))
                }
            }
            if summary.sender == nil { summary.sender = from }
            return summary
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
