import Foundation
import MailCore

/// The `From sender date` line that starts each message in an mbox file.
public struct MboxFromLine: Sendable, Hashable {
    /// The envelope sender as written (`MAILER-DAEMON`, `-` for Thunderbird), possibly empty.
    public var sender: String
    /// The date, when the line has a readable one.
    public var date: Date?

    static let prefix: [UInt8] = Array("From ".utf8)

    /// Parses a line that starts with `From ` (terminator included or not).
    public init(parsing bytes: some Collection<UInt8>) {
        var text = String(decoding: bytes.dropFirst(Self.prefix.count), as: UTF8.self)
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        let trimmed = text.drop(while: { $0 == " " })
        // The sender is one token (a quoted local part may contain spaces); the date follows.
        var senderEnd = trimmed.startIndex
        var inQuotes = false
        while senderEnd < trimmed.endIndex {
            let character = trimmed[senderEnd]
            if character == "\"" { inQuotes.toggle() }
            if character == " " && !inQuotes { break }
            senderEnd = trimmed.index(after: senderEnd)
        }
        let sender = String(trimmed[..<senderEnd])
        let rest = String(trimmed[senderEnd...])
        if let date = MessageDate.parseAsctime(rest) {
            self.sender = sender
            self.date = date
        } else if let date = MessageDate.parseAsctime(String(trimmed)) {
            // No sender at all: `From Wed Nov 27 12:52:45 2026`.
            self.sender = ""
            self.date = date
        } else {
            self.sender = sender
            self.date = nil
        }
    }

    public init(sender: String, date: Date?) {
        self.sender = sender
        self.date = date
    }

    /// `From sender Wed Nov 27 12:52:45 2026` without a line terminator. The sender is reduced to
    /// one token of printable characters; an empty or unusable one becomes `MAILER-DAEMON`.
    public func formatted(defaultDate: Date) -> String {
        let cleaned = String(sender.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7f }.map(Character.init))
        let who = cleaned.isEmpty ? "MAILER-DAEMON" : cleaned
        return "From \(who) \(MessageDate.formatAsctime(date ?? defaultDate))"
    }
}
