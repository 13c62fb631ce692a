import IMAPCore
import NIOCore
import Testing

/// Feeds `input` to a parser in the given pieces; returns the events (adjacent body pieces merged)
/// or the error.
func parseEvents(_ pieces: [[UInt8]], limits: ResponseParser.Limits = .init()) -> Result<[ResponseEvent], IMAPParserError> {
    var parser = ResponseParser(limits: limits)
    var events: [ResponseEvent] = []
    var buffer = ByteBuffer()
    do {
        for piece in pieces {
            buffer.writeBytes(piece)
            while let event = try parser.parse(&buffer) {
                if case .bodyBytes(var more) = event, case .bodyBytes(var previous)? = events.last {
                    previous.writeBuffer(&more)
                    events[events.count - 1] = .bodyBytes(previous)
                } else {
                    events.append(event)
                }
            }
        }
    } catch {
        return .failure(error)
    }
    return .success(events)
}

/// Every way of cutting `input` in two, plus one byte at a time.
func chunkings(_ input: [UInt8]) -> [[[UInt8]]] {
    var result: [[[UInt8]]] = [[input], input.map { [$0] }]
    for split in stride(from: 1, to: input.count, by: max(1, input.count / 64)) {
        result.append([Array(input[..<split]), Array(input[split...])])
    }
    return result
}

func body(_ text: String) -> ResponseEvent { .bodyBytes(ByteBuffer(string: text)) }

@Suite("IMAP response parser")
struct ResponseParserTests {
    static let fixtures: [(String, [ResponseEvent])] = [
        (
            "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] Dovecot ready.\r\n",
            [.response(.untagged(.condition(.ok, ResponseText(code: .capability(["IMAP4rev1", "LITERAL+", "SASL-IR"]), text: "Dovecot ready."))))]
        ),
        ("* PREAUTH IMAP4rev1 server logged in as Smith\r\n", [.response(.untagged(.preauth(ResponseText(text: "IMAP4rev1 server logged in as Smith"))))]),
        ("* BYE Autologout; idle for too long\r\n", [.response(.untagged(.bye(ResponseText(text: "Autologout; idle for too long"))))]),
        ("a1 OK [READ-WRITE] SELECT completed\r\n", [.response(.tagged(TaggedResponse(tag: "a1", status: .ok, text: ResponseText(code: .readWrite, text: "SELECT completed"))))]),
        ("a2 NO [TRYCREATE] Mailbox doesn't exist: Foo\r\n", [.response(.tagged(TaggedResponse(tag: "a2", status: .no, text: ResponseText(code: .tryCreate, text: "Mailbox doesn't exist: Foo"))))]),
        ("A3 BAD Error in IMAP command\n", [.response(.tagged(TaggedResponse(tag: "A3", status: .bad, text: ResponseText(text: "Error in IMAP command"))))]),
        ("* CAPABILITY IMAP4rev1 UIDPLUS MOVE AUTH=PLAIN\r\n", [.response(.untagged(.capability(["IMAP4rev1", "UIDPLUS", "MOVE", "AUTH=PLAIN"])))]),
        (
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted.\r\n",
            [.response(.untagged(.condition(.ok, ResponseText(code: .permanentFlags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Forwarded", "\\*"]), text: "Flags permitted."))))]
        ),
        ("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", [.response(.untagged(.condition(.ok, ResponseText(code: .uidValidity(3_857_529_045), text: "UIDs valid"))))]),
        ("* OK [UIDNEXT 4392] Predicted next UID\r\n", [.response(.untagged(.condition(.ok, ResponseText(code: .uidNext(4392), text: "Predicted next UID"))))]),
        ("* OK [HIGHESTMODSEQ 715194045007] Highest\r\n", [.response(.untagged(.condition(.ok, ResponseText(code: .highestModSeq(715_194_045_007), text: "Highest"))))]),
        ("A4 OK [APPENDUID 38505 3955] APPEND completed\r\n", [.response(.tagged(TaggedResponse(tag: "A4", status: .ok, text: ResponseText(code: .appendUID(validity: 38505, uids: UIDSet([3955])), text: "APPEND completed"))))]),
        ("A5 OK [APPENDUID 1 7:9] Append completed.\r\n", [.response(.tagged(TaggedResponse(tag: "A5", status: .ok, text: ResponseText(code: .appendUID(validity: 1, uids: UIDSet(ranges: [7...9])), text: "Append completed."))))]),
        ("A6 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n", [.response(.tagged(TaggedResponse(tag: "A6", status: .ok, text: ResponseText(code: .copyUID(validity: 38505, source: UIDSet(ranges: [304...304, 319...320]), destination: UIDSet(ranges: [3956...3958])), text: "Done"))))]),
        ("A7 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n", [.response(.tagged(TaggedResponse(tag: "A7", status: .no, text: ResponseText(code: .overQuota, text: "Quota exceeded (mailbox for user is full)"))))]),
        ("A8 NO [LIMIT] Mail too large\r\n", [.response(.tagged(TaggedResponse(tag: "A8", status: .no, text: ResponseText(code: .limit, text: "Mail too large"))))]),
        ("A9 NO [UNAVAILABLE] Try later\r\n", [.response(.tagged(TaggedResponse(tag: "A9", status: .no, text: ResponseText(code: .unavailable, text: "Try later"))))]),
        ("* OK [XFOO bar baz] unknown code kept\r\n", [.response(.untagged(.condition(.ok, ResponseText(code: .other(name: "XFOO", text: "bar baz"), text: "unknown code kept"))))]),
        ("* NO [REFERRAL imap://other.example/] go away\r\n", [.response(.untagged(.condition(.no, ResponseText(code: .referral("imap://other.example/"), text: "go away"))))]),
        (
            "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n",
            [.response(.untagged(.list(ListEntry(attributes: ["\\HasNoChildren", "\\Sent"], delimiter: "/", name: Array("Sent Items".utf8)))))]
        ),
        ("* LIST (\\Noselect) NIL Archive\r\n", [.response(.untagged(.list(ListEntry(attributes: ["\\Noselect"], delimiter: nil, name: Array("Archive".utf8)))))]),
        ("* LIST () \".\" {7}\r\nFoo.Bar\r\n", [.response(.untagged(.list(ListEntry(attributes: [], delimiter: ".", name: Array("Foo.Bar".utf8)))))]),
        ("* LSUB () \"/\" INBOX\r\n", [.response(.untagged(.lsub(ListEntry(attributes: [], delimiter: "/", name: Array("INBOX".utf8)))))]),
        (
            "* STATUS \"Sent\" (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 HIGHESTMODSEQ 7)\r\n",
            [.response(.untagged(.status(mailbox: Array("Sent".utf8), items: ["MESSAGES": 231, "UIDNEXT": 44292, "UIDVALIDITY": 1, "HIGHESTMODSEQ": 7])))]
        ),
        ("* 23 EXISTS\r\n", [.response(.untagged(.exists(23)))]),
        ("* 3 RECENT\r\n", [.response(.untagged(.recent(3)))]),
        ("* 44 EXPUNGE\r\n", [.response(.untagged(.expunge(44)))]),
        ("* VANISHED (EARLIER) 41,43:116\r\n", [.response(.untagged(.vanished(earlier: true, uids: UIDSet(ranges: [41...41, 43...116]))))]),
        ("* SEARCH 2 84 882\r\n", [.response(.untagged(.search(ids: [2, 84, 882], modSeq: nil)))]),
        ("* SEARCH\r\n", [.response(.untagged(.search(ids: [], modSeq: nil)))]),
        ("* SEARCH 2 5 (MODSEQ 917162500)\r\n", [.response(.untagged(.search(ids: [2, 5], modSeq: 917_162_500)))]),
        (
            "* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800 COUNT 15 ALL 4:18,21,28\r\n",
            [.response(.untagged(.extendedSearch(ExtendedSearchResponse(tag: "A285", uid: true, min: 7, max: 3800, count: 15, all: UIDSet(ranges: [4...18, 21...21, 28...28]), modSeq: nil))))]
        ),
        (
            "* 12 FETCH (UID 42 FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 12 BODY[] {12}\r\nHello\r\nBye\r\n)\r\n",
            [
                .bodyBegin(sequence: 12, section: "BODY[]", size: 12), body("Hello\r\nBye\r\n"), .bodyEnd,
                .response(.untagged(.fetch(sequence: 12, attributes: [.uid(42), .flags(["\\Seen", "$Forwarded"]), .internalDate("17-Jul-1996 02:44:25 -0700"), .rfc822Size(12), .streamedBody(section: "BODY[]", size: 12)]))),
            ]
        ),
        (
            "* 3 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID)] {10}\r\nabcdefghij UID 9)\r\n",
            [
                .bodyBegin(sequence: 3, section: "BODY[HEADER.FIELDS (MESSAGE-ID)]", size: 10), body("abcdefghij"), .bodyEnd,
                .response(.untagged(.fetch(sequence: 3, attributes: [.streamedBody(section: "BODY[HEADER.FIELDS (MESSAGE-ID)]", size: 10), .uid(9)]))),
            ]
        ),
        (
            "* 4 FETCH (UID 10 BODY[]<0> {0}\r\n RFC822 \"x\")\r\n",
            [
                .bodyBegin(sequence: 4, section: "BODY[]<0>", size: 0), .bodyEnd,
                .response(.untagged(.fetch(sequence: 4, attributes: [.uid(10), .streamedBody(section: "BODY[]<0>", size: 0), .inlineBody(section: "RFC822", bytes: [UInt8(ascii: "x")])]))),
            ]
        ),
        (
            "* 5 FETCH (X-GM-LABELS (\"\\\\Inbox\" \\Sent Important \"Work Stuff\") X-GM-MSGID 1278455344230334865 MODSEQ (12) ENVELOPE (\"date\" {5}\r\nHello NIL) BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1) \"mixed\"))\r\n",
            [
                .response(.untagged(.fetch(sequence: 5, attributes: [
                    .gmailLabels([Array("\\Inbox".utf8), Array("\\Sent".utf8), Array("Important".utf8), Array("Work Stuff".utf8)]),
                    .gmailMessageID(1_278_455_344_230_334_865), .modSeq(12),
                    .envelope(.list([.string(Array("date".utf8)), .string(Array("Hello".utf8)), .nil])),
                    .bodyStructure(.list([.list([.string(Array("text".utf8)), .string(Array("plain".utf8)), .nil, .nil, .nil, .string(Array("7bit".utf8)), .number(3), .number(1)]), .string(Array("mixed".utf8))])),
                ]))),
            ]
        ),
        (
            "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n",
            [.response(.untagged(.namespace(NamespaceResponse(personal: [NamespaceDescription(prefix: [], delimiter: "/")], otherUsers: [NamespaceDescription(prefix: Array("Other Users/".utf8), delimiter: "/")], shared: []))))]
        ),
        ("* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n", [.response(.untagged(.namespace(NamespaceResponse(personal: [NamespaceDescription(prefix: Array("INBOX.".utf8), delimiter: ".")], otherUsers: [], shared: []))))]),
        ("* ENABLED CONDSTORE QRESYNC\r\n", [.response(.untagged(.enabled(["CONDSTORE", "QRESYNC"])))]),
        ("* QUOTA \"\" (STORAGE 10 512)\r\n", [.response(.untagged(.quota(root: [], resources: [QuotaResource(name: "STORAGE", usage: 10, limit: 512)])))]),
        ("* QUOTAROOT INBOX \"\"\r\n", [.response(.untagged(.quotaRoot(mailbox: Array("INBOX".utf8), roots: [[]])))]),
        ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n", [.response(.untagged(.flags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"])))]),
        ("* ID (\"name\" \"Dovecot\")\r\n", [.response(.untagged(.id(["name": "Dovecot"])))]),
        ("* XUNKNOWN foo bar\r\n", [.response(.untagged(.other(name: "XUNKNOWN", text: "foo bar")))]),
        ("+ Ready for literal data\r\n", [.response(.continuation("Ready for literal data"))]),
        ("+\r\n", [.response(.continuation(""))]),
        ("+ dGVzdA==\r\n", [.response(.continuation("dGVzdA=="))]),
    ]

    @Test("parses every response a migration meets, in every chunking", arguments: fixtures)
    func fixture(input: String, expected: [ResponseEvent]) {
        for pieces in chunkings(Array(input.utf8)) {
            #expect(parseEvents(pieces) == .success(expected), "chunks \(pieces.map(\.count))")
        }
    }

    @Test("needs more bytes: an incomplete response yields nothing and no error")
    func incomplete() {
        #expect(parseEvents([Array("* 1 FETCH (UID 1 BODY[] {10}\r\nabc".utf8)]) == .success([.bodyBegin(sequence: 1, section: "BODY[]", size: 10), body("abc")]))
        #expect(parseEvents([Array("* LIST () \"/\" {5}\r\nab".utf8)]) == .success([]))
        #expect(parseEvents([Array("a1 OK done".utf8)]) == .success([]))
    }

    static let failures: [(String, IMAPParserError)] = [
        ("* OK " + String(repeating: "x", count: 70_000), .lineTooLong(actual: 70_005, maximum: 65_536)),
        ("* LIST () \"/\" {70000}\r\n", .literalTooLarge(actual: 70_000, maximum: 65_536)),
        ("* 1 FETCH (BODY[] {300000000}\r\n", .bodyTooLarge(actual: 300_000_000, maximum: 268_435_456)),
        ("* LIST () \"/\" {12345678901}\r\n", .literalSizeTooLong(digits: 11, maximum: 10)),
        ("* 1 FETCH (BODYSTRUCTURE " + String(repeating: "(", count: 101) + String(repeating: ")", count: 101) + ")\r\n", .nestingTooDeep(maximum: 100)),
    ]

    @Test("every limit has its own error", arguments: failures)
    func limits(input: String, expected: IMAPParserError) {
        #expect(parseEvents([Array(input.utf8)]) == .failure(expected))
    }

    @Test("malformed responses are errors that show where", arguments: [
        "a1 MAYBE done\r\n", "* LIST (\\Noselect) \"/\"\r\n", "* LIST () \"//\" x\r\n", "* OK [UIDVALIDITY x] y\r\n",
        "* 1 FETCH (UID)\r\n", "* 1 FETCH UID 1\r\n", "* STATUS \"unterminated\r\n", "* 99999999999 EXISTS\r\n",
    ])
    func malformed(input: String) {
        guard case .failure(let error) = parseEvents([Array(input.utf8)]), case .malformed = error else {
            Issue.record("expected a malformed-response error for \(input.debugDescription)")
            return
        }
    }

    @Test("SEARCH results may be long; a capped response size still applies")
    func longSearch() {
        let ids = (1...20_000).map(String.init).joined(separator: " ")
        guard case .success(let events) = parseEvents([Array("* SEARCH \(ids)\r\n".utf8)]),
            case .response(.untagged(.search(let found, _)))? = events.first
        else {
            Issue.record("long SEARCH not parsed")
            return
        }
        #expect(found.count == 20_000)
        var small = ResponseParser.Limits()
        small.maximumSearchLineLength = 1000
        guard case .failure(.lineTooLong(_, let maximum)) = parseEvents([Array("* SEARCH \(ids)\r\n".utf8)], limits: small) else {
            Issue.record("expected the search line limit to apply")
            return
        }
        #expect(maximum == 1000)
    }

    @Test("a hostile stream of endless literals and bodies stays within the limits")
    func hostileStream() {
        var limits = ResponseParser.Limits()
        limits.maximumBodySize = 1000
        // A body within the limit streams without being held; the next one over it is refused.
        let input = "* 1 FETCH (BODY[] {900}\r\n" + String(repeating: "a", count: 900) + ")\r\n* 2 FETCH (BODY[] {1001}\r\n"
        guard case .failure(let error) = parseEvents([Array(input.utf8)], limits: limits) else {
            Issue.record("expected the second body to be refused")
            return
        }
        #expect(error == .bodyTooLarge(actual: 1001, maximum: 1000))
        // Many small literals cannot grow one response beyond its cap.
        let many = "* LIST () \"/\" " + String(repeating: "{60000}\r\n" + String(repeating: "b", count: 60000) + " ", count: 20)
        guard case .failure(let tooBig) = parseEvents([Array(many.utf8)]), case .responseTooLarge = tooBig else {
            Issue.record("expected responseTooLarge")
            return
        }
    }
}
