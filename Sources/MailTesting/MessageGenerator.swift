import Foundation
import MailCore

/// Generates varied, realistic test messages: plain and multipart bodies, 8-bit and encoded
/// headers, bodies with `From `, `>From ` and `>>From ` lines, CRLF and LF line endings, NUL
/// bytes, random flags and keywords, arrival dates over several years.
public struct MessageGenerator {
    /// A generated message with the metadata a store should keep.
    public struct Sample: Sendable {
        public var bytes: [UInt8]
        public var flags: FlagSet
        public var internalDate: Date
        public var messageID: String
    }

    private var random: SeededGenerator
    private var counter = 0

    public init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    static let words = [
        "mail", "folder", "migration", "archive", "report", "budget", "meeting", "Grüße", "café", "naïve",
        "Здравствуйте", "日本語", "From", ">From", "status", "quarterly", "server", "flag", "keyword",
    ]
    static let keywords = ["$Forwarded", "$Junk", "$NotJunk", "$MDNSent", "ProjectX", "Later", "$label1"]

    /// The next message. `crlf` forces line endings; by default a quarter use CRLF.
    public mutating func next(crlf: Bool? = nil) -> Sample {
        counter += 1
        let useCRLF = crlf ?? (Int.random(in: 0..<4, using: &random) == 0)
        let newline = useCRLF ? "\r\n" : "\n"
        let seconds = Double(Int.random(in: 1_577_836_800...1_735_689_599, using: &random))
        let date = Date(timeIntervalSince1970: seconds)
        let messageID = "<gen\(counter).\(Int.random(in: 0..<1_000_000, using: &random))@test.example>"
        var lines: [String] = [
            "Return-Path: <sender\(counter)@example.org>",
            "From: Sender \(counter) <sender\(counter)@example.org>",
            "To: =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.com>",
            "Subject: \(word()) \(word()) \(counter)",
            "Date: \(MessageDate.formatRFC5322(date))",
            "Message-ID: \(messageID)",
        ]
        if Bool.random(using: &random) {
            lines.append("X-Folded-Header: first part")
            lines.append("\tsecond part \(word())")
        }
        if Int.random(in: 0..<5, using: &random) == 0 { lines.append("X-Raw-8bit: \(word()) Zürich") }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("")
        let bodyLines = Int.random(in: 1...40, using: &random)
        for _ in 0..<bodyLines {
            switch Int.random(in: 0..<12, using: &random) {
            case 0: lines.append("From the desk of \(word())")
            case 1: lines.append(">From a quoted line")
            case 2: lines.append(">>From a doubly quoted line")
            case 3: lines.append("")
            case 4: lines.append("Status: RO in the body is not a header")
            default: lines.append((0..<Int.random(in: 1...12, using: &random)).map { _ in word() }.joined(separator: " "))
            }
        }
        var text = lines.joined(separator: newline) + newline
        if Int.random(in: 0..<10, using: &random) == 0 { text += "NUL\u{0}byte line" + newline }
        var flags = FlagSet()
        for flag in [Flag.seen, .answered, .flagged, .deleted, .draft] where Int.random(in: 0..<3, using: &random) == 0 {
            flags.insert(flag)
        }
        for name in Self.keywords where Int.random(in: 0..<5, using: &random) == 0 {
            flags.insert(.keyword(Keyword(name)!))
        }
        return Sample(bytes: Array(text.utf8), flags: flags, internalDate: date, messageID: messageID)
    }

    private mutating func word() -> String { Self.words.randomElement(using: &random)! }
}
