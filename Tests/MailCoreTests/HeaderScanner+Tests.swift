import Foundation
import MailCore
import Testing

@Suite("Header scanning and dates")
struct HeaderScannerTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static let rfc5322Dates: [(String, String?)] = [
        ("Wed, 27 Nov 2026 12:52:45 +0100", "2026-11-27T11:52:45Z"),
        ("27 Nov 2026 12:52:45 -0800", "2026-11-27T20:52:45Z"),
        ("Wed, 27 Nov 2026 12:52 +0000", "2026-11-27T12:52:00Z"),
        ("Wed, 27 Nov 26 12:52:45 GMT", "2026-11-27T12:52:45Z"),
        ("Wed, 27 Nov 99 12:52:45 EST", "1999-11-27T17:52:45Z"),
        ("Wed,  3 Jan 2024 01:02:03 +0530 (IST)", "2024-01-02T19:32:03Z"),
        ("Thu, 29 Feb 2024 10:00:00 PDT", "2024-02-29T17:00:00Z"),
        ("27 November 2026 12:52:45 UT", "2026-11-27T12:52:45Z"),
        ("Fri, 30 Feb 2024 10:00:00 +0000", nil),  // no such day
        ("Fri, 1 Mar 2024 25:00:00 +0000", nil),  // no such hour
        ("yesterday", nil),
        ("", nil),
    ]

    @Test("parses Date: headers, including obsolete forms", arguments: rfc5322Dates)
    func rfc5322(text: String, expected: String?) {
        #expect(MessageDate.parseRFC5322(text) == expected.map(Self.date))
    }

    static let asctimeDates: [(String, String?)] = [
        ("Wed Nov 27 12:52:45 2026", "2026-11-27T12:52:45Z"),
        ("Sat Jan  3 01:05:34 1996 remote from host", "1996-01-03T01:05:34Z"),
        ("Mon Mar  4 09:15:02 2024 +0100", "2024-03-04T08:15:02Z"),
        ("Mon Mar  4 09:15:02 +0100 2024", "2024-03-04T08:15:02Z"),
        ("the desk of June 3 2026 at 10:00", nil),  // month names must be three letters here
        ("no date here", nil),
    ]

    @Test("parses mbox From-line dates", arguments: asctimeDates)
    func asctime(text: String, expected: String?) {
        #expect(MessageDate.parseAsctime(text) == expected.map(Self.date))
    }

    @Test("formats asctime and RFC 5322 dates in UTC")
    func formatting() {
        let moment = Self.date("2024-03-04T09:05:02Z")
        #expect(MessageDate.formatAsctime(moment) == "Mon Mar  4 09:05:02 2024")
        #expect(MessageDate.formatRFC5322(moment) == "Mon, 4 Mar 2024 09:05:02 +0000")
        #expect(MessageDate.parseAsctime(MessageDate.formatAsctime(moment)) == moment)
        let early = Self.date("1969-12-31T23:59:59Z")
        #expect(MessageDate.formatAsctime(early) == "Wed Dec 31 23:59:59 1969")
    }

    @Test("finds Message-ID, Date and sender in folded, damaged headers")
    func scan() {
        let text = "Return-Path: <bounce@example.org>\r\nFrom: \"Name, Quoted\" <a@example.com>\r\n"
            + "Message-ID:\r\n <folded@id>\r\nBroken line without colon\r\nDate: Wed, 27 Nov 2026 12:52:45 +0000\r\n\r\n"
            + "Message-ID: <in-body@id>\r\n"
        let summary = HeaderScanner.scan(Array(text.utf8))
        #expect(summary.messageID == "<folded@id>")
        #expect(summary.date == Self.date("2026-11-27T12:52:45Z"))
        #expect(summary.sender == "bounce@example.org")
    }

    @Test("tolerates garbage: no headers, binary, NUL bytes, missing brackets")
    func garbage() {
        #expect(HeaderScanner.scan([]).messageID == nil)
        #expect(HeaderScanner.scan([0xff, 0x00, 0x0a, 0x0d, 0x3a, 0x80]).messageID == nil)
        let bare = HeaderScanner.scan(Array("Message-ID: bare@id\nFrom: x@y\n\n".utf8))
        #expect(bare.messageID == "<bare@id>")
        #expect(bare.sender == "x@y")
        let nul = HeaderScanner.scan(Array("Subject: a\u{0}b\nMessage-ID: <n@id>\n".utf8))
        #expect(nul.messageID == "<n@id>")
    }
}

@Suite("Line endings")
struct LineEndingsTests {
    @Test("converts both ways, leaving lone CRs alone")
    func conversions() {
        #expect(LineEndings.toCRLF(Array("a\nb\r\nc\rd\n".utf8)) == Array("a\r\nb\r\nc\rd\r\n".utf8))
        #expect(LineEndings.toLF(Array("a\r\nb\nc\rd\r\n".utf8)) == Array("a\nb\nc\rd\n".utf8))
        #expect(LineEndings.crlfSize(of: UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        let text = Array("a\nb\r\n\n".utf8)
        #expect(text.withUnsafeBytes { LineEndings.crlfSize(of: $0) } == LineEndings.toCRLF(text).count)
    }

    @Test("streaming conversion is independent of chunk boundaries", arguments: [LineEndings.Style.lf, .crlf])
    func chunked(style: LineEndings.Style) {
        let text = Array("x\r\n\r\ny\rz\n\r\r\n".utf8)
        let expected = style == .lf ? LineEndings.toLF(text) : LineEndings.toCRLF(text)
        for split in 0...text.count {
            var converter = LineEndingConverter(to: style)
            var output: [UInt8] = []
            for piece in [Array(text[..<split]), Array(text[split...])] {
                piece.withUnsafeBytes { converter.convert($0) { output.append(contentsOf: $0) } }
            }
            converter.finish { output.append(contentsOf: $0) }
            #expect(output == expected, "split at \(split)")
        }
    }
}

@Suite("IMAP dates")
struct IMAPDateTests {
    @Test("parses INTERNALDATE and formats APPEND dates", arguments: [
        ("27-Nov-2026 12:52:45 +0100", "2026-11-27T11:52:45Z"), (" 7-Nov-2026 12:52:45 -0800", "2026-11-07T20:52:45Z"),
        ("\"01-Jan-2020 00:00:00 +0000\"", "2020-01-01T00:00:00Z"),
    ])
    func parse(text: String, expected: String) {
        #expect(MessageDate.parseIMAP(text) == ISO8601DateFormatter().date(from: expected))
    }

    @Test("round trip and invalid dates")
    func roundTrip() {
        let date = ISO8601DateFormatter().date(from: "2024-03-04T09:05:02Z")!
        #expect(MessageDate.formatIMAP(date) == " 4-Mar-2024 09:05:02 +0000")
        #expect(MessageDate.parseIMAP(MessageDate.formatIMAP(date)) == date)
        #expect(MessageDate.parseIMAP("31-Feb-2024 09:05:02 +0000") == nil)
        #expect(MessageDate.parseIMAP("yesterday") == nil)
    }
}
