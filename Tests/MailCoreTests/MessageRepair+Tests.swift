import Foundation
import MailCore
import Testing

@Suite("Message repair")
struct MessageRepairTests {
    static let policy = RepairPolicy()

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Decodes `=?charset?B?…?=` words (adjacent words joined, as RFC 2047 says) for checking.
    static func decodeWords(_ value: String) -> String {
        let pattern = /=\?([^?]+)\?B\?([A-Za-z0-9+\/=]*)\?=/
        var output = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let match = rest.firstMatch(of: pattern) {
            let between = rest[rest.startIndex..<match.range.lowerBound]
            if !(lastWasWord && between.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })) {
                output += between
            }
            let bytes = Data(base64Encoded: String(match.output.2)) ?? Data()
            output += match.output.1.uppercased() == "UTF-8"
                ? String(decoding: bytes, as: UTF8.self) : String(bytes.map { Character(Unicode.Scalar($0)) })
            rest = rest[match.range.upperBound...]
            lastWasWord = true
        }
        return output + rest
    }

    static func headerLines(_ bytes: [UInt8]) -> [String] {
        let text = Self.text(bytes)
        let header = text.components(separatedBy: "\r\n\r\n").first ?? text
        return header.components(separatedBy: "\r\n")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var input: [UInt8]
        var expected: [UInt8]
        var repairs: Set<RepairKind>
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "clean CRLF", input: Array("A: b\r\n\r\nbody\r\n".utf8), expected: Array("A: b\r\n\r\nbody\r\n".utf8), repairs: []),
        Case(name: "bare LF in a CRLF message", input: Array("A: b\r\n\r\none\ntwo\r\n".utf8),
             expected: Array("A: b\r\n\r\none\r\ntwo\r\n".utf8), repairs: [.bareLineFeed]),
        Case(name: "bare CR", input: Array("A: b\r\n\r\none\rtwo\r\n".utf8),
             expected: Array("A: b\r\n\r\none\r\ntwo\r\n".utf8), repairs: [.bareCarriageReturn]),
        Case(name: "NUL bytes", input: Array("A: b\r\n\r\nn\0u\0l\r\n".utf8),
             expected: Array("A: b\r\n\r\nnul\r\n".utf8), repairs: [.nul]),
        Case(name: "NUL between CR and LF", input: Array("A: b\r\0\n\r\nx\r\n".utf8),
             expected: Array("A: b\r\n\r\nx\r\n".utf8), repairs: [.nul]),
        Case(name: "no final line break", input: Array("A: b\r\n\r\nlast".utf8),
             expected: Array("A: b\r\n\r\nlast\r\n".utf8), repairs: [.finalLineBreak]),
        Case(name: "ends in a bare CR", input: Array("A: b\r\n\r\nlast\r".utf8),
             expected: Array("A: b\r\n\r\nlast\r\n".utf8), repairs: [.bareCarriageReturn]),
    ]

    @Test("line breaks, NULs and the final CRLF are repaired, each reported", arguments: cases)
    func lineLevel(_ test: Case) throws {
        let findings = try MessageRepair.scan(MessageData(test.input), policy: Self.policy)
        #expect(findings.needed == test.repairs)
        let result = MessageRepair.repair(test.input, policy: Self.policy)
        #expect(Self.text(result.bytes) == Self.text(test.expected))
        #expect(result.repaired == test.repairs)
    }

    @Test("an LF-only message (Maildir, mbox) needs no repair: the protocol layer converts it")
    func lfOnlyIsClean() throws {
        let findings = try MessageRepair.scan(MessageData(Array("A: b\n\nbody\nmore\n".utf8)), policy: Self.policy)
        #expect(findings.needed.isEmpty)
    }

    @Test("an 8-bit Subject becomes encoded-words that decode to the same text, each at most 75 characters")
    func eightBitSubject() throws {
        let subject = "Grüße aus München — ünïcödé " + String(repeating: "ä", count: 60)
        let input = Array("Subject: Re: \(subject)\r\nFrom: a@example.com\r\n\r\nbody ä stays\r\n".utf8)
        #expect(try MessageRepair.scan(MessageData(input), policy: Self.policy).needed == [.eightBitHeader])
        let result = MessageRepair.repair(input, policy: Self.policy)
        #expect(result.repaired == [.eightBitHeader])
        let lines = Self.headerLines(result.bytes)
        #expect(lines.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } })
        let unfolded = lines.joined(separator: "\r\n").replacingOccurrences(of: "\r\n ", with: " ")
        let subjectLine = try #require(unfolded.components(separatedBy: "\r\n").first)
        #expect(Self.decodeWords(subjectLine) == "Subject: Re: \(subject)")
        for word in subjectLine.split(separator: " ") where word.hasPrefix("=?") { #expect(word.count <= 75) }
        #expect(Self.text(result.bytes).hasSuffix("\r\n\r\nbody ä stays\r\n"))  // the body is not touched
    }

    @Test("From: a quoted 8-bit display name is encoded, the address kept; an 8-bit address is reported")
    func addresses() throws {
        let input = Array("From: \"Jörg Müller\" <joerg@example.com>\r\nTo: tëst@example.com\r\n\r\nx\r\n".utf8)
        let result = MessageRepair.repair(input, policy: Self.policy)
        let lines = Self.headerLines(result.bytes)
        #expect(lines[0].hasPrefix("From: =?UTF-8?B?"))
        #expect(lines[0].hasSuffix(" <joerg@example.com>"))
        #expect(Self.decodeWords(lines[0]) == "From: Jörg Müller <joerg@example.com>")
        #expect(lines[1] == "To: tëst@example.com")
        #expect(result.unrepaired.contains { $0.contains("To") && $0.contains("cannot encode") })
    }

    @Test("a MIME filename keeps its quotes around the encoded-words; Latin-1 bytes are labelled windows-1252")
    func parametersAndCharsets() throws {
        let latin1: [UInt8] = Array("Content-Disposition: attachment; filename=\"Gr".utf8) + [0xF6, 0xDF] + Array("e.pdf\"\r\n\r\nx\r\n".utf8)
        let result = MessageRepair.repair(latin1, policy: Self.policy)
        let line = Self.headerLines(result.bytes)[0]
        #expect(line.hasPrefix("Content-Disposition: attachment; filename=\"=?windows-1252?B?"))
        #expect(line.hasSuffix("?=\""))
        #expect(Self.decodeWords(line) == "Content-Disposition: attachment; filename=\"Größe.pdf\"")
    }

    @Test("with UTF8=ACCEPT, 8-bit headers are left alone")
    func utf8Accept() throws {
        let input = Array("Subject: Grüße\r\n\r\nx\r\n".utf8)
        let findings = try MessageRepair.scan(MessageData(input), policy: RepairPolicy(encode8BitHeaders: false))
        #expect(findings.needed.isEmpty)
    }

    @Test("an overlong header line is folded at whitespace (unfolding gives it back); a long body line is only reported")
    func longLines() throws {
        let words = (0..<400).map { "word\($0)" }.joined(separator: " ")
        let body = String(repeating: "x", count: 1500)
        let input = Array("References: \(words)\r\n\r\n\(body)\r\n".utf8)
        let findings = try MessageRepair.scan(MessageData(input), policy: Self.policy)
        #expect(findings.needed == [.longHeaderLine])
        #expect(findings.longBodyLines == 1 && findings.longestBodyLine == 1500)
        let result = MessageRepair.repair(input, policy: Self.policy)
        #expect(result.repaired == [.longHeaderLine])
        let lines = Self.headerLines(result.bytes)
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(lines.joined(separator: "\r\n").replacingOccurrences(of: "\r\n", with: "") == "References: \(words)")
        #expect(Self.text(result.bytes).hasSuffix("\r\n\r\n\(body)\r\n"))
        #expect(result.unrepaired.contains { $0.contains("body line") })
    }

    @Test("a header line with nowhere to fold is sent as it is and reported")
    func unfoldable() {
        let input = Array("X-Blob: \(String(repeating: "z", count: 1200))\r\n\r\nx\r\n".utf8)
        let result = MessageRepair.repair(input, policy: Self.policy)
        #expect(Self.text(result.bytes) == Self.text(input))
        #expect(result.unrepaired.contains { $0.contains("X-Blob") })
    }

    @Test("scanning in chunks finds what scanning at once finds (a CRLF split across chunks is not a bare CR)")
    func chunkBoundaries() throws {
        var bytes = Array("A: b\r\n\r\n".utf8)
        for index in 0..<40_000 { bytes += Array("line \(index)\r\n".utf8) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("repair-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let data = MessageData(file: FileSegment(path: path, length: bytes.count))
        #expect(try MessageRepair.scan(data, policy: Self.policy).needed.isEmpty)
        bytes[100_000] = 0
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try MessageRepair.scan(data, policy: Self.policy).needed == [.nul])
    }

    @Test("repair never traps on hostile bytes, and its output needs no further line repair", arguments: 0..<20)
    func randomBytes(seed: Int) throws {
        var state = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = []
        for _ in 0..<(200 + seed * 97) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let pick = Int(state >> 33) % 12
            bytes.append([0x0d, 0x0a, 0x00, 0x20, 0x22, 0x3c, 0x3e, 0x3a, 0xC3, 0xA9, 0x41, 0x3d][pick])
        }
        let result = MessageRepair.repair(bytes, policy: Self.policy)
        let again = try MessageRepair.scan(MessageData(result.bytes), policy: Self.policy)
        #expect(!again.needed.contains(.nul))
        #expect(!again.needed.contains(.bareCarriageReturn))
        #expect(!again.needed.contains(.bareLineFeed))
        #expect(!again.needed.contains(.finalLineBreak))
    }
}

extension MessageRepairTests {
    @Test("a policy restricted to some repairs makes and looks for only those")
    func restrictedPolicy() throws {
        let bytes = Array("Subject: caf\u{00E9}\r\nMessage-ID: <r@t>\r\n\r\nbefore\0after".utf8)
        let onlyNUL = RepairPolicy().restricted(to: [.nul])
        let findings = try MessageRepair.scan(MessageData(bytes), policy: onlyNUL)
        #expect(findings.needed == [.nul])
        let result = MessageRepair.repair(bytes, policy: onlyNUL)
        #expect(result.repaired == [.nul])
        #expect(result.bytes == Array("Subject: caf\u{00E9}\r\nMessage-ID: <r@t>\r\n\r\nbeforeafter".utf8))
        #expect(try MessageRepair.scan(MessageData(bytes), policy: RepairPolicy()).needed == [.nul, .eightBitHeader, .finalLineBreak])
        #expect(try MessageRepair.scan(MessageData(bytes), policy: RepairPolicy().restricted(to: [])).needed.isEmpty)
    }
}
