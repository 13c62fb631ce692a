import Foundation
import MailCore
import MailTesting
import Testing

@testable import MailFormats

/// Reads every item of an mbox given as text.
func readMbox(_ text: String, options: MboxReader.Options = .init(), maximumRead: Int = .max) throws -> (
    messages: [MboxReader.Message], failures: [MailError], evidence: MboxDialectEvidence
) {
    let reader = MboxReader(input: MemoryInput(Array(text.utf8), path: "test.mbox", maximumRead: maximumRead), options: options)
    var messages: [MboxReader.Message] = []
    var failures: [MailError] = []
    while let item = try reader.next() {
        switch item {
        case .message(let message): messages.append(message)
        case .failure(let error): failures.append(error)
        }
    }
    return (messages, failures, reader.evidence)
}

extension MboxReader.Message {
    var text: String { String(decoding: try! data.loadAll(), as: UTF8.self) }
}

@Suite("mbox reading")
struct MboxReaderTests {
    @Test("splits messages, lifts bookkeeping headers into flags, drops the separator line")
    func basics() throws {
        let mbox = """
            From a@example.com Mon Mar  4 09:15:02 2024
            Subject: one
            Status: RO
            X-Status: AF
            X-Keywords: $Forwarded ProjectX
            X-UID: 17
            Content-Length: 5

            body

            From b@example.com Tue Mar  5 10:00:00 2024
            Subject: two
            Status: O
            X-Status: TD

            second
            Status: RO stays in the body

            """
        let result = try readMbox(mbox)
        #expect(result.messages.count == 2)
        #expect(result.failures.isEmpty)
        let first = result.messages[0]
        #expect(first.text == "Subject: one\n\nbody\n")
        #expect(first.flags == FlagSet([.seen, .answered, .flagged, .keyword(.forwarded), .keyword(Keyword("ProjectX")!)]))
        #expect(first.fromLine.sender == "a@example.com")
        #expect(first.fromLine.date == ISO8601DateFormatter().date(from: "2024-03-04T09:15:02Z"))
        #expect(first.number == 1 && first.line == 1 && first.offset == 0)
        let second = result.messages[1]
        #expect(second.text == "Subject: two\n\nsecond\nStatus: RO stays in the body\n")
        #expect(second.flags == FlagSet([.draft, .deleted]))
        #expect(second.number == 2 && second.line == 11)
        #expect(result.messages[0].fingerprint == Fingerprint.of(Array(first.text.utf8)))
    }

    static let quoting: [(MboxDialect?, String, String)] = [
        (nil, ">From here\n>>From there\n>>>From far\n", "From here\n>From there\n>>From far\n"),
        (.mboxrd, ">From here\n>>From there\n", "From here\n>From there\n"),
        (.mboxo, ">From here\n>>From there\n", ">From here\n>>From there\n"),
        (nil, "> From: not quoting\n>Fromage\n", "> From: not quoting\n>Fromage\n"),
        (nil, "text\nFrom a line without blank before it\n", "text\nFrom a line without blank before it\n"),
        (nil, "text\n\nFrom the desk of John, not a separator\nmore\n", "text\n\nFrom the desk of John, not a separator\nmore\n"),
    ]

    @Test("undoes From-quoting as the dialect says", arguments: quoting)
    func quotingTable(dialect: MboxDialect?, body: String, expected: String) throws {
        let mbox = "From x Mon Mar  4 09:15:02 2024\nSubject: q\n\n" + body + "\n"
        let result = try readMbox(mbox, options: .init(dialect: dialect))
        #expect(result.messages.count == 1)
        #expect(result.messages.first?.text == "Subject: q\n\n" + expected)
    }

    @Test("detects the dialect from what the file shows")
    func evidence() throws {
        let rd = try readMbox("From x Mon Mar  4 09:15:02 2024\nS: 1\n\n>>From a\n")
        #expect(rd.evidence.dialect == .mboxrd)
        let plain = try readMbox("From x Mon Mar  4 09:15:02 2024\nS: 1\n\nnothing quoted\n")
        #expect(plain.evidence.dialect == nil)
        let inner = "body\n\nFrom inside Mon Mar  4 2024\n"
        let cl2 = try readMbox(
            "From x Mon Mar  4 09:15:02 2024\nContent-Length: \(inner.utf8.count)\n\n\(inner)\nFrom y Tue Mar  5 09:15:02 2024\nS: 2\nContent-Length: 3\n\nab\n")
        #expect(cl2.messages.count == 2)
        #expect(cl2.evidence.dialect == .mboxcl2)
        #expect(cl2.messages.first?.text == "\nbody\n\nFrom inside Mon Mar  4 2024\n")
    }

    @Test("a Content-Length that does not fit is not trusted")
    func wrongContentLength() throws {
        let mbox = "From x Mon Mar  4 09:15:02 2024\nSubject: a\nContent-Length: 9999\n\nbody\n\nFrom y Tue Mar  5 09:15:02 2024\nSubject: b\n\nb\n"
        let result = try readMbox(mbox)
        #expect(result.messages.map(\.text) == ["Subject: a\n\nbody\n", "Subject: b\n\nb\n"])
        #expect(result.messages[0].warnings.contains { $0.summary.contains("Content-Length 9999") })
    }

    @Test("mutt's mboxcl: Content-Length and quoting together")
    func muttContentLength() throws {
        let body = "one\n>From two\n"
        let mbox = "From x Mon Mar  4 09:15:02 2024\nSubject: a\nContent-Length: \(body.utf8.count)\n\n\(body)\nFrom y Tue Mar  5 09:15:02 2024\nSubject: b\n\nb\n"
        let result = try readMbox(mbox)
        #expect(result.messages.map(\.text) == ["Subject: a\n\none\nFrom two\n", "Subject: b\n\nb\n"])
    }

    @Test("a missing final newline, CRLF files, NUL bytes and 8-bit headers pass through")
    func awkwardBytes() throws {
        let noNewline = try readMbox("From x Mon Mar  4 09:15:02 2024\nSubject: a\n\nlast line")
        #expect(noNewline.messages.map(\.text) == ["Subject: a\n\nlast line"])

        let crlf = "From x Mon Mar  4 09:15:02 2024\r\nSubject: a\r\nStatus: RO\r\n\r\nbody\r\n>From q\r\n\r\nFrom y Tue Mar  5 09:15:02 2024\r\nSubject: b\r\n\r\nb\r\n"
        let crlfResult = try readMbox(crlf)
        #expect(crlfResult.messages.map(\.text) == ["Subject: a\r\n\r\nbody\r\nFrom q\r\n", "Subject: b\r\n\r\nb\r\n"])
        #expect(crlfResult.messages[0].flags == FlagSet([.seen]))

        var bytes = Array("From x Mon Mar  4 09:15:02 2024\nSubject: Gr\u{fc}\u{df}e \n\nnul:".utf8)
        bytes += [0, 0xff, 0xfe, 0x0a]
        let reader = MboxReader(input: MemoryInput(bytes))
        guard case .message(let message)? = try reader.next() else {
            Issue.record("no message")
            return
        }
        #expect(try message.data.loadAll() == Array(bytes.dropFirst(32)))
    }

    @Test("a From line without a date starts a message only where a message can start, with a warning")
    func fromLineWithoutDate() throws {
        let mbox = "From someone\nSubject: first\n\nbody\n\nFrom nobody\nSubject: second\n\nbody\n\nFrom the desk of\nnot a header line\n"
        let result = try readMbox(mbox)
        #expect(result.messages.count == 2)
        #expect(result.messages[0].fromLine.date == nil)
        #expect(result.messages[0].warnings.first?.summary.contains("no readable date") == true)
        #expect(result.messages[0].warnings.first?.messageNumber == 1)
        #expect(result.messages[1].text == "Subject: second\n\nbody\n\nFrom the desk of\nnot a header line\n")
    }

    @Test("a message without headers is reported by number and line, and the next one is read")
    func noHeaders() throws {
        let mbox = "From a Mon Mar  4 09:15:02 2024\nSubject: ok\n\n1\n\nFrom b Mon Mar  4 09:15:02 2024\njust text, no header\n\nFrom c Mon Mar  4 09:15:02 2024\nSubject: ok too\n\n3\n"
        let result = try readMbox(mbox)
        #expect(result.messages.map(\.number) == [1, 3])
        #expect(result.failures.count == 1)
        let failure = try #require(result.failures.first)
        #expect(failure.code == .malformedMessage)
        #expect(failure.messageNumber == 2)
        #expect(failure.line == 6)
        #expect(failure.path == "test.mbox")
    }

    @Test("a file that is not an mbox is refused with the line that gave it away")
    func notAnMbox() {
        #expect {
            try readMbox("\n\nGARBAGE\u{1}\u{2}\nFrom x Mon Mar  4 09:15:02 2024\n")
        } throws: { error in
            (error as? MailError)?.code == .notAMailbox && (error as? MailError)?.line == 3
        }
        #expect(throws: Never.self) { _ = try readMbox("") }
    }

    @Test("Thunderbird's X-Mozilla-Status and X-Mozilla-Keys become flags and leave the message")
    func thunderbird() throws {
        let mbox = "From - Mon Mar  4 09:15:02 2024\nX-Mozilla-Status: 1005\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: $label1 Later                 \nSubject: t\n\nx\n"
        let message = try #require(try readMbox(mbox).messages.first)
        #expect(message.flags == FlagSet([.seen, .flagged, .keyword(.forwarded), .keyword(Keyword("$label1")!), .keyword(Keyword("Later")!)]))
        #expect(message.text == "Subject: t\n\nx\n")  // Thunderbird's bookkeeping is not content
        #expect(message.fromLine.date != nil)
    }

    @Test("the result does not depend on read sizes or line-buffer size", arguments: [1, 3, 7, 64, 4096])
    func chunking(maximumRead: Int) throws {
        var generator = MessageGenerator(seed: 7)
        var mbox = ""
        for index in 0..<20 {
            let sample = generator.next(crlf: false)
            var body = String(decoding: sample.bytes, as: UTF8.self)
            body = body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.drop(while: { $0 == ">" }).hasPrefix("From ") ? ">" + line : String(line)
            }.joined(separator: "\n")
            mbox += "From s\(index) Mon Mar  4 09:15:02 2024\n" + body + "\n"
        }
        mbox += "From long Mon Mar  4 09:15:02 2024\nSubject: long\n\n" + String(repeating: "x", count: 300) + "\n"
        let reference = try readMbox(mbox)
        #expect(reference.messages.count == 21)
        let chunked = try readMbox(mbox, options: .init(lineBufferSize: 128), maximumRead: maximumRead)
        #expect(chunked.messages.map(\.fingerprint) == reference.messages.map(\.fingerprint))
        #expect(chunked.messages.map(\.flags) == reference.messages.map(\.flags))
        #expect(chunked.messages.last?.text == "Subject: long\n\n" + String(repeating: "x", count: 300) + "\n")
    }

    @Test("large messages go to a spool file and come back intact")
    func spill() throws {
        let body = String(repeating: "0123456789abcdef\n", count: 1000)
        let mbox = "From x Mon Mar  4 09:15:02 2024\nSubject: big\n\n" + body
        let message = try #require(try readMbox(mbox, options: .init(spillThreshold: 1024)).messages.first)
        guard case .file(let segment) = message.data.storage else {
            Issue.record("expected a spooled message")
            return
        }
        #expect(FileManager.default.fileExists(atPath: segment.path))
        #expect(message.text == "Subject: big\n\n" + body)
        #expect(message.fingerprint == Fingerprint.of(Array(("Subject: big\n\n" + body).utf8)))
    }
}

@Suite("mbox flag headers")
struct MboxMetadataTests {
    static let table: [([String], FlagSet)] = [
        (["Status: O"], FlagSet()),
        (["Status: RO"], FlagSet([.seen])),
        (["Status: RO", "X-Status: A"], FlagSet([.seen, .answered])),
        (["Status: O", "X-Status: FTD"], FlagSet([.flagged, .draft, .deleted])),
        (["Status: RO", "X-Status: AFTD", "X-Keywords: $Forwarded $Junk"], FlagSet([.seen, .answered, .flagged, .draft, .deleted, .keyword(.forwarded), .keyword(.junk)])),
    ]

    @Test("flags to Status/X-Status/X-Keywords and back", arguments: table)
    func bothWays(lines: [String], flags: FlagSet) {
        #expect(String(decoding: MboxMetadata.lines(for: flags, newline: [0x0a]), as: UTF8.self) == lines.joined(separator: "\n") + "\n")
        let fields = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
        }
        #expect(MboxMetadata.parse(fields: fields).flags == flags)
    }

    static let mozilla: [(String, FlagSet)] = [
        ("0000", FlagSet()), ("0001", FlagSet([.seen])), ("0003", FlagSet([.seen, .answered])),
        ("0005", FlagSet([.seen, .flagged])), ("0009", FlagSet([.seen, .deleted])),
        ("1001", FlagSet([.seen, .keyword(.forwarded)])), ("zz", FlagSet()),
    ]

    @Test("Thunderbird's X-Mozilla-Status bits", arguments: mozilla)
    func thunderbirdBits(value: String, flags: FlagSet) {
        #expect(MboxMetadata.parse(fields: [("X-Mozilla-Status", value)]).flags == flags)
    }

    @Test("Status/X-Status win over X-Mozilla-Status; comma-separated and invalid keywords")
    func precedence() {
        let parsed = MboxMetadata.parse(fields: [
            ("X-Mozilla-Status", "0005"), ("Status", "O"), ("X-Keywords", "one,two bad\\word"),
        ])
        #expect(parsed.flags == FlagSet([.keyword(Keyword("one")!), .keyword(Keyword("two")!)]))
        #expect(parsed.invalidKeywords == ["bad\\word"])
    }
}

extension MboxReaderTests {
    @Test("a header-only message keeps having no empty line and no body (its Status: lifted, the separator not taken as its end)")
    func headerOnlyMessage() throws {
        let mbox = """
            From a@example.com Mon Mar  4 09:15:02 2024
            Subject: header only
            Status: RO

            From b@example.com Tue Mar  5 10:00:00 2024
            Subject: empty body
            Status: O


            From c@example.com Tue Mar  5 10:00:00 2024
            Subject: header only, last
            X-Status: F

            """
        let result = try readMbox(mbox)
        #expect(result.failures.isEmpty)
        #expect(result.messages.map(\.text) == ["Subject: header only\n", "Subject: empty body\n\n", "Subject: header only, last\n"])
        #expect(result.messages[0].flags == FlagSet([.seen]))
        #expect(result.messages[2].flags == FlagSet([.flagged]))
    }

    @Test("header-only messages written by the appender read back with the same bytes")
    func headerOnlyRoundTrip() throws {
        let directory = try TemporaryDirectory("mbox-header-only")
        defer { directory.remove() }
        let path = directory.file("box")
        let originals = ["Subject: a\nFrom: x@example.com\n", "Subject: b\n\n", "Subject: c\n\nFrom the body\n", "Subject: d"]
        let appender = try MboxAppender(path: path, compressed: false)
        for text in originals {
            try appender.append(MessageData(Array(text.utf8)), flags: FlagSet([.seen]), internalDate: nil, sender: nil, defaultDate: Date())
        }
        try appender.commit()
        appender.close()
        let result = try readMbox(String(decoding: try directory.read("box"), as: UTF8.self))
        #expect(result.messages.map(\.text) == ["Subject: a\nFrom: x@example.com\n", "Subject: b\n\n", "Subject: c\n\nFrom the body\n", "Subject: d\n"])
        #expect(result.messages.allSatisfy { $0.flags == FlagSet([.seen]) })
    }
}
