import MailCore
import NIOCore
import POP3Client
import Testing

/// Feeds `input` to a parser expecting `shapes`, in pieces of `piece` bytes, and collects the
/// events (message data joined per response) or the error.
func parse(
    _ input: String, shapes: [POP3ResponseShape], piece: Int = .max, limits: POP3ResponseParser.Limits = .init()
) -> (events: [String], error: POP3ParserError?) {
    var parser = POP3ResponseParser(limits: limits)
    for shape in shapes { parser.expect(shape) }
    var buffer = ByteBuffer()
    var events: [String] = []
    var data: [UInt8] = []
    let bytes = Array(input.utf8)
    var offset = 0
    repeat {
        let end = min(bytes.count, offset + max(1, piece == .max ? bytes.count : piece))
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        do {
            while let event = try parser.parse(&buffer) {
                switch event {
                case .status(let status):
                    events.append("\(status.isOK ? "OK" : "ERR")\(status.code.map { "[\($0)]" } ?? ""):\(status.text)")
                case .continuation(let text): events.append("+:\(text)")
                case .line(let line): events.append("line:\(String(decoding: line, as: UTF8.self))")
                case .data(let piece): data += piece.readableBytesView
                case .end:
                    if !data.isEmpty { events.append("data:\(String(decoding: data, as: UTF8.self))") }
                    data = []
                    events.append("end")
                }
            }
        } catch {
            return (events, error)
        }
    } while offset < bytes.count
    return (events, nil)
}

@Suite("POP3 response parser")
struct POP3ResponseParserTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var input: String
        var shapes: [POP3ResponseShape]
        var events: [String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "greeting", input: "+OK Dovecot ready.\r\n", shapes: [.singleLine], events: ["OK:Dovecot ready."]),
        Case(name: "bare +OK", input: "+OK\r\n", shapes: [.singleLine], events: ["OK:"]),
        Case(name: "bare LF", input: "+OK fine\n", shapes: [.singleLine], events: ["OK:fine"]),
        Case(name: "-ERR with a response code", input: "-ERR [IN-USE] mailbox locked\r\n", shapes: [.singleLine],
             events: ["ERR[IN-USE]:mailbox locked"]),
        Case(name: "listing", input: "+OK 2 messages\r\n1 120\r\n2 4096\r\n.\r\n", shapes: [.lines],
             events: ["OK:2 messages", "line:1 120", "line:2 4096", "end"]),
        Case(name: "empty listing", input: "+OK\r\n.\r\n", shapes: [.lines], events: ["OK:", "end"]),
        Case(name: "listing line dot-unstuffed", input: "+OK\r\n..odd\r\n.\r\n", shapes: [.lines], events: ["OK:", "line:.odd", "end"]),
        Case(name: "-ERR to a listing has no body", input: "-ERR no UIDL\r\n+OK next\r\n", shapes: [.lines, .singleLine],
             events: ["ERR:no UIDL", "OK:next"]),
        Case(name: "message", input: "+OK 30 octets\r\nSubject: hi\r\n\r\nbody\r\n.\r\n", shapes: [.message],
             events: ["OK:30 octets", "data:Subject: hi\r\n\r\nbody\r\n", "end"]),
        Case(name: "message with stuffed dots", input: "+OK\r\nA\r\n..\r\n...x\r\n.b\r\n.\r\n", shapes: [.message],
             events: ["OK:", "data:A\r\n.\r\n..x\r\nb\r\n", "end"]),
        Case(name: "empty message", input: "+OK\r\n.\r\n", shapes: [.message], events: ["OK:", "end"]),
        Case(name: "message with bare LF", input: "+OK\nline\n..dot\n.\n", shapes: [.message],
             events: ["OK:", "data:line\n.dot\n", "end"]),
        Case(name: "pipelined messages", input: "+OK\r\none\r\n.\r\n-ERR gone\r\n+OK\r\ntwo\r\n.\r\n", shapes: [.message, .message, .message],
             events: ["OK:", "data:one\r\n", "end", "ERR:gone", "OK:", "data:two\r\n", "end"]),
        Case(name: "dot in the middle of a line is data", input: "+OK\r\na.b\r\n .\r\n.\r\n", shapes: [.message],
             events: ["OK:", "data:a.b\r\n .\r\n", "end"]),
        Case(name: "authentication challenge", input: "+ VXNlcm5hbWU6\r\n+ \r\n+OK logged in\r\n", shapes: [.authentication],
             events: ["+:VXNlcm5hbWU6", "+:", "OK:logged in"]),
    ]

    @Test("parses responses, whole and fed byte by byte", arguments: cases)
    func parses(_ test: Case) {
        for piece in [Int.max, 1, 2, 3, 7] {
            let result = parse(test.input, shapes: test.shapes, piece: piece)
            #expect(result.error == nil, "piece \(piece): \(String(describing: result.error))")
            #expect(result.events == test.events, "piece \(piece)")
        }
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var name: String
        var input: String
        var shapes: [POP3ResponseShape]
        var error: POP3ParserError
        var description: String { name }
    }

    static let small: POP3ResponseParser.Limits = {
        var limits = POP3ResponseParser.Limits()
        limits.maximumLineLength = 64
        limits.lineLengthTolerance = 16
        limits.maximumMessageSize = 100
        limits.maximumListingLines = 3
        return limits
    }()

    static let refusals: [Refusal] = [
        Refusal(name: "not a status", input: "* OK hello\r\n", shapes: [.singleLine], error: .malformedStatus("* OK hello")),
        Refusal(name: "+OKAY", input: "+OKAY\r\n", shapes: [.singleLine], error: .malformedStatus("+OKAY")),
        Refusal(name: "nothing asked", input: "+OK\r\n+OK\r\n", shapes: [.singleLine], error: .unexpectedData),
        Refusal(name: "overlong status line", input: "+OK " + String(repeating: "x", count: 90) + "\r\n", shapes: [.singleLine],
                error: .lineTooLong(maximum: 80)),
        Refusal(name: "overlong line without an end", input: "+OK " + String(repeating: "x", count: 200), shapes: [.singleLine],
                error: .lineTooLong(maximum: 80)),
        Refusal(name: "NUL in a status line", input: "+OK a\u{0}b\r\n", shapes: [.singleLine], error: .nulInLine),
        Refusal(name: "endless listing", input: "+OK\r\n" + String(repeating: "1 1\r\n", count: 10), shapes: [.lines],
                error: .tooManyLines(maximum: 3)),
        Refusal(name: "overlong listing line", input: "+OK\r\n1 " + String(repeating: "9", count: 100) + "\r\n", shapes: [.lines],
                error: .lineTooLong(maximum: 80)),
        Refusal(name: "oversize message", input: "+OK\r\n" + String(repeating: "0123456789\r\n", count: 20), shapes: [.message],
                error: .messageTooLarge(maximum: 100)),
    ]

    @Test("refuses hostile or broken responses with a typed error", arguments: refusals)
    func refuses(_ test: Refusal) {
        for piece in [Int.max, 1, 5] {
            let result = parse(test.input, shapes: test.shapes, piece: piece, limits: Self.small)
            #expect(result.error == test.error, "piece \(piece): \(result.events)")
        }
    }

    @Test("a message within the limit passes whole; one byte more is refused")
    func messageLimitBoundary() {
        let body = String(repeating: "x", count: 98) + "\r\n"  // exactly 100 bytes
        #expect(parse("+OK\r\n\(body).\r\n", shapes: [.message], limits: Self.small).error == nil)
        #expect(parse("+OK\r\nx\(body).\r\n", shapes: [.message], limits: Self.small).error == .messageTooLarge(maximum: 100))
    }

    @Test("RFC 1939's 512 octets plus the default tolerance are accepted; beyond is refused")
    func defaultLineLimit() {
        let limits = POP3ResponseParser.Limits()
        #expect(limits.lineLimit == 1024)
        let fits = "+OK " + String(repeating: "a", count: 1024 - 6) + "\r\n"
        let tooLong = "+OK " + String(repeating: "a", count: 1024 - 5) + "\r\n"
        #expect(parse(fits, shapes: [.singleLine]).error == nil)
        #expect(parse(tooLong, shapes: [.singleLine]).error == .lineTooLong(maximum: 1024))
    }

    @Test("message data comes out in pieces, never assembled: memory stays bounded by the input read")
    func streamsPieces() throws {
        var parser = POP3ResponseParser()
        parser.expect(.message)
        var buffer = ByteBuffer(string: "+OK\r\n")
        _ = try parser.parse(&buffer)
        var largest = 0
        var total = 0
        for _ in 0..<100 {
            buffer.writeString(String(repeating: "line of text\r\n", count: 100))
            while let event = try parser.parse(&buffer) {
                if case .data(let piece) = event {
                    largest = max(largest, piece.readableBytes)
                    total += piece.readableBytes
                }
            }
            #expect(buffer.readableBytes == 0)
        }
        #expect(total == 140_000)
        #expect(largest <= 1_400)
    }
}

@Suite("POP3 commands")
struct POP3CommandTests {
    @Test("encodes commands", arguments: [
        (POP3Command.capa, "CAPA"), (.stls, "STLS"), (.user("me@example.com"), "USER me@example.com"),
        (.pass("s3cret pw"), "PASS s3cret pw"), (.stat, "STAT"), (.list, "LIST"), (.uidl, "UIDL"), (.retr(7), "RETR 7"),
        (.top(3, lines: 0), "TOP 3 0"), (.dele(12), "DELE 12"), (.rset, "RSET"), (.noop, "NOOP"), (.quit, "QUIT"),
        (.auth(mechanism: "PLAIN", initialResponse: "AGEAYg=="), "AUTH PLAIN AGEAYg=="), (.auth(mechanism: "LOGIN", initialResponse: nil), "AUTH LOGIN"),
    ])
    func encodes(_ command: POP3Command, _ line: String) throws {
        #expect(try command.encoded() == Array((line + "\r\n").utf8))
    }

    @Test("refuses arguments that would smuggle a second command", arguments: [
        POP3Command.user("me\r\nDELE 1"), .pass("pw\nQUIT"), .user("a\u{0}b"), .apop(user: "a b", digest: "00"), .user(""),
        .retr(0), .dele(-1),
    ])
    func refusesInjection(_ command: POP3Command) {
        #expect(throws: POP3Command.EncodingError.self) { try command.encoded() }
    }

    @Test("refuses a line over 255 octets, except SASL responses")
    func lineLength() throws {
        #expect(throws: POP3Command.EncodingError.self) { try POP3Command.user(String(repeating: "u", count: 250)).encoded() }
        #expect(try POP3Command.authResponse(String(repeating: "A", count: 2000)).encoded().count == 2002)
    }

    @Test("traces never show secrets")
    func trace() {
        #expect(POP3Command.pass("hunter2").traceText == "PASS <redacted>")
        #expect(!POP3Command.apop(user: "me", digest: "abc").traceText.contains("abc"))
        #expect(!POP3Command.auth(mechanism: "PLAIN", initialResponse: "c2VjcmV0").traceText.contains("c2VjcmV0"))
        #expect(POP3Command.authResponse("c2VjcmV0").traceText == "<redacted>")
        #expect(POP3Command.retr(4).traceText == "RETR 4")
    }

    @Test("APOP's digest is RFC 1939's example")
    func apopDigest() {
        #expect(MD5.hex(Array("<1896.697170952@dbc.mtview.ca.us>tanstaaf".utf8)) == "c4c9334bac560ecc979e58001b3e22fb")
    }

    @Test("status lines keep response codes", arguments: [
        ("+OK [LOGIN-DELAY] wait", true, "LOGIN-DELAY", "wait", true),
        ("-ERR [SYS/TEMP] try later", false, "SYS/TEMP", "try later", true),
        ("-ERR [AUTH] bad password", false, "AUTH", "bad password", false),
        ("-ERR no such message", false, nil, "no such message", false),
    ] as [(String, Bool, String?, String, Bool)])
    func statusCodes(_ line: String, _ ok: Bool, _ code: String?, _ text: String, _ temporary: Bool) throws {
        let status = try #require(POP3Status(line: Array(line.utf8)))
        #expect(status.isOK == ok)
        #expect(status.code == code)
        #expect(status.text == text)
        #expect(status.isTemporary == temporary)
    }
}
