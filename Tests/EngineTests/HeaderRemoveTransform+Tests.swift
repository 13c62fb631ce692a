import Engine
import Foundation
import MailCore
import MailTesting
import Testing

@Suite("Removing header fields")
struct HeaderRemoveTransformTests {
    static func envelope(_ text: String) -> MessageEnvelope {
        MessageEnvelope(bytes: Array(text.utf8), folder: .inbox, key: SourceKey("k"), flags: FlagSet())
    }

    static func removed(_ patterns: [String], from text: String) throws -> (text: String, changes: [String]) {
        let outcome = try HeaderRemoveTransform(patterns: patterns).apply(to: envelope(text))
        return (String(decoding: try outcome.envelope.data.loadAll(), as: UTF8.self), outcome.changes)
    }

    @Test(
        "fields by name or glob, any case, continuation lines with them; the body is never touched",
        arguments: [
            (["X-Spam-Status"], "X-Spam-Status: Yes,\n score=9\nSubject: hi\n\nX-Spam-Status: body\n", "Subject: hi\n\nX-Spam-Status: body\n"),
            (["x-spam-*"], "X-Spam-Flag: YES\r\nFrom: a@b\r\nX-SPAM-Level: ***\r\n\t**\r\n\r\nbody\r\n", "From: a@b\r\n\r\nbody\r\n"),
            (["Received"], "Received: from a\n  by b\nReceived: from c\nTo: d\n\n", "To: d\n\n"),
            (["X-?"], "X-A: 1\nX-BB: 2\n\n", "X-BB: 2\n\n"),
            (["Status"], "From: a\nStatus: RO", "From: a\n"),  // all header, no final line break
        ])
    func removes(patterns: [String], input: String, expected: String) throws {
        let result = try Self.removed(patterns, from: input)
        #expect(result.text == expected)
        #expect(!result.changes.isEmpty)
    }

    @Test("a message without a matching field is returned as it was, with nothing reported")
    func untouched() throws {
        let text = "Subject: x\nX-Other: y\n\nX-Spam: in the body\n"
        let outcome = try HeaderRemoveTransform(patterns: ["X-Spam*"]).apply(to: Self.envelope(text))
        #expect(outcome.changes.isEmpty)
        #expect(outcome.envelope.fingerprint == Self.envelope(text).fingerprint)
    }

    @Test("a message without any line feed (CR only) is left whole, never emptied")
    func noLineFeed() throws {
        let text = "X-Spam: 1\rSubject: s\r\rbody\r"
        let outcome = try HeaderRemoveTransform(patterns: ["X-Spam"]).apply(to: Self.envelope(text))
        #expect(outcome.changes.isEmpty)
        #expect(try outcome.envelope.data.loadAll() == Array(text.utf8))
    }

    @Test("a removed Message-ID is no longer the envelope's (recovery and dedup look for what is stored)")
    func removedMessageID() throws {
        let outcome = try HeaderRemoveTransform(patterns: ["Message-ID"]).apply(to: Self.envelope("Message-ID: <m@x>\nSubject: s\n\nb\n"))
        #expect(Self.envelope("Message-ID: <m@x>\n\n").messageID == "<m@x>")
        #expect(outcome.envelope.messageID == nil)
    }

    @Test("what was removed is reported per field name, with a count")
    func reportsChanges() throws {
        let result = try Self.removed(["Received"], from: "Received: a\nReceived: b\nSubject: s\n\n")
        #expect(result.changes == ["Received removed (2×)"])
    }

    @Test("a header line longer than the scan limit ends the scan: the rest stays as it is")
    func longLine() throws {
        let long = "X-Long: " + String(repeating: "a", count: (1 << 20) + 10)  // over the 1 MiB line limit + "\nX-Spam: 1\n\nbody\n"
        let outcome = try HeaderRemoveTransform(patterns: ["X-Spam"]).apply(to: Self.envelope(long))
        #expect(outcome.changes.isEmpty)
        #expect(try outcome.envelope.data.loadAll() == Array(long.utf8))
    }

    @Test("names that cannot be header fields are refused", arguments: ["", "Bad Name", "X:Y", "Ümlaut"])
    func refusesBadNames(name: String) {
        #expect(throws: MailError.self) { try HeaderRemoveTransform(patterns: [name]) }
    }
}
