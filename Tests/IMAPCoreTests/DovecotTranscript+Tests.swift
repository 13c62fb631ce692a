import Foundation
import IMAPCore
import NIOCore
import Testing

@Suite("A real Dovecot session")
struct DovecotTranscriptTests {
    /// What Dovecot 2.3 sent in a captured session (LOGIN, CAPABILITY, NAMESPACE, LIST, CREATE,
    /// APPEND, SELECT, UID FETCH with a body, STATUS, SEARCH, NOOP, DELETE of the selected mailbox).
    static let transcript: [UInt8] = {
        let url = Bundle.module.url(forResource: "dovecot-2.3-session", withExtension: "txt", subdirectory: "Fixtures")!
        return Array(try! Data(contentsOf: url))
    }()

    @Test("parses completely in any chunking, with the values Dovecot sent")
    func transcript() throws {
        let input = Self.transcript
        var chunkings: [[[UInt8]]] = [[input], input.map { [$0] }]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var pieces: [[UInt8]] = []
            var start = 0
            while start < input.count {
                let length = Int.random(in: 1...200, using: &random)
                pieces.append(Array(input[start..<min(input.count, start + length)]))
                start += length
            }
            chunkings.append(pieces)
        }
        var reference: [ResponseEvent]?
        for pieces in chunkings {
            guard case .success(let events) = parseEvents(pieces) else {
                Issue.record("the transcript did not parse")
                return
            }
            if let reference { #expect(events == reference) } else { reference = events }
        }
        let events = try #require(reference)
        let responses = events.compactMap { if case .response(let response) = $0 { response } else { nil } }
        #expect(responses.count == 26)
        #expect(responses.contains(.tagged(TaggedResponse(tag: "a6", status: .ok, text: ResponseText(code: .appendUID(validity: 1_795_792_773, uids: UIDSet([1])), text: "Append completed (0.025 + 0.000 + 0.024 secs).")))))
        #expect(responses.contains(.untagged(.condition(.ok, ResponseText(code: .permanentFlags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Forwarded", "\\*"]), text: "Flags permitted.")))))
        #expect(responses.contains(.untagged(.status(mailbox: Array("Transcript".utf8), items: ["MESSAGES": 1, "UIDNEXT": 2, "UIDVALIDITY": 1_795_792_773]))))
        #expect(responses.contains { if case .tagged(let tagged) = $0 { tagged.text.code == .clientBug } else { false } })
        #expect(responses.contains(.untagged(.search(ids: [1], modSeq: nil))))
        #expect(responses.last == .untagged(.bye(ResponseText(text: "Selected mailbox was deleted, have to disconnect."))))
        let body = events.compactMap { if case .bodyBytes(let bytes) = $0 { Array(bytes.readableBytesView) } else { nil } }.joined()
        #expect(Array(body) == Array("Subject: transcript\r\n\r\nHello, Dovecot!\r\n".utf8))
        #expect(responses.contains(.untagged(.fetch(sequence: 1, attributes: [
            .uid(1), .flags(["\\Seen", "\\Recent", "$Forwarded"]), .internalDate("04-Mar-2024 09:05:02 +0000"), .rfc822Size(40),
            .streamedBody(section: "BODY[]", size: 40),
        ]))))
    }
}
