import IMAPCore
import Testing

func text(_ command: EncodedCommand) -> String {
    command.segments.map { segment in
        switch segment {
        case .bytes(let bytes, let wait): return String(decoding: bytes, as: UTF8.self) + (wait ? "⏸" : "")
        case .messageBody(let index, let size): return "<message \(index): \(size) bytes>"
        }
    }.joined()
}

@Suite("IMAP command encoder")
struct CommandEncoderTests {
    static let plain = CommandEncoder()
    static let literalPlus = CommandEncoder(options: .init(literalPlus: true))

    static let table: [(Command, String)] = [
        (.capability, "a1 CAPABILITY\r\n"),
        (.login(username: "me@example.org", password: "p a\"s\\s"), "a1 LOGIN me@example.org \"p a\\\"s\\\\s\"\r\n"),
        (.login(username: "me", password: "two\r\nlines"), "a1 LOGIN me {10}\r\n⏸two\r\nlines\r\n"),
        (.select(MailboxName("Entwürfe", utf8: false), condStore: false), "a1 SELECT Entw&APw-rfe\r\n"),
        (.examine(MailboxName("Sent Items", utf8: false), condStore: true), "a1 EXAMINE \"Sent Items\" (CONDSTORE)\r\n"),
        (.create(MailboxName("Entwürfe", utf8: true), specialUse: "\\Drafts"), "a1 CREATE {9}\r\n⏸Entwürfe (USE (\\Drafts))\r\n"),
        (.list(reference: MailboxName(bytes: []), pattern: MailboxName(bytes: Array("*".utf8)), returnOptions: ["SPECIAL-USE", "SUBSCRIBED"]), "a1 LIST \"\" * RETURN (SPECIAL-USE SUBSCRIBED)\r\n"),
        (.status(.inbox, items: ["MESSAGES", "UIDNEXT"]), "a1 STATUS INBOX (MESSAGES UIDNEXT)\r\n"),
        (.uidFetch(UIDSet(ranges: [1...100, 200...200]), items: ["UID", "FLAGS", "BODY.PEEK[]"], changedSince: nil), "a1 UID FETCH 1:100,200 (UID FLAGS BODY.PEEK[])\r\n"),
        (.uidFetch(UIDSet(ranges: [1...UInt32.max]), items: ["UID", "FLAGS"], changedSince: 42), "a1 UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 42)\r\n"),
        (.uidSearch([.key("HEADER"), .string("Message-ID"), .string("<a@b>\r\nA2 DELETE INBOX")]), "a1 UID SEARCH HEADER \"Message-ID\" {22}\r\n⏸<a@b>\r\nA2 DELETE INBOX\r\n"),
        (.uidStore(UIDSet([5]), operation: "+FLAGS.SILENT", flags: ["\\Deleted"]), "a1 UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n"),
        (.authenticate(mechanism: "PLAIN", initialResponse: Array("\0me\0secret".utf8)), "a1 AUTHENTICATE PLAIN AG1lAHNlY3JldA==\r\n"),
        (.authenticate(mechanism: "XOAUTH2", initialResponse: []), "a1 AUTHENTICATE XOAUTH2 =\r\n"),
        (.id([("name", "MailFerry")]), "a1 ID (\"name\" \"MailFerry\")\r\n"),
        (.enable(["CONDSTORE", "UTF8=ACCEPT"]), "a1 ENABLE CONDSTORE UTF8=ACCEPT\r\n"),
        (
            .append(.inbox, messages: [AppendMessage(flags: ["\\Seen", "$Forwarded"], internalDate: " 4-Mar-2024 09:05:02 +0000", size: 120)]),
            "a1 APPEND INBOX (\\Seen $Forwarded) \" 4-Mar-2024 09:05:02 +0000\" {120}\r\n⏸<message 0: 120 bytes>\r\n"
        ),
    ]

    @Test("spells commands; strings become atoms, quoted strings or literals as needed", arguments: table)
    func encode(command: Command, expected: String) throws {
        #expect(text(try Self.plain.encode(tag: "a1", command)) == expected)
    }

    @Test("LITERAL+ sends literals without waiting; LITERAL- only up to 4096 bytes")
    func nonSynchronizing() throws {
        let messages = [AppendMessage(flags: [], internalDate: nil, size: 5), AppendMessage(flags: ["\\Seen"], internalDate: nil, size: 5000)]
        #expect(text(try Self.literalPlus.encode(tag: "t", .append(.inbox, messages: messages))) == "t APPEND INBOX () {5+}\r\n<message 0: 5 bytes> (\\Seen) {5000+}\r\n<message 1: 5000 bytes>\r\n")
        let minus = CommandEncoder(options: .init(literalMinus: true))
        #expect(text(try minus.encode(tag: "t", .append(.inbox, messages: messages))) == "t APPEND INBOX () {5+}\r\n<message 0: 5 bytes> (\\Seen) {5000}\r\n⏸<message 1: 5000 bytes>\r\n")
    }

    @Test("no argument can inject a line break or NUL into a command")
    func injection() throws {
        let hostile = ["a\r\nA2 DELETE INBOX", "x\ny", "ok\rcr", "\u{1b}[2J", "\"quoted\"\\"]
        for value in hostile {
            for command in [Command.login(username: value, password: value), .uidSearch([.string(value)]), .create(MailboxName(value, utf8: true), specialUse: nil), .create(MailboxName(value, utf8: false), specialUse: nil)] {
                let encoded = try Self.plain.encode(tag: "a1", command)
                for segment in encoded.segments {
                    guard case .bytes(let bytes, let wait) = segment else { continue }
                    // A line break may only end a segment (after a literal size or the command).
                    let text = String(decoding: bytes, as: UTF8.self)
                    if wait {
                        #expect(text.hasSuffix("}\r\n"))
                    }
                }
                let joined = Self.wireWithoutLiterals(encoded)
                #expect(!joined.contains("\r\nA2"), "\(command)")
            }
        }
        #expect(throws: CommandEncoder.EncodingError.nulInString(argument: "a search string")) {
            try Self.plain.encode(tag: "a1", .uidSearch([.string("nul\0byte")]))
        }
        #expect(throws: CommandEncoder.EncodingError.invalidAtom("BAD FLAG")) {
            try Self.plain.encode(tag: "a1", .uidStore(UIDSet([1]), operation: "+FLAGS", flags: ["BAD FLAG"]))
        }
    }

    /// The command's text with each literal's content removed, as a server's line reader sees it.
    static func wireWithoutLiterals(_ command: EncodedCommand) -> String {
        var result = ""
        var skipNext = false
        for segment in command.segments {
            guard case .bytes(let bytes, let wait) = segment else { continue }
            var text = String(decoding: bytes, as: UTF8.self)
            if skipNext, let close = text.firstIndex(where: { $0 == " " || $0 == "\r" }) {
                text = String(text[close...])
            }
            result += text
            skipNext = wait
        }
        return result
    }

    @Test("traces never show credentials")
    func redaction() throws {
        #expect(try Self.plain.encode(tag: "a1", .login(username: "me", password: "secret")).traceDescription == "a1 LOGIN <redacted>")
        let auth = try Self.plain.encode(tag: "a2", .authenticate(mechanism: "PLAIN", initialResponse: Array("\0me\0secret".utf8)))
        #expect(auth.traceDescription == "a2 AUTHENTICATE PLAIN <redacted>")
        #expect(!auth.traceDescription.contains("AG1l"))
    }

    @Test("UID sets stay ranges and print compactly", arguments: [("1:5,7,9:*", 3), ("1,2,3,4", 1), ("5:1", 1)])
    func uidSets(text: String, ranges: Int) throws {
        let set = try #require(UIDSet(parsing: text))
        #expect(set.ranges.count == ranges)
        #expect(UIDSet(parsing: set.description) == set)
        #expect(UIDSet(parsing: "0") == nil && UIDSet(parsing: "a:b") == nil && UIDSet(parsing: "") == nil)
    }

    @Test("base64 round trip")
    func base64() {
        for sample in ["", "a", "ab", "abc", "\0me\0secret", "user=me\u{1}auth=Bearer x\u{1}\u{1}"] {
            #expect(Base64.decode(Base64.encode(Array(sample.utf8))) == Array(sample.utf8))
        }
    }
}

extension CommandEncoderTests {
    @Test("a binary APPEND message goes as literal8 (~{n}), synchronizing or not like any literal")
    func literal8() throws {
        let messages = [AppendMessage(flags: [], internalDate: nil, size: 5, binary: true), AppendMessage(flags: [], internalDate: nil, size: 7)]
        #expect(text(try Self.literalPlus.encode(tag: "t", .append(.inbox, messages: messages))) == "t APPEND INBOX () ~{5+}\r\n<message 0: 5 bytes> () {7+}\r\n<message 1: 7 bytes>\r\n")
        #expect(text(try Self.plain.encode(tag: "t", .append(.inbox, messages: messages))) == "t APPEND INBOX () ~{5}\r\n⏸<message 0: 5 bytes> () {7}\r\n⏸<message 1: 7 bytes>\r\n")
    }
}
